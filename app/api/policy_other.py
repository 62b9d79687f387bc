"""Who may call the routes outside the case workflow: health, calls, operators, sign-in, users, public, Open311."""

from __future__ import annotations

ANONYMOUS = "anonymous"  # pseudo-role of a request without a token; only public routes list it
ROLES = frozenset({"operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin"})
PUBLIC = ROLES | {ANONYMOUS}
ADMIN = frozenset({"admin"})
CALL_READERS = frozenset({"operator", "supervisor", "auditor", "admin"})
DESK = frozenset({"operator", "supervisor", "admin"})  # who works the operator desk and the callback list
LEADS = frozenset({"supervisor", "admin"})
# Art. 11, 17: the centre's supervisors, the provincial office, auditors (logged) and agency heads (own agency)
REPORT_READERS = frozenset({"supervisor", "provincial_office", "auditor", "admin", "agency_head"})

OTHER_POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/api/calls"): CALL_READERS,
    ("GET", "/api/calls/{uniqueid}/events"): CALL_READERS,
    ("GET", "/api/operators"): CALL_READERS,
    ("POST", "/api/operators/{extension}/login"): DESK,
    ("POST", "/api/operators/{extension}/logout"): DESK,
    ("POST", "/api/operators/{extension}/pause"): DESK,
    ("POST", "/api/operators/{extension}/unpause"): DESK,
    ("PUT", "/api/operators/{extension}/skills"): LEADS,
    ("GET", "/api/callbacks"): DESK,
    # Sign-in.
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): ROLES,
    ("GET", "/api/auth/me"): ROLES,
    # Users and operator accounts.
    ("GET", "/api/admin/users"): ADMIN,
    ("POST", "/api/admin/users"): ADMIN,
    ("GET", "/api/admin/users/{user_id}"): ADMIN,
    ("PATCH", "/api/admin/users/{user_id}"): ADMIN,
    ("DELETE", "/api/admin/users/{user_id}"): ADMIN,
    ("GET", "/api/admin/operators"): ADMIN,
    ("POST", "/api/admin/operators"): ADMIN,
    # The citizen's side (Art. 12): no login.
    ("GET", "/public/cases"): PUBLIC,
    ("GET", "/public/cases/{code}"): PUBLIC,
    ("POST", "/public/cases/{code}/rating"): PUBLIC,
    # Open311 GeoReport v2, for the web, app and chatbot channels.
    ("GET", "/open311/v2/services.json"): PUBLIC,
    ("GET", "/open311/v2/services"): PUBLIC,
    ("GET", "/open311/v2/requests.json"): PUBLIC,
    ("GET", "/open311/v2/requests"): PUBLIC,
    ("POST", "/open311/v2/requests.json"): PUBLIC,
    ("POST", "/open311/v2/requests"): PUBLIC,
    ("GET", "/open311/v2/requests/{service_request_id}"): PUBLIC,
    # Reports (Art. 11, 17).
    ("GET", "/api/reports"): REPORT_READERS,
    ("GET", "/api/reports/export.csv"): REPORT_READERS,
    ("GET", "/api/reports/export.xlsx"): REPORT_READERS,
}


def roles(method: str, path: str) -> tuple[str, ...]:
    """The signed-in roles allowed on a route, as arguments for require_roles."""
    return tuple(sorted(OTHER_POLICY[(method, path)] - {ANONYMOUS}))
