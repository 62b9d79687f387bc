"""The SLA scheduler: escalates, warns and marks cases overdue on time, once, with several app processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db.models import Case
from app.domain import sla
from app.domain.calendar import WorkingCalendar
from app.domain.rulebook import Rulebook
from app.errors import AppError
from app.services import calendar_store, cases, scheduler_lock
from app.services.case_access import SYSTEM_ROLE
from app.services.case_errors import StaleVersion

log = logging.getLogger("app.sla")

LOCK_NAME = "sla-scheduler"
LEASE = timedelta(minutes=5)
INTERVAL_S = 60.0
# Statuses in which a deadline runs; the rest wait for a person (intake) or are finished.
WATCHED = ("forwarded_to_focal_point", "verification_requested", "rescheduled", "escalated_to_head", "overdue")
_PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class SystemActor:
    role: str = SYSTEM_ROLE
    actor: str = "system:sla"
    agency_id: int | None = None


@dataclass
class TickResult:
    ran: bool  # False: another process holds the lease
    applied: list[tuple[str, str]] = field(default_factory=list)  # (case code, action)
    skipped: int = 0  # cases another writer changed under us (they are looked at again next tick)


SessionFactory = Callable[[], Session]


def tick(session_factory: SessionFactory, now: datetime, *, holder: str | None = None,
         rulebook: Rulebook | None = None) -> TickResult:
    """One round: for every watched case, apply the due system actions as events. Safe to repeat and to race.

    The lease keeps rounds from overlapping; should two overlap anyway (a lease expired mid-round), each
    event is still written once, because the log is re-read per case and a concurrent write fails the
    version check.
    """
    me = holder or _PROCESS_ID
    with session_factory() as session:
        if not scheduler_lock.acquire(session, LOCK_NAME, me, now, LEASE):
            return TickResult(ran=False)
        calendar = calendar_store.load_calendar(session, now)
        codes = list(session.scalars(select(Case.code).where(Case.status.in_(WATCHED)).order_by(Case.id)))
    result = TickResult(ran=True)
    try:
        for code in codes:
            _tick_case(session_factory, code, now, calendar, rulebook, result)
    finally:
        with session_factory() as session:
            scheduler_lock.release(session, LOCK_NAME, me)
    return result


def _tick_case(session_factory: SessionFactory, code: str, now: datetime, calendar: WorkingCalendar,
               rulebook: Rulebook | None, result: TickResult) -> None:
    who = SystemActor()
    with session_factory() as session:
        case = cases.find(session, code)
        rule = cases.rule_for(case, rulebook)
        due = sla.due_actions(cases.history(session, case.id), calendar, rule, now)
        for action in due:
            try:
                # The event is stamped `now`; its reason names the deadline it enforces.
                cases.transition(session, code, action, who=who, now=now, reason=f"sla:{action}",
                                 expected_version=case.version, rulebook=rulebook, calendar=calendar)
            except (StaleVersion, OperationalError):
                # Another writer changed the case first (on SQLite: its snapshot went stale). Next tick looks again.
                session.rollback()
                result.skipped += 1
                return
            except AppError as exc:
                # An illegal transition here means another writer moved the case on: nothing to do.
                log.warning("SLA action %s on case %s not applied: %s", action, code, exc)
                return
            result.applied.append((code, action))
            session.expire_all()
            case = cases.find(session, code)


async def run_forever(session_factory: SessionFactory, interval_s: float = INTERVAL_S) -> None:
    """The lifespan's background task: a tick every interval, errors logged, until cancelled."""
    while True:
        round_ = asyncio.ensure_future(asyncio.to_thread(tick, session_factory, datetime.now(UTC)))
        try:
            result = await asyncio.shield(round_)
            if result.applied:
                log.info("SLA scheduler applied %d actions: %s", len(result.applied), result.applied)
        except asyncio.CancelledError:
            # A thread cannot be interrupted: let the round finish and release its lease, then stop.
            with contextlib.suppress(Exception):
                await round_
            raise
        except Exception:  # a database hiccup must not stop the scheduler for good
            log.exception("SLA scheduler tick failed; retrying in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
