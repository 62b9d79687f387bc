"""Administration of the working calendar; open cases re-price by themselves (SLA is derived from the event log)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.api.cases import allowed, in_session, now_of, settings_of
from app.domain.calendar import day_windows, weekly_windows
from app.services import calendar_store
from app.services.case_errors import CalendarEntryNotFound

router = APIRouter(prefix="/api/admin/calendar", tags=["calendar"])
BASE = "/api/admin/calendar"


class WeeklyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    spec: str = Field(min_length=1, max_length=512, description='e.g. "mon-fri 07:00-11:30,13:30-17:00"')

    @field_validator("spec")
    @classmethod
    def _spec(cls, value: str) -> str:
        weekly_windows(value)  # ValueError -> 422 naming the field
        return value


class WeeklyOut(BaseModel):
    """The weekly hours used by the SLA and by the IVR's open/closed decision (seeded from TD_WORKING_HOURS)."""

    spec: str
    timezone: str


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: date
    name: str = Field(min_length=1, max_length=256)


class HolidayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    name: str
    source: str
    closed: bool


class ExtraDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: date
    windows: str = Field(default="07:00-11:30,13:30-17:00", min_length=1, max_length=128,
                         description="the day's working windows, e.g. 07:00-11:30,13:30-17:00")
    reason: str | None = Field(default=None, max_length=256)

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: str) -> str:
        day_windows(value)  # ValueError -> 422 naming the field
        return value


class ExtraDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    windows: str
    reason: str | None


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    start_at: AwareDatetime
    end_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _order(self) -> ClosureIn:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class ClosureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    start_at: datetime
    end_at: datetime
    reason: str | None


class SeasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=128)
    effective_from: date
    effective_to: date
    spec: str = Field(min_length=1, max_length=512, description='e.g. "mon-fri 07:00-11:00,13:00-16:30"')

    @field_validator("spec")
    @classmethod
    def _spec(cls, value: str) -> str:
        weekly_windows(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> SeasonIn:
        if self.effective_to < self.effective_from:
            raise ValueError("effective_to must not be before effective_from")
        return self


class SeasonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    effective_from: date
    effective_to: date
    spec: str


def _gone(found: bool, what: str) -> Response:
    if not found:
        raise CalendarEntryNotFound(what)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/weekly", response_model=WeeklyOut)
async def get_weekly(request: Request, _who: Principal = Depends(allowed("GET", f"{BASE}/weekly"))) -> WeeklyOut:
    """The usual weekly working hours (holidays, make-up days, seasons and closures apply on top)."""
    settings = settings_of(request)
    return await in_session(request, lambda s: WeeklyOut(
        spec=calendar_store.weekly_spec(s, settings.working_hours), timezone=settings.timezone))


@router.put("/weekly", response_model=WeeklyOut)
async def put_weekly(request: Request, body: WeeklyIn,
                     who: Principal = Depends(allowed("PUT", f"{BASE}/weekly"))) -> WeeklyOut:
    """Replace the weekly hours; the IVR answers by them within TD_CALENDAR_CACHE_S, without a restart."""
    settings = settings_of(request)
    return await in_session(request, lambda s: WeeklyOut(
        spec=calendar_store.put_weekly(s, body.spec, who=who).spec, timezone=settings.timezone))


@router.get("/holidays", response_model=list[HolidayOut])
async def list_holidays(request: Request, year: int | None = Query(None, ge=2000, le=2099),
                        _who: Principal = Depends(allowed("GET", f"{BASE}/holidays"))) -> list[HolidayOut]:
    """Holidays (package rows seeded for this year and next on first use; closed=false: kept as a working day)."""
    this_year = now_of(request).year

    def work(session: Session) -> list[HolidayOut]:
        calendar_store.ensure_holidays(session, [this_year, this_year + 1])
        return [HolidayOut.model_validate(h) for h in calendar_store.list_holidays(session, year)]

    return await in_session(request, work)


@router.post("/holidays", response_model=HolidayOut, status_code=status.HTTP_201_CREATED)
async def add_holiday(request: Request, body: HolidayIn,
                      who: Principal = Depends(allowed("POST", f"{BASE}/holidays"))) -> HolidayOut:
    return await in_session(request, lambda s: HolidayOut.model_validate(
        calendar_store.put_holiday(s, body.day, body.name, who=who)))


@router.delete("/holidays/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_holiday(request: Request, day: date,
                         who: Principal = Depends(allowed("DELETE", f"{BASE}/holidays/{{day}}"))) -> Response:
    """A package holiday stays listed with closed=false (a working day); a manual one is removed."""
    return _gone(await in_session(request, lambda s: calendar_store.remove_holiday(s, day, who=who)), f"holiday {day}")


@router.get("/extra-working-days", response_model=list[ExtraDayOut])
async def list_extra_days(request: Request,
                          _who: Principal = Depends(allowed("GET", f"{BASE}/extra-working-days"))) -> list[ExtraDayOut]:
    return await in_session(request, lambda s: [ExtraDayOut.model_validate(d)
                                                for d in calendar_store.list_extra_days(s)])


@router.post("/extra-working-days", response_model=ExtraDayOut, status_code=status.HTTP_201_CREATED)
async def add_extra_day(request: Request, body: ExtraDayIn,
                        who: Principal = Depends(allowed("POST", f"{BASE}/extra-working-days"))) -> ExtraDayOut:
    return await in_session(request, lambda s: ExtraDayOut.model_validate(
        calendar_store.put_extra_day(s, body.day, body.windows, body.reason, who=who)))


@router.delete("/extra-working-days/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_extra_day(request: Request, day: date,
                           who: Principal = Depends(allowed("DELETE", f"{BASE}/extra-working-days/{{day}}")),
                           ) -> Response:
    return _gone(await in_session(request, lambda s: calendar_store.remove_extra_day(s, day, who=who)),
                 f"make-up day {day}")


@router.get("/closures", response_model=list[ClosureOut])
async def list_closures(request: Request,
                        _who: Principal = Depends(allowed("GET", f"{BASE}/closures"))) -> list[ClosureOut]:
    return await in_session(request, lambda s: [ClosureOut.model_validate(c)
                                                for c in calendar_store.list_closures(s)])


@router.post("/closures", response_model=ClosureOut, status_code=status.HTTP_201_CREATED)
async def add_closure(request: Request, body: ClosureIn,
                      who: Principal = Depends(allowed("POST", f"{BASE}/closures"))) -> ClosureOut:
    return await in_session(request, lambda s: ClosureOut.model_validate(
        calendar_store.add_closure(s, body.start_at, body.end_at, body.reason, who=who)))


@router.delete("/closures/{closure_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_closure(request: Request, closure_id: int,
                         who: Principal = Depends(allowed("DELETE", f"{BASE}/closures/{{closure_id}}"))) -> Response:
    return _gone(await in_session(request, lambda s: calendar_store.remove_closure(s, closure_id, who=who)),
                 f"closure {closure_id}")


@router.get("/seasons", response_model=list[SeasonOut])
async def list_seasons(request: Request,
                       _who: Principal = Depends(allowed("GET", f"{BASE}/seasons"))) -> list[SeasonOut]:
    return await in_session(request, lambda s: [SeasonOut.model_validate(x) for x in calendar_store.list_seasons(s)])


@router.post("/seasons", response_model=SeasonOut, status_code=status.HTTP_201_CREATED)
async def add_season(request: Request, body: SeasonIn,
                     who: Principal = Depends(allowed("POST", f"{BASE}/seasons"))) -> SeasonOut:
    """A season's weekly windows replace the default ones between its dates; seasons may not overlap (422)."""
    return await in_session(request, lambda s: SeasonOut.model_validate(
        calendar_store.add_season(s, body.name, body.effective_from, body.effective_to, body.spec, who=who)))


@router.delete("/seasons/{season_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_season(request: Request, season_id: int,
                        who: Principal = Depends(allowed("DELETE", f"{BASE}/seasons/{{season_id}}"))) -> Response:
    return _gone(await in_session(request, lambda s: calendar_store.remove_season(s, season_id, who=who)),
                 f"season {season_id}")
