"""Browser sign-in and sign-out pages."""
