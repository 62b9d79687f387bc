"""The working calendar in the database: weekly hours, holidays (`holidays` package), make-up days, closures.

One calendar serves the SLA, the wallboard and the IVR's open/closed decision. TD_WORKING_HOURS only seeds the
weekly hours when the database has none; after that administrators edit them here (PUT /api/admin/calendar/weekly).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models_cases import CalendarSeason, CalendarWeekly, Closure, ExtraWorkingDay, Holiday
from app.domain import holiday_source
from app.domain.calendar import (
    DEFAULT_WEEKLY_SPEC,
    Season,
    WorkingCalendar,
    day_windows,
    default_calendar,
    weekly_windows,
)
from app.errors import InvalidInput
from app.services import audit_chain
from app.services.case_access import Who
from app.settings import Settings, get_settings

log = logging.getLogger("app.calendar")

SOURCE_PACKAGE = "holidays-pkg"
SOURCE_MANUAL = "manual"
WEEKLY_ROW = 1  # calendar_weekly holds one row


def ensure_holidays(session: Session, years: Sequence[int]) -> int:
    """Copy the package's holidays for each year not seeded yet; returns how many rows were added.

    A year counts as seeded once any package row exists for it, so an admin's edits (a package day set to
    closed=False, a moved Tết day) are never overwritten. Commits on its own: seeding is not part of a case.
    """
    added = 0
    for year in sorted(set(years)):
        seeded = session.scalar(select(Holiday.day).where(Holiday.source == SOURCE_PACKAGE,
                                                          extract("year", Holiday.day) == year).limit(1))
        if seeded is not None:
            continue
        existing = set(session.scalars(select(Holiday.day).where(extract("year", Holiday.day) == year)))
        rows = [Holiday(day=day, name=name[:256], source=SOURCE_PACKAGE, closed=True)
                for day, name in holiday_source.vietnam_public_holidays([year]) if day not in existing]
        session.add_all(rows)
        try:
            session.commit()
        except IntegrityError:
            # Another process seeded the same year at the same moment; its rows are as good as ours.
            session.rollback()
            continue
        added += len(rows)
        log.info("seeded %d public holidays for %d from the holidays package", len(rows), year)
    return added


def load_calendar(session: Session, now: datetime, settings: Settings | None = None) -> WorkingCalendar:
    """The calendar as stored, in settings.timezone, after seeding holidays (this year, next) and weekly hours."""
    settings = settings or get_settings()
    ensure_holidays(session, [now.year, now.year + 1])
    return calendar_from_rows(
        holidays=session.scalars(select(Holiday)).all(),
        extra_days=session.scalars(select(ExtraWorkingDay)).all(),
        closures=session.scalars(select(Closure)).all(),
        seasons=session.scalars(select(CalendarSeason)).all(),
        weekly=weekly_spec(session, settings.working_hours), tz=settings.timezone,
    )


def calendar_from_rows(*, holidays: Sequence[Holiday], extra_days: Sequence[ExtraWorkingDay],
                       closures: Sequence[Closure], seasons: Sequence[CalendarSeason],
                       weekly: str = DEFAULT_WEEKLY_SPEC, tz: str | None = None) -> WorkingCalendar:
    return default_calendar(
        holidays=[h.day for h in holidays if h.closed],
        extra_working_days={d.day: day_windows(d.windows) for d in extra_days},
        closures=[(c.start_at, c.end_at) for c in closures],
        seasons=[Season(start=s.effective_from, end=s.effective_to, windows_by_weekday=weekly_windows(s.spec),
                        name=s.name) for s in seasons],
        weekly=weekly, **({"tz": tz} if tz else {}),
    )


def weekly_spec(session: Session, seed: str = "") -> str:
    """The stored weekly hours; with none stored yet, seeds them from `seed` (TD_WORKING_HOURS) or the default.

    Commits on its own, like ensure_holidays. A malformed seed raises ValueError here, at first start, not on a call.
    """
    row = session.get(CalendarWeekly, WEEKLY_ROW)
    if row is not None:
        return row.spec
    spec = seed.strip() or DEFAULT_WEEKLY_SPEC
    weekly_windows(spec)
    session.add(CalendarWeekly(id=WEEKLY_ROW, spec=spec))
    try:
        session.commit()
    except IntegrityError:
        # Another process seeded at the same moment (from the same setting); its row stands.
        session.rollback()
        stored = session.get(CalendarWeekly, WEEKLY_ROW)
        return stored.spec if stored is not None else spec
    log.info("seeded the calendar's weekly hours from the working_hours setting: %s", spec)
    return spec


# --- administration (each function commits: the admin API and page make one change per request) ---------------
# With `who` (the API and the admin page always pass it) the change is written to the audit chain in the same commit.
AUDIT_ACTION = "calendar_change"


def _audit(session: Session, who: Who | None, subject: str, detail: dict[str, Any]) -> None:
    if who is not None:
        audit_chain.append(session, actor=who.actor, role=who.role, action=AUDIT_ACTION, subject=subject,
                           detail=detail, now=datetime.now(UTC))


def put_weekly(session: Session, spec: str, *, who: Who | None = None) -> CalendarWeekly:
    """Replace the weekly hours (the IVR picks the change up within its calendar cache time)."""
    try:
        weekly_windows(spec)
    except ValueError as exc:
        raise InvalidInput(f"spec: {exc}") from exc
    row = session.get(CalendarWeekly, WEEKLY_ROW)
    if row is None:
        row = CalendarWeekly(id=WEEKLY_ROW, spec=spec.strip())
        session.add(row)
    else:
        row.spec = spec.strip()
    _audit(session, who, "calendar:weekly", {"op": "put", "spec": row.spec})
    session.commit()
    return row


def list_holidays(session: Session, year: int | None = None) -> list[Holiday]:
    stmt = select(Holiday).order_by(Holiday.day)
    if year is not None:
        stmt = stmt.where(extract("year", Holiday.day) == year)
    return list(session.scalars(stmt))


def put_holiday(session: Session, day: date, name: str, *, who: Who | None = None) -> Holiday:
    """Add a closed day, or re-close a package day an admin had opened; manual rows are never re-seeded over."""
    row = session.get(Holiday, day)
    if row is None:
        row = Holiday(day=day, name=name, source=SOURCE_MANUAL, closed=True)
        session.add(row)
    else:
        row.name, row.closed = name, True
    _audit(session, who, f"calendar:holiday:{day.isoformat()}", {"op": "put", "name": name})
    session.commit()
    return row


def remove_holiday(session: Session, day: date, *, who: Who | None = None) -> bool:
    """A package day is kept with closed=False (so seeding does not bring it back); a manual one is deleted."""
    row = session.get(Holiday, day)
    if row is None:
        return False
    if row.source == SOURCE_PACKAGE:
        row.closed = False
    else:
        session.delete(row)
    _audit(session, who, f"calendar:holiday:{day.isoformat()}", {"op": "remove", "name": row.name})
    session.commit()
    return True


def list_extra_days(session: Session) -> list[ExtraWorkingDay]:
    return list(session.scalars(select(ExtraWorkingDay).order_by(ExtraWorkingDay.day)))


def put_extra_day(session: Session, day: date, windows: str, reason: str | None, *,
                  who: Who | None = None) -> ExtraWorkingDay:
    try:
        day_windows(windows)
    except ValueError as exc:
        raise InvalidInput(f"windows: {exc}") from exc
    row = session.get(ExtraWorkingDay, day)
    if row is None:
        row = ExtraWorkingDay(day=day, windows=windows, reason=reason)
        session.add(row)
    else:
        row.windows, row.reason = windows, reason
    _audit(session, who, f"calendar:extra_day:{day.isoformat()}", {"op": "put", "windows": windows, "reason": reason})
    session.commit()
    return row


def remove_extra_day(session: Session, day: date, *, who: Who | None = None) -> bool:
    return _delete(session, session.get(ExtraWorkingDay, day), who, f"calendar:extra_day:{day.isoformat()}")


def list_closures(session: Session) -> list[Closure]:
    return list(session.scalars(select(Closure).order_by(Closure.start_at)))


def add_closure(session: Session, start_at: datetime, end_at: datetime, reason: str | None, *,
                who: Who | None = None) -> Closure:
    if end_at <= start_at:
        raise InvalidInput("end_at: a closure must end after it starts")
    row = Closure(start_at=start_at, end_at=end_at, reason=reason)
    session.add(row)
    session.flush()  # the id names the closure in the audit entry
    _audit(session, who, f"calendar:closure:{row.id}", {"op": "add", "start_at": start_at.isoformat(),
                                                        "end_at": end_at.isoformat(), "reason": reason})
    session.commit()
    return row


def remove_closure(session: Session, closure_id: int, *, who: Who | None = None) -> bool:
    return _delete(session, session.get(Closure, closure_id), who, f"calendar:closure:{closure_id}")


def list_seasons(session: Session) -> list[CalendarSeason]:
    return list(session.scalars(select(CalendarSeason).order_by(CalendarSeason.effective_from)))


def add_season(session: Session, name: str, effective_from: date, effective_to: date, spec: str, *,
               who: Who | None = None) -> CalendarSeason:
    """Raises ValueError for a malformed spec or a season overlapping another (checked by the domain)."""
    row = CalendarSeason(name=name, effective_from=effective_from, effective_to=effective_to, spec=spec)
    try:
        calendar_from_rows(holidays=[], extra_days=[], closures=[], seasons=[*list_seasons(session), row])
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    session.add(row)
    session.flush()
    _audit(session, who, f"calendar:season:{row.id}", {"op": "add", "name": name, "spec": spec,
                                                       "from": effective_from.isoformat(),
                                                       "to": effective_to.isoformat()})
    session.commit()
    return row


def remove_season(session: Session, season_id: int, *, who: Who | None = None) -> bool:
    return _delete(session, session.get(CalendarSeason, season_id), who, f"calendar:season:{season_id}")


def _delete(session: Session, row: object | None, who: Who | None, subject: str) -> bool:
    if row is None:
        return False
    session.delete(row)
    _audit(session, who, subject, {"op": "remove"})
    session.commit()
    return True
