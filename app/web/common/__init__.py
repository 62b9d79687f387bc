"""Shared page machinery: translations, templates, CSRF and the sign-in check of every page."""
