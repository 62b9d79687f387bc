"""Which case a recording is evidence for: the case filed from its call, or later from the callback list."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from app.db.models import CallbackRequest, Case
from app.db.models_console import Transfer
from app.db.models_recordings import Recording

# app.services.callbacks.PREFIX (not imported: callbacks imports cases, which imports this module; a test
# checks they agree).
CALLBACK_LEG_PREFIX = "cb"


def _callback_request_id(uniqueid: str) -> int | None:
    """A call-back's operator leg is named cb<request id>-<attempt>-<random> (app.services.callbacks)."""
    if not uniqueid.startswith(CALLBACK_LEG_PREFIX):
        return None
    raw = uniqueid[len(CALLBACK_LEG_PREFIX):].split("-", 1)[0]
    return int(raw) if raw.isdigit() else None


def _call_ids(rec: Recording) -> set[str]:
    return {i for i in (rec.uniqueid, rec.linkedid) if i}


def case_for(session: Session, rec: Recording) -> Case | None:
    """The case this recording belongs to, found from Asterisk's ids only (never from file names on disk)."""
    ids = _call_ids(rec)
    case = session.scalar(select(Case).where(Case.call_uniqueid.in_(ids)).order_by(Case.id).limit(1))
    if case is not None:
        return case
    codes: list[str | None] = []
    request_ids = [i for i in (_callback_request_id(x) for x in ids) if i is not None]
    if request_ids:  # a call-back's own recording (kind callback)
        codes += session.scalars(select(CallbackRequest.case_code).where(CallbackRequest.id.in_(request_ids)))
    # a voice message, or the call that was left waiting and then called back
    codes += session.scalars(select(CallbackRequest.case_code).where(CallbackRequest.uniqueid.in_(ids)))
    codes += session.scalars(select(Transfer.case_code).where(Transfer.call_uniqueid.in_(ids)))  # agency leg
    for code in codes:
        if code:
            found = session.scalar(select(Case).where(Case.code == code))
            if found is not None:
                return found
    return None


def attach_case(session: Session, case: Case) -> int:
    """Attach the recordings of the case's call, and of callback requests filed under its code, that belong to
    no case yet; returns how many. Adds to the caller's transaction (the caller commits)."""
    ids: set[str] = {case.call_uniqueid} if case.call_uniqueid else set()
    leg_prefixes: list[str] = []
    for request in session.scalars(select(CallbackRequest).where(CallbackRequest.case_code == case.code)):
        ids.add(request.uniqueid)
        leg_prefixes.append(f"{CALLBACK_LEG_PREFIX}{request.id}-")
    if not ids and not leg_prefixes:
        return 0
    match: list[ColumnElement[bool]] = [Recording.uniqueid.in_(ids), Recording.linkedid.in_(ids)]
    match += [Recording.uniqueid.startswith(p, autoescape=True) for p in leg_prefixes]
    result = session.execute(update(Recording).where(Recording.case_id.is_(None), or_(*match))
                             .values(case_id=case.id).execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)
