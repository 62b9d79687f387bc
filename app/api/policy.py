"""Who may call which route: (METHOD, path template) -> roles. Routers and the role-matrix test both read it."""

from __future__ import annotations

from app.api.policy_other import OTHER_POLICY

STAFF = frozenset({"operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin"})
ADMIN = frozenset({"admin"})
# Which of them may act on a case at all; the action itself is checked per role in app.services.case_access.
CASE_ACTORS = frozenset({"operator", "supervisor", "focal_point", "agency_head", "provincial_office", "admin"})

POLICY: dict[tuple[str, str], frozenset[str]] = {
    **OTHER_POLICY,  # health, calls, operators, sign-in, users, public, Open311, reports
    # Cases (focal points and agency heads see only their own agency's cases: enforced in the services).
    ("POST", "/api/cases"): frozenset({"operator", "supervisor", "admin"}),
    ("GET", "/api/cases"): STAFF,
    ("GET", "/api/cases/{code}"): STAFF,
    ("GET", "/api/cases/{code}/events"): STAFF,
    ("POST", "/api/cases/{code}/transitions"): CASE_ACTORS,
    # Read-only lists that operators need to forward a case and pick a topic.
    ("GET", "/api/agencies"): STAFF,
    ("GET", "/api/topics"): STAFF,
    # Administration.
    ("GET", "/api/admin/agencies"): ADMIN,
    ("POST", "/api/admin/agencies"): ADMIN,
    ("GET", "/api/admin/agencies/{agency_id}"): ADMIN,
    ("PATCH", "/api/admin/agencies/{agency_id}"): ADMIN,
    ("DELETE", "/api/admin/agencies/{agency_id}"): ADMIN,
    ("GET", "/api/admin/agencies/{agency_id}/contacts"): ADMIN,
    ("POST", "/api/admin/agencies/{agency_id}/contacts"): ADMIN,
    ("PATCH", "/api/admin/agencies/{agency_id}/contacts/{contact_id}"): ADMIN,
    ("DELETE", "/api/admin/agencies/{agency_id}/contacts/{contact_id}"): ADMIN,
    ("GET", "/api/admin/topics"): ADMIN,
    ("POST", "/api/admin/topics"): ADMIN,
    ("PATCH", "/api/admin/topics/{code}"): ADMIN,
    ("DELETE", "/api/admin/topics/{code}"): ADMIN,
    ("GET", "/api/admin/calendar/holidays"): ADMIN,
    ("POST", "/api/admin/calendar/holidays"): ADMIN,
    ("DELETE", "/api/admin/calendar/holidays/{day}"): ADMIN,
    ("GET", "/api/admin/calendar/extra-working-days"): ADMIN,
    ("POST", "/api/admin/calendar/extra-working-days"): ADMIN,
    ("DELETE", "/api/admin/calendar/extra-working-days/{day}"): ADMIN,
    ("GET", "/api/admin/calendar/closures"): ADMIN,
    ("POST", "/api/admin/calendar/closures"): ADMIN,
    ("DELETE", "/api/admin/calendar/closures/{closure_id}"): ADMIN,
    ("GET", "/api/admin/calendar/seasons"): ADMIN,
    ("POST", "/api/admin/calendar/seasons"): ADMIN,
    ("DELETE", "/api/admin/calendar/seasons/{season_id}"): ADMIN,
}


def roles_for(method: str, path: str) -> tuple[str, ...]:
    """The roles for a route, sorted (require_roles takes them as arguments); KeyError if the route is unlisted."""
    return tuple(sorted(POLICY[(method, path)]))
