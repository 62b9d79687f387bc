"""Open311 GeoReport v2 (JSON) so the web, app and chatbot channels file cases; identities never come back out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api import ratelimit
from app.errors import AppError, InvalidInput
from app.services import citizen_actions, open311
from app.services.case_intake import MIN_CONTENT_WORDS, NewCase
from app.services.open311 import Filters, Open311Error

router = APIRouter(prefix="/open311/v2", tags=["open311"])
FIELDS = ("service_code", "description", "lat", "long", "address_string", "email", "first_name", "last_name",
          "phone", "media_url", "channel", "api_key", "device_id", "account_id", "address_id", "confidential")


def _error(exc: AppError) -> JSONResponse:
    description = exc.description if isinstance(exc, Open311Error) else f"{exc.message_en} {exc.detail or ''}"
    return JSONResponse([{"code": exc.status_code, "description": description.strip()}], status_code=exc.status_code)


async def _answer(request: Request, budget: int, work: Callable[[], Awaitable[Any]], status: int = 200) -> JSONResponse:
    """Runs the route and answers every failure in Open311 form ([{code, description}]), not the API's own."""
    try:
        ratelimit.check(request, f"open311_{request.method}", budget)
        return JSONResponse(await work(), status_code=status)
    except AppError as exc:
        return _error(exc)


def _sessions(request: Request) -> Any:
    return request.app.state.sessions


async def _services(request: Request) -> JSONResponse:
    def run() -> list[dict[str, Any]]:
        with _sessions(request)() as session:
            return open311.services(session)

    return await _answer(request, 120, lambda: asyncio.to_thread(run))


def _datetime(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name}: use a W3C / ISO 8601 datetime with a UTC offset") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _filters(params: Mapping[str, str]) -> Filters:
    status = params.get("status") or None
    if status not in (None, "open", "closed"):
        raise Open311Error(400, "status: open or closed")
    codes = [c.strip() for c in params.get("service_request_id", "").split(",") if c.strip()]
    return Filters(codes=codes, service_code=params.get("service_code") or None,
                   start=_datetime(params, "start_date"), end=_datetime(params, "end_date"), status=status)


async def _list(request: Request) -> JSONResponse:
    def run() -> list[dict[str, Any]]:
        filters = _filters(request.query_params)
        with _sessions(request)() as session:
            return open311.requests(session, filters, datetime.now(UTC))

    return await _answer(request, 120, lambda: asyncio.to_thread(run))


async def _fields(request: Request) -> dict[str, str]:
    """Form fields (as the spec says) or a JSON object (as chatbots tend to send)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise Open311Error(400, "the body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise Open311Error(400, "send a JSON object")
        raw: Mapping[str, Any] = body
    else:
        raw = await request.form()
    return {k: str(raw[k]).strip() for k in FIELDS if raw.get(k) not in (None, "")}


def _new_case(fields: Mapping[str, str]) -> NewCase:
    if not fields.get("service_code"):
        raise Open311Error(400, "service_code is required (see GET /open311/v2/services.json)")
    if len(fields.get("description", "").split()) < MIN_CONTENT_WORDS:
        # checked here too: the place appended below must not make a too-short description pass (Art. 6)
        raise Open311Error(400, f"description (content): say clearly what it is about, at least "
                                f"{MIN_CONTENT_WORDS} words")
    channel = fields.get("channel", "web")
    if channel not in open311.OPEN311_CHANNELS:
        raise Open311Error(400, f"channel: one of {', '.join(open311.OPEN311_CHANNELS)}")
    # Vietnamese names are written family name first
    name = " ".join(p for p in (fields.get("last_name"), fields.get("first_name")) if p)
    place = open311.location_text(fields)
    content = fields["description"] + (f"\n\n{place}" if place else "")
    return NewCase(citizen_name=name, content=content, channel=channel, citizen_phone=fields.get("phone"),
                   citizen_email=fields.get("email"), topic=fields["service_code"],
                   confidential=fields.get("confidential", "").lower() in ("1", "true", "yes"))


async def _create(request: Request) -> JSONResponse:
    async def work() -> list[dict[str, Any]]:
        fields = await _fields(request)
        new = _new_case(fields)
        place = {k: str(fields[k]) for k in open311.LOCATION_KEYS if fields.get(k)}

        def run() -> str:
            with _sessions(request)() as session:
                case = citizen_actions.file_request(session, new, datetime.now(UTC), f"open311-{new.channel}",
                                                    place)
                return case.code

        try:
            code = await asyncio.to_thread(run)
        except InvalidInput as exc:
            raise Open311Error(400, exc.detail or exc.message_en) from exc
        notice = f"Đã tiếp nhận. Mã hồ sơ {code}: dùng mã này và số điện thoại để tra cứu kết quả."
        return [{"service_request_id": code, "service_notice": notice, "account_id": None}]

    return await _answer(request, 30, work, status=201)


async def _one(request: Request) -> JSONResponse:
    code = request.path_params["service_request_id"].removesuffix(".json")

    def run() -> list[dict[str, Any]]:
        with _sessions(request)() as session:
            return [open311.one_request(session, code, datetime.now(UTC))]

    return await _answer(request, 120, lambda: asyncio.to_thread(run))


for suffix in (".json", ""):
    router.add_api_route(f"/services{suffix}", _services, methods=["GET"], summary="Topics as Open311 services")
    router.add_api_route(f"/requests{suffix}", _list, methods=["GET"], summary="Requests (no requester identity)")
    router.add_api_route(f"/requests{suffix}", _create, methods=["POST"], status_code=201,
                         summary="File a case (form fields or JSON)")
router.add_api_route("/requests/{service_request_id}", _one, methods=["GET"],
                     summary="One request; the id may end in .json")
