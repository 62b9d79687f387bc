"""Who may call which route: (METHOD, path template) -> roles. Routers and the role-matrix test both read it."""

from __future__ import annotations

ANONYMOUS = "anonymous"  # pseudo-role of a request without a token; only public routes list it
STAFF = frozenset({"operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin"})
PUBLIC = STAFF | {ANONYMOUS}
ADMIN = frozenset({"admin"})
CALL_READERS = frozenset({"operator", "supervisor", "auditor", "admin"})
DESK = frozenset({"operator", "supervisor", "admin"})  # who works the operator desk and the callback list
LEADS = frozenset({"supervisor", "admin"})
# Art. 11, 17: the centre's supervisors, the provincial office, auditors (logged) and agency heads (own agency)
REPORT_READERS = frozenset({"supervisor", "provincial_office", "auditor", "admin", "agency_head"})
# Which of them may act on a case at all; the action itself is checked per role in app.services.case_access.
CASE_ACTORS = frozenset({"operator", "supervisor", "focal_point", "agency_head", "provincial_office", "admin"})
# Recordings (issue 8): auditors, supervisors and admins play them; a focal point only its own agency's cases, and
# only when settings.recordings_agency_access allows it (enforced in app.services.recording_access).
RECORDING_READERS = frozenset({"auditor", "supervisor", "admin", "focal_point"})
AUDIT_TRAIL_READERS = frozenset({"auditor", "admin"})

POLICY: dict[tuple[str, str], frozenset[str]] = {
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
    # Supervisors (issue 9): the wallboard snapshot, today's alerts, forcing an operator to pause or log out.
    ("GET", "/api/wallboard"): LEADS,
    ("GET", "/api/alerts"): LEADS,
    ("POST", "/api/operators/{extension}/force-pause"): LEADS,
    ("POST", "/api/operators/{extension}/force-logout"): LEADS,
    # Sign-in.
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): STAFF,
    ("GET", "/api/auth/me"): STAFF,
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
    # Cases (focal points and agency heads see only their own agency's cases: enforced in the services).
    ("POST", "/api/cases"): frozenset({"operator", "supervisor", "admin"}),
    ("GET", "/api/cases"): STAFF,
    ("GET", "/api/cases/{code}"): STAFF,
    ("GET", "/api/cases/{code}/events"): STAFF,
    ("POST", "/api/cases/{code}/transitions"): CASE_ACTORS,
    # Read-only lists that operators need to forward a case and pick a topic.
    ("GET", "/api/agencies"): STAFF,
    ("GET", "/api/topics"): STAFF,
    # Operator console (issue 7): own state, event feed (polling fallback of the WebSocket), screen-pop details.
    ("GET", "/api/console/me"): DESK,
    ("POST", "/api/console/state"): DESK,
    ("GET", "/api/console/events"): DESK,
    ("GET", "/api/console/calls/{uniqueid}/pop"): DESK,
    # Live checks of a case form (Art. 6) without storing anything.
    ("POST", "/api/cases/check"): frozenset({"operator", "supervisor", "admin"}),
    # Knowledge base of public services (Art. 9.1): every staff member reads, administrators edit.
    ("GET", "/api/kb"): STAFF,
    ("GET", "/api/kb/{article_id}"): STAFF,
    ("POST", "/api/kb"): ADMIN,
    ("PATCH", "/api/kb/{article_id}"): ADMIN,
    ("DELETE", "/api/kb/{article_id}"): ADMIN,
    # Warm transfer to an agency's phone, blind transfer to 113/114/115 (Art. 9.1, 4.6).
    ("POST", "/api/calls/{uniqueid}/transfer"): DESK,
    ("POST", "/api/calls/{uniqueid}/blind-transfer"): DESK,
    ("GET", "/api/transfers/{transfer_id}"): DESK,
    ("POST", "/api/transfers/{transfer_id}/complete"): DESK,
    ("POST", "/api/transfers/{transfer_id}/cancel"): DESK,
    # Call-backs from the console: call the citizen from the operator's phone, record the result, play the message.
    ("POST", "/api/callbacks/{callback_id}/call"): DESK,
    ("POST", "/api/callbacks/{callback_id}/result"): DESK,
    ("GET", "/api/callbacks/{callback_id}/audio"): DESK,
    # Supervisors' listen, whisper and barge on a live call (issue 9): ChanSpy to their own phone.
    ("POST", "/api/calls/{uniqueid}/spy"): LEADS,
    ("POST", "/api/spy/{spy_id}/mode"): LEADS,
    ("POST", "/api/spy/{spy_id}/stop"): LEADS,
    # Browser pages (app/web): the sign-in page is public; a page refuses like its API (303 to /login for a browser).
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): STAFF,
    ("GET", "/console"): DESK,
    ("GET", "/wallboard"): LEADS,  # its WebSocket /wallboard/ws admits the same roles (app/web/wallboard_feed)
    ("GET", "/kb"): STAFF,
    ("GET", "/kb/{article_id}"): STAFF,
    ("GET", "/admin/kb"): ADMIN,
    ("GET", "/admin/kb/new"): ADMIN,
    ("POST", "/admin/kb"): ADMIN,
    ("GET", "/admin/kb/{article_id}"): ADMIN,
    ("POST", "/admin/kb/{article_id}"): ADMIN,
    ("POST", "/admin/kb/{article_id}/delete"): ADMIN,
    ("GET", "/admin/calendar"): ADMIN,  # the working calendar's page: same services as /api/admin/calendar
    ("POST", "/admin/calendar/weekly"): ADMIN,
    ("POST", "/admin/calendar/holidays"): ADMIN,
    ("POST", "/admin/calendar/holidays/{day}/delete"): ADMIN,
    ("POST", "/admin/calendar/extra-days"): ADMIN,
    ("POST", "/admin/calendar/extra-days/{day}/delete"): ADMIN,
    ("POST", "/admin/calendar/closures"): ADMIN,
    ("POST", "/admin/calendar/closures/{closure_id}/delete"): ADMIN,
    # Recordings, transcripts and evidence (issue 8, Art. 7 and 11). Every read here is written to the audit chain.
    ("GET", "/api/recordings"): RECORDING_READERS,
    ("GET", "/api/recordings/{recording_id}"): RECORDING_READERS,
    ("GET", "/api/recordings/{recording_id}/audio"): RECORDING_READERS,
    ("GET", "/api/recordings/{recording_id}/original"): RECORDING_READERS,
    ("GET", "/api/recordings/{recording_id}/transcript"): RECORDING_READERS,
    ("POST", "/api/recordings/{recording_id}/verify"): RECORDING_READERS,
    ("GET", "/api/cases/{code}/recordings"): RECORDING_READERS,
    ("GET", "/api/cases/{code}/evidence"): RECORDING_READERS - {"focal_point"},  # the centre exports, not agencies
    ("GET", "/api/audit/chain"): AUDIT_TRAIL_READERS,
    ("GET", "/api/audit/chain/verify"): AUDIT_TRAIL_READERS,
    ("PUT", "/api/cases/{code}/legal-hold"): LEADS,
    ("DELETE", "/api/cases/{code}/legal-hold"): ADMIN,
    ("GET", "/api/admin/retention"): ADMIN,
    ("PUT", "/api/admin/retention/{kind}"): ADMIN,
    ("GET", "/api/admin/recordings/backlog"): ADMIN,
    ("GET", "/audit"): RECORDING_READERS,
    ("GET", "/audit/recordings/{recording_id}"): RECORDING_READERS,
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
    ("GET", "/api/admin/calendar/weekly"): ADMIN,
    ("PUT", "/api/admin/calendar/weekly"): ADMIN,
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
    # Addresses banned after repeated failed SIP registrations or AMI logins (issue 10).
    ("GET", "/api/admin/bans"): ADMIN,
    ("DELETE", "/api/admin/bans/{address}"): ADMIN,
}


def roles_for(method: str, path: str) -> tuple[str, ...]:
    """The signed-in roles allowed on a route, sorted, as arguments for require_roles; KeyError if unlisted."""
    return tuple(sorted(POLICY[(method, path)] - {ANONYMOUS}))
