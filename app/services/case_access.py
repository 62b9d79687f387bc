"""Who may see and do what on a case: actions per role, and focal points / heads limited to their agency."""

from __future__ import annotations

from typing import Protocol

from app.db.models import Case
from app.services.case_errors import ActionNotAllowed, OtherAgencyCase

SYSTEM_ROLE = "system"  # the SLA scheduler
_OPERATOR = frozenset({"answer_directly", "refuse", "request_info", "provide_info", "refer_emergency",
                       "refer_to_province", "forward", "close", "note_transfer"})
_AGENCY = frozenset({"answer", "request_verification", "verify_done", "reschedule"})
_LADDER = frozenset({"escalate_to_head", "mark_overdue", "report_to_province", "warn_focal_point",
                     "warn_verification", "warn_head"})

# Close is the operator's: the citizen's rating is recorded by the operator (or by the public rating page).
ACTION_ROLES: dict[str, frozenset[str]] = {
    "operator": _OPERATOR,
    "supervisor": _OPERATOR,
    "focal_point": _AGENCY,
    "agency_head": _AGENCY,
    "provincial_office": frozenset({"answer", "refer_emergency", "refer_to_province"}),
    "admin": _OPERATOR | _AGENCY | _LADDER,
    SYSTEM_ROLE: _LADDER | {"note_transfer"},  # a transfer's outcome, as Asterisk reported it
    "citizen": frozenset({"close"}),  # the public rating page, after the phone check (app.services.citizen_actions)
}
AGENCY_ROLES = frozenset({"focal_point", "agency_head"})


class Who(Protocol):
    """The caller as the services need it (app.api.auth.Principal fits; so does the scheduler's SystemActor)."""

    @property
    def role(self) -> str: ...

    @property
    def actor(self) -> str: ...


def agency_of(who: Who) -> int | None:
    return getattr(who, "agency_id", None)


def agency_scope(who: Who) -> int | None:
    """The only agency whose cases `who` may see, or None for roles that see every case.

    A focal point without an agency sees nothing: -1 matches no agency id.
    """
    if who.role in AGENCY_ROLES:
        agency_id = agency_of(who)
        return agency_id if agency_id is not None else -1
    return None


def check_can_read(who: Who, case: Case) -> None:
    scope = agency_scope(who)
    if scope is not None and case.agency_id != scope:
        raise OtherAgencyCase(f"case {case.code}")


def check_can_act(who: Who, case: Case, action: str) -> None:
    if action not in ACTION_ROLES.get(who.role, frozenset()):
        raise ActionNotAllowed(f"role {who.role} may not '{action}'; allowed: "
                               f"{', '.join(sorted(ACTION_ROLES.get(who.role, ()))) or 'none'}")
    check_can_read(who, case)
