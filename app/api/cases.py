"""The case API: create, search, read, history, and workflow transitions (roles from app.api.policy)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.orm import Session

from app.api.auth import Principal, require_roles
from app.api.case_check import CaseCheck, CheckOut
from app.api.case_check import check as check_form
from app.api.case_models import CaseCreate, CaseOut, CasePage, EventOut, SearchParams, TransitionIn, TransitionOut
from app.api.policy import roles_for
from app.domain.rulebook import Rulebook
from app.services import audit, case_search, cases
from app.services.case_access import AGENCY_ROLES, agency_scope
from app.services.case_intake import NewCase
from app.settings import Settings, get_settings

router = APIRouter(prefix="/api", tags=["cases"])
T = TypeVar("T")


def allowed(method: str, path: str) -> Callable[[Request], Principal]:
    return require_roles(*roles_for(method, path))


def now_of(request: Request) -> datetime:
    """The app's clock (tests may set app.state.clock to a callable returning an aware datetime)."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def settings_of(request: Request) -> Settings:
    """The app's settings (a test app built without the lifespan falls back to get_settings())."""
    settings = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_settings()


def rulebook_of(request: Request) -> Rulebook | None:
    return getattr(request.app.state, "rulebook", None)


async def in_session(request: Request, work: Callable[[Session], T]) -> T:
    sessions = request.app.state.sessions

    def run() -> T:
        with sessions() as session:
            return work(session)

    return await asyncio.to_thread(run)


def _out(case: Any, who: Principal) -> CaseOut:
    return CaseOut.of(case, hide_citizen=who.role in AGENCY_ROLES)


@router.post("/cases", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
async def create_case(request: Request, body: CaseCreate,
                      who: Principal = Depends(allowed("POST", "/api/cases"))) -> CaseOut:
    """File a case (any channel). Art. 6: Vietnamese content, the citizen's name, and a phone or an address."""
    new = NewCase(**body.model_dump())
    now, rules = now_of(request), rulebook_of(request)
    return await in_session(request, lambda s: _out(cases.create_case(s, new, who=who, now=now, rulebook=rules),
                                                    who))


@router.post("/cases/check", response_model=CheckOut)
async def check_case(request: Request, body: CaseCheck,
                     _who: Principal = Depends(allowed("POST", "/api/cases/check"))) -> CheckOut:
    """The Art. 6 checks of POST /api/cases on a form typed so far (fields may be missing); nothing is stored."""
    return await in_session(request, lambda s: check_form(s, body))


@router.get("/cases", response_model=CasePage)
async def search_cases(request: Request, params: Annotated[SearchParams, Query()],
                       who: Principal = Depends(allowed("GET", "/api/cases"))) -> CasePage:
    """Search by code, phone, status, agency, topic, channel, creation dates and text (diacritics optional)."""
    query = case_search.CaseQuery(code=params.code, phone=params.phone,
                                  status=params.status.value if params.status else None, agency_id=params.agency_id,
                                  topic=params.topic, channel=params.channel, created_from=params.created_from,
                                  created_to=params.created_to, text=params.q, limit=params.limit,
                                  offset=params.offset)

    def work(session: Session) -> CasePage:
        audit.record_if_audited(session, who, f"GET /api/cases?{request.url.query}")
        found, total = case_search.search(session, query, only_agency=agency_scope(who))
        return CasePage(total=total, items=[_out(c, who) for c in found])

    return await in_session(request, work)


@router.get("/cases/{code}", response_model=CaseOut)
async def get_case(request: Request, code: str,
                   who: Principal = Depends(allowed("GET", "/api/cases/{code}"))) -> CaseOut:
    def work(session: Session) -> CaseOut:
        audit.record_if_audited(session, who, f"GET /api/cases/{code}", case_code=code[:16])
        return _out(cases.get_case(session, code, who), who)

    return await in_session(request, work)


@router.get("/cases/{code}/events", response_model=list[EventOut])
async def case_events(request: Request, code: str,
                      who: Principal = Depends(allowed("GET", "/api/cases/{code}/events"))) -> list[EventOut]:
    """Every step of the case, oldest first: who, when, from which status to which, why."""
    def work(session: Session) -> list[EventOut]:
        audit.record_if_audited(session, who, f"GET /api/cases/{code}/events", case_code=code[:16])
        case = cases.get_case(session, code, who)
        return [EventOut.of(r) for r in cases.events(session, case.id)]

    return await in_session(request, work)


@router.post("/cases/{code}/transitions", response_model=TransitionOut)
async def transition(request: Request, code: str, body: TransitionIn,
                     who: Principal = Depends(allowed("POST", "/api/cases/{code}/transitions"))) -> TransitionOut:
    """Apply a workflow action. 409 illegal_transition when the case's status does not allow it, 409 stale_version
    when `version` is older than the case's, 403 when your role or agency may not act on it."""
    now, rules = now_of(request), rulebook_of(request)

    def work(session: Session) -> TransitionOut:
        done = cases.transition(session, code, body.action, who=who, now=now, reason=body.reason, data=body.data,
                                expected_version=body.version, rulebook=rules)
        return TransitionOut(case=_out(done.case, who), event=EventOut.of(done.event))

    return await in_session(request, work)
