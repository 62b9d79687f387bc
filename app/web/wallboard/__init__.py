"""Supervisors' live wallboard page (issue 9)."""
