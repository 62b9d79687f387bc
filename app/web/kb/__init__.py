"""Knowledge-base pages: search and read for staff, the editor for administrators."""
