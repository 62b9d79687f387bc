"""The working calendar page for administrators (/admin/calendar)."""
