"""GET /admin/calendar and its forms: weekly hours, holidays, make-up days, closures, and what callers get now.

Input is checked by the admin API's own models (app.api.admin_calendar) and every change goes through
app.services.calendar_store with the admin as `who` (so it is audit-chained like the API's); no rule lives here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from app.api import admin_calendar as api
from app.api.cases import in_session, now_of, settings_of
from app.domain.calendar import ceil_minute, weekly_windows, windows_spec
from app.domain.calendar_status import DayWindowsError, weekly_spec_from_days
from app.errors import InvalidInput
from app.services import calendar_store, opening
from app.web.calendar import strings  # noqa: F401  (registers the page texts)
from app.web.common import i18n
from app.web.common.pages import page_user
from app.web.common.templating import Page, render

router = APIRouter(include_in_schema=False)
PATH = "/admin/calendar"
# A bad field -> the message key shown (see strings.py); the form keeps what the admin typed.
FIELD_ERRORS = {"day": "cal.err.date", "name": "cal.err.name", "windows": "cal.err.windows",
                "start_at": "cal.err.datetime", "end_at": "cal.err.datetime", "reason": "cal.err.too_long"}


class Refusal(Exception):
    """Bad input from one form: the page is shown again with this message and nothing is changed."""

    def __init__(self, form: str, key: str, **values: str) -> None:
        super().__init__(key)
        self.form, self.key, self.values = form, key, values


def _clock(request: Request) -> datetime:
    """The IVR's clock: the app's test clock if any, else TD_TEST_CLOCK_AT's (test only), else the system's."""
    if getattr(request.app.state, "clock", None) is not None:
        return now_of(request)
    clock = getattr(request.app.state, "calendar_clock", None)
    if clock is None:
        clock = request.app.state.calendar_clock = opening.clock_for(settings_of(request))
    return clock()


def _checked(model: type[BaseModel], form: str, **data: Any) -> Any:
    """The API's input model, or a Refusal naming the first bad field."""
    try:
        return model(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        key = FIELD_ERRORS.get(field, "cal.err.order" if not field else "cal.err.invalid")
        if field == "name" and first["type"] == "string_too_long":
            key = "cal.err.too_long"
        raise Refusal(form, key, field=field, text=str(data.get(field, ""))) from exc


def _local_instant(text: str, zone: ZoneInfo, form: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=zone)
    except ValueError as exc:
        raise Refusal(form, "cal.err.datetime") from exc


def _day(text: str, form: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Refusal(form, "cal.err.gone") from exc


def _view(request: Request, session: Session) -> dict[str, Any]:
    settings = settings_of(request)
    now = _clock(request)
    status = opening.status_now(session, settings, now)  # seeds this year's and next year's holidays too
    year = status.at.year
    weekly = weekly_windows(calendar_store.weekly_spec(session, settings.working_hours))
    holidays = {y: calendar_store.list_holidays(session, y) for y in (year, year + 1)}
    closures = calendar_store.list_closures(session)
    named = {h.day: h.name for h in holidays.get(status.day.year, [])}
    extra = calendar_store.list_extra_days(session)
    reason = ""
    if status.rule == "holiday":
        reason = named.get(status.day, "")
    elif status.rule == "closure":
        at = ceil_minute(status.at)  # the calendar's rounding, as the decision used it
        reason = next((c.reason or "" for c in closures if c.start_at <= at < c.end_at), "")
    elif status.rule == "extra_day":
        reason = next((d.reason or "" for d in extra if d.day == status.day), "")
    zone = ZoneInfo(settings.timezone)
    shown = [{"id": c.id, "start": c.start_at.astimezone(zone), "end": c.end_at.astimezone(zone),
              "reason": c.reason or "", "past": c.end_at <= now} for c in closures]
    left = int((status.next_change - status.at).total_seconds()) if status.next_change else None
    return {"status": status, "reason": reason or status.season, "left_s": left,
            "weekly": {d: windows_spec(weekly.get(d, ())) for d in range(7)}, "holidays": holidays,
            "extra_days": extra, "closures": shown, "seasons": calendar_store.list_seasons(session),
            "zone": settings.timezone, "cache_s": f"{settings.calendar_cache_s:g}"}


async def _page(request: Request, page: Page, *, refusal: Refusal | None = None, kept: dict[str, str] | None = None,
                status: int = 200) -> Response:
    view = await in_session(request, lambda s: _view(request, s))
    error = None
    if refusal is not None:
        values = {"s": view["cache_s"], **refusal.values}
        if "weekday" in values:
            values["day"] = i18n.text(page.lang, f"cal.day.{values['weekday']}")
        error = {"form": refusal.form, "text": i18n.text(page.lang, refusal.key).format(**values)}
    done = request.query_params.get("done", "")
    notice = ""
    if f"cal.done.{done}" in i18n.TEXTS:
        notice = (i18n.text(page.lang, f"cal.done.{done}").format(day=_shown_day(request.query_params.get("day", "")))
                  + i18n.text(page.lang, "cal.done.reaches").format(s=view["cache_s"]))
    context = {**view, "error": error, "kept": kept or {}, "notice": notice,
               "js_texts": i18n.texts_with_prefix(page.lang, "cal.in", "cal.hours", "cal.minutes")}
    return render(request, "calendar/calendar.html", context, page=page, status=status)


def _shown_day(text: str) -> str:
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return ""


def _done(what: str, day: date | None = None) -> Response:
    query = {"done": what, **({"day": day.isoformat()} if day else {})}
    return RedirectResponse(f"{PATH}?{urlencode(query)}", status_code=303)


async def _change(request: Request, page: Page, kept: dict[str, str], work: Any) -> Response:
    """Run one change; a Refusal (from the models or the service) shows the page again, changing nothing."""
    try:
        return await work()
    except Refusal as refusal:
        return await _page(request, page, refusal=refusal, kept=kept,
                           status=404 if refusal.key == "cal.err.gone" else 422)


@router.get(PATH)
async def calendar_page(request: Request, page: Page = Depends(page_user("GET", PATH))) -> Response:
    return await _page(request, page)


@router.post(f"{PATH}/weekly")
async def save_weekly(request: Request, page: Page = Depends(page_user("POST", f"{PATH}/weekly"))) -> Response:
    form = await request.form()
    days = {d: str(form.get(f"day{d}", ""))[:128] for d in range(7)}

    async def work() -> Response:
        try:
            spec = weekly_spec_from_days(days)
        except DayWindowsError as exc:
            raise Refusal("weekly", "cal.err.day_windows", weekday=str(exc.weekday), text=exc.text) from exc
        if not spec:
            raise Refusal("weekly", "cal.err.week_empty")
        body = _checked(api.WeeklyIn, "weekly", spec=spec)

        def save(s: Session) -> None:
            try:
                calendar_store.put_weekly(s, body.spec, who=page.principal)
            except InvalidInput as exc:
                raise Refusal("weekly", "cal.err.week_empty") from exc

        await in_session(request, save)
        return _done("weekly")

    return await _change(request, page, {f"day{d}": v for d, v in days.items()}, work)


@router.post(f"{PATH}/holidays")
async def add_holiday(request: Request, day: str = Form(""), name: str = Form(""),
                      page: Page = Depends(page_user("POST", f"{PATH}/holidays"))) -> Response:
    async def work() -> Response:
        body = _checked(api.HolidayIn, "holiday", day=day or None, name=name)
        await in_session(request, lambda s: calendar_store.put_holiday(s, body.day, body.name, who=page.principal))
        return _done("holiday_added", body.day)

    return await _change(request, page, {"h_day": day, "h_name": name}, work)


@router.post(f"{PATH}/holidays/{{day}}/delete")
async def remove_holiday(request: Request, day: str,
                         page: Page = Depends(page_user("POST", f"{PATH}/holidays/{{day}}/delete"))) -> Response:
    async def work() -> Response:
        when = _day(day, "holiday")
        if not await in_session(request, lambda s: calendar_store.remove_holiday(s, when, who=page.principal)):
            raise Refusal("holiday", "cal.err.gone")
        return _done("holiday_removed", when)

    return await _change(request, page, {}, work)


@router.post(f"{PATH}/extra-days")
async def add_extra_day(request: Request, day: str = Form(""), windows: str = Form(""), reason: str = Form(""),
                        page: Page = Depends(page_user("POST", f"{PATH}/extra-days"))) -> Response:
    async def work() -> Response:
        body = _checked(api.ExtraDayIn, "extra", day=day or None, windows=windows, reason=reason or None)
        await in_session(request, lambda s: calendar_store.put_extra_day(s, body.day, body.windows, body.reason,
                                                                         who=page.principal))
        return _done("extra_added", body.day)

    return await _change(request, page, {"x_day": day, "x_windows": windows, "x_reason": reason}, work)


@router.post(f"{PATH}/extra-days/{{day}}/delete")
async def remove_extra_day(request: Request, day: str,
                           page: Page = Depends(page_user("POST", f"{PATH}/extra-days/{{day}}/delete"))) -> Response:
    async def work() -> Response:
        when = _day(day, "extra")
        if not await in_session(request, lambda s: calendar_store.remove_extra_day(s, when, who=page.principal)):
            raise Refusal("extra", "cal.err.gone")
        return _done("extra_removed", when)

    return await _change(request, page, {}, work)


@router.post(f"{PATH}/closures")
async def add_closure(request: Request, start: str = Form(""), end: str = Form(""), reason: str = Form(""),
                      page: Page = Depends(page_user("POST", f"{PATH}/closures"))) -> Response:
    async def work() -> Response:
        zone = ZoneInfo(settings_of(request).timezone)
        body = _checked(api.ClosureIn, "closure", start_at=_local_instant(start, zone, "closure"),
                        end_at=_local_instant(end, zone, "closure"), reason=reason or None)
        await in_session(request, lambda s: calendar_store.add_closure(s, body.start_at, body.end_at, body.reason,
                                                                       who=page.principal))
        return _done("closure_added")

    return await _change(request, page, {"c_start": start, "c_end": end, "c_reason": reason}, work)


@router.post(f"{PATH}/closures/{{closure_id}}/delete")
async def remove_closure(request: Request, closure_id: int,
                         page: Page = Depends(page_user("POST", f"{PATH}/closures/{{closure_id}}/delete"))) -> Response:
    async def work() -> Response:
        if not await in_session(request, lambda s: calendar_store.remove_closure(s, closure_id, who=page.principal)):
            raise Refusal("closure", "cal.err.gone")
        return _done("closure_removed")

    return await _change(request, page, {}, work)
