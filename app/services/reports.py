"""Art. 11 and 17 reports: volumes by channel, topic, agency, status; timeliness per level; handling time; ratings."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_cases import Agency, CaseEventRecord, Topic
from app.domain.calendar import WorkingCalendar, working_time_between
from app.services.calendar_store import ensure_holidays, load_calendar
from app.services.labels import ANSWER_ACTIONS, channel_vi, status_vi
from app.services.report_period import Period

ON_TIME, LATE, PENDING = "on_time", "late", "pending"
NO_AGENCY = "(chưa chuyển cơ quan)"


@dataclass(frozen=True)
class CaseRow:
    """One case as the report sees it (no personal data: reports go to many readers)."""

    code: str
    received_at: datetime
    channel: str
    topic: str
    agency: str
    status: str
    answered_at: datetime | None
    handling_hours: float | None  # working hours from receipt to answer
    focal_point: str | None  # on_time | late | pending | None (not forwarded)
    head: str | None  # the same, for cases escalated to the head
    overdue: bool
    satisfaction: int | None


@dataclass
class LevelCount:
    total: int = 0
    on_time: int = 0
    late: int = 0
    pending: int = 0

    def add(self, result: str | None) -> None:
        if result is None:
            return
        self.total += 1
        setattr(self, result, getattr(self, result) + 1)


@dataclass
class AgencyLine:
    received: int = 0
    answered: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    ratings: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    period: Period
    agency_id: int | None
    total: int
    by_channel: dict[str, int]
    by_topic: dict[str, int]
    by_agency: dict[str, int]
    by_status: dict[str, int]
    focal_point: LevelCount
    head: LevelCount
    overdue: int
    answered: int
    mean_handling_hours: float | None
    handling_basis: str  # working_hours | wall_clock
    satisfaction_mean: float | None
    satisfaction_distribution: dict[int, int]
    agencies: dict[str, AgencyLine]
    rows: list[CaseRow]


def _level(answered: datetime | None, due: datetime | None, failed: bool, now: datetime) -> str:
    """on_time: answered by the deadline; late: answered after it, or moved up, or the deadline passed."""
    if answered is not None and due is not None:
        return ON_TIME if answered <= due and not failed else LATE
    if failed or (due is not None and now > due):
        return LATE
    return PENDING


def _hours(cal: WorkingCalendar | None, start: datetime, end: datetime) -> float:
    spent = working_time_between(cal, start, end) if cal is not None else end - start
    return round(spent / timedelta(hours=1), 2)


def case_row(case: Case, events: Sequence[CaseEventRecord], names: tuple[dict[str, str], dict[int, str]],
             cal: WorkingCalendar | None, now: datetime) -> CaseRow:
    topics, agencies = names
    answered = next((e.at for e in events if e.action in ANSWER_ACTIONS), None)
    reached = {e.to_status for e in events}
    forwarded = any(e.action == "forward" for e in events)
    escalated = "escalated_to_head" in reached
    overdue = bool(reached & {"overdue", "reported_to_province"})
    return CaseRow(
        code=case.code, received_at=case.created_at, channel=case.channel or "",
        topic=topics.get(case.topic or "", case.topic or ""),
        agency=agencies.get(case.agency_id, NO_AGENCY) if case.agency_id is not None else NO_AGENCY,
        status=case.status, answered_at=answered,
        handling_hours=_hours(cal, case.created_at, answered) if answered is not None else None,
        focal_point=_level(answered, case.focal_point_due, escalated, now) if forwarded else None,
        head=_level(answered, case.head_due, overdue, now) if escalated else None,
        overdue=overdue, satisfaction=case.satisfaction)


def load_rows(session: Session, period: Period, agency_id: int | None, now: datetime,
              cal: WorkingCalendar | None) -> list[CaseRow]:
    """The cases received in the period (one agency's, for an agency head), with their event logs."""
    cases_q = select(Case).where(Case.created_at >= period.start, Case.created_at < period.end)
    if agency_id is not None:
        cases_q = cases_q.where(Case.agency_id == agency_id)
    cases = list(session.scalars(cases_q.order_by(Case.created_at, Case.id)))
    ids = select(Case.id).where(Case.created_at >= period.start, Case.created_at < period.end)
    events: dict[int, list[CaseEventRecord]] = defaultdict(list)
    for event in session.scalars(select(CaseEventRecord).where(CaseEventRecord.case_id.in_(ids))
                                 .order_by(CaseEventRecord.case_id, CaseEventRecord.seq)):
        events[event.case_id].append(event)
    names = (dict(session.execute(select(Topic.code, Topic.name_vi)).tuples().all()),
             dict(session.execute(select(Agency.id, Agency.name)).tuples().all()))
    return [case_row(c, events[c.id], names, cal, now) for c in cases]


def summarise(period: Period, agency_id: int | None, rows: list[CaseRow], basis: str) -> Report:
    focal, head = LevelCount(), LevelCount()
    agencies: dict[str, AgencyLine] = defaultdict(AgencyLine)
    for row in rows:
        focal.add(row.focal_point)
        head.add(row.head)
        line = agencies[row.agency]
        line.received += 1
        line.answered += row.answered_at is not None
        final = row.head or row.focal_point
        line.on_time += final == ON_TIME
        line.late += final == LATE
        line.overdue += row.overdue
        if row.satisfaction is not None:
            line.ratings.append(row.satisfaction)
    hours = [r.handling_hours for r in rows if r.handling_hours is not None]
    ratings = [r.satisfaction for r in rows if r.satisfaction is not None]
    return Report(
        period=period, agency_id=agency_id, total=len(rows),
        by_channel=_count(channel_vi(r.channel) for r in rows), by_topic=_count(r.topic or "—" for r in rows),
        by_agency=_count(r.agency for r in rows), by_status=_count(status_vi(r.status) for r in rows),
        focal_point=focal, head=head, overdue=sum(r.overdue for r in rows), answered=len(hours),
        mean_handling_hours=round(sum(hours) / len(hours), 2) if hours else None, handling_basis=basis,
        satisfaction_mean=round(sum(ratings) / len(ratings), 2) if ratings else None,
        satisfaction_distribution={score: ratings.count(score) for score in range(1, 6)},
        agencies=dict(sorted(agencies.items())), rows=rows)


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def build(session: Session, period: Period, now: datetime, agency_id: int | None = None) -> Report:
    # holidays of past years too, or a report on last year would count Tết as working time
    ensure_holidays(session, range(period.first_day.year, period.last_day.year + 1))
    cal = load_calendar(session, now)
    return summarise(period, agency_id, load_rows(session, period, agency_id, now, cal), "working_hours")
