"""GET /api/reports and its CSV / XLSX exports (Art. 11, 17); agency heads see their own agency only."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from app.api.auth import Principal, require_roles
from app.api.policy import roles_for as roles
from app.services import report_export, reports
from app.services.audit import record_if_audited
from app.services.case_access import agency_scope
from app.services.report_period import PeriodKind, local_today, period_for

router = APIRouter(prefix="/api/reports", tags=["reports"])
READERS = require_roles(*roles("GET", "/api/reports"))


class LevelOut(BaseModel):
    total: int
    on_time: int
    late: int
    pending: int


class SatisfactionOut(BaseModel):
    rated: int
    mean: float | None
    distribution: dict[int, int]


class ReportOut(BaseModel):
    period: str
    start: date
    end: date
    agency_id: int | None
    total: int
    by_channel: dict[str, int]
    by_topic: dict[str, int]
    by_agency: dict[str, int]
    by_status: dict[str, int]
    focal_point: LevelOut
    head: LevelOut
    overdue: int
    answered: int
    mean_handling_hours: float | None
    handling_basis: str
    satisfaction: SatisfactionOut


def _out(report: reports.Report) -> ReportOut:
    return ReportOut(
        period=report.period.kind, start=report.period.first_day, end=report.period.last_day,
        agency_id=report.agency_id, total=report.total, by_channel=report.by_channel, by_topic=report.by_topic,
        by_agency=report.by_agency, by_status=report.by_status,
        focal_point=LevelOut(**vars(report.focal_point)), head=LevelOut(**vars(report.head)),
        overdue=report.overdue, answered=report.answered, mean_handling_hours=report.mean_handling_hours,
        handling_basis=report.handling_basis,
        satisfaction=SatisfactionOut(rated=sum(report.satisfaction_distribution.values()),
                                     mean=report.satisfaction_mean,
                                     distribution=report.satisfaction_distribution))


async def _build(request: Request, who: Principal, what: str, period: PeriodKind, start: date | None,
                 end: date | None) -> reports.Report:
    now = datetime.now(UTC)
    chosen = period_for(period, local_today(now), start, end)
    sessions = request.app.state.sessions

    def run() -> reports.Report:
        with sessions() as session:
            record_if_audited(session, who, f"{what} {chosen.kind} {chosen.label}")
            return reports.build(session, chosen, now, agency_scope(who))

    return await asyncio.to_thread(run)


_PERIOD = Query("month", description="week | month | quarter | year | custom (Asia/Ho_Chi_Minh calendar days)")
_START = Query(None, description="custom: first day; other periods: a day inside the period (default today)")
_END = Query(None, description="custom: last day, included")


@router.get("", response_model=ReportOut)
async def report(request: Request, period: PeriodKind = _PERIOD, start: date | None = _START,
                 end: date | None = _END, who: Principal = Depends(READERS)) -> ReportOut:
    """Volumes by channel, topic, agency and status; on time vs late per level; handling time; satisfaction."""
    return _out(await _build(request, who, "GET /api/reports", period, start, end))


def _download(body: bytes, media_type: str, name: str) -> Response:
    headers: dict[str, Any] = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content=body, media_type=media_type, headers=headers)


@router.get("/export.csv", response_class=Response)
async def export_csv(request: Request, period: PeriodKind = _PERIOD, start: date | None = _START,
                     end: date | None = _END, who: Principal = Depends(READERS)) -> Response:
    built = await _build(request, who, "GET /api/reports/export.csv", period, start, end)
    return _download(report_export.to_csv(built), report_export.CSV_TYPE, report_export.filename(built, "csv"))


@router.get("/export.xlsx", response_class=Response)
async def export_xlsx(request: Request, period: PeriodKind = _PERIOD, start: date | None = _START,
                      end: date | None = _END, who: Principal = Depends(READERS)) -> Response:
    built = await _build(request, who, "GET /api/reports/export.xlsx", period, start, end)
    body = await asyncio.to_thread(report_export.to_xlsx, built)
    return _download(body, report_export.XLSX_TYPE, report_export.filename(built, "xlsx"))
