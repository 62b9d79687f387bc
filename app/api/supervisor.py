"""Supervisors' JSON routes: the wallboard snapshot, forced pause or log-out of an operator, today's alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app import names
from app.api.auth import Principal, require_roles
from app.api.policy import roles_for
from app.services import console_feed, operators, wallboard, wallboard_force, wallboard_live
from app.services.wallboard_live import Live
from app.services.wallboard_queue_log import QueueLogReader, queue_log_path
from app.settings import Settings, get_settings

router = APIRouter(prefix="/api", tags=["supervisor"])


def _roles(method: str, path: str) -> Any:
    return require_roles(*roles_for(method, path))


class ForceIn(BaseModel):
    reason: str = Field(min_length=1, max_length=wallboard_force.REASON_MAX)


class ForceOut(BaseModel):
    extension: str
    state: str
    reason: str
    applied: bool  # False: stored, applied to Asterisk when the AMI link is back


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


async def _live(request: Request, settings: Settings, now: datetime) -> Live:
    link = getattr(request.app.state, "ami_link", None)
    if link is None:
        return Live(ok=False)
    return await wallboard_live.read(link.send, settings.operators, now)


@router.get("/wallboard")
async def get_wallboard(request: Request,
                        _who: Principal = Depends(_roles("GET", "/api/wallboard"))) -> dict[str, Any]:
    """A fresh reading of Asterisk joined with today's figures; read td:wallboard from before this call on."""
    settings, now = _settings(request), _now(request)
    live = await _live(request, settings, now)
    sessions = request.app.state.sessions

    def load() -> dict[str, Any]:
        tz = ZoneInfo(settings.timezone)
        reader = QueueLogReader(queue_log_path(settings))
        days = reader.read(wallboard.day_start(now, tz))
        with sessions() as session:
            return wallboard.build(session, live, names.QUEUES, settings.service_level_s, now, days,
                                   reader.handled if days is not None else None, tz)

    return await asyncio.to_thread(load)


@router.get("/alerts")
async def get_alerts(request: Request, since: datetime | None = Query(None),
                     _who: Principal = Depends(_roles("GET", "/api/alerts"))) -> dict[str, Any]:
    now = _now(request)
    start = since if since is not None else wallboard.day_start(now)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    sessions = request.app.state.sessions

    def load() -> list[dict[str, Any]]:
        with sessions() as session:
            return wallboard.alerts_since(session, start)

    return {"alerts": await asyncio.to_thread(load)}


async def _force(request: Request, who: Principal, extension: str, action: str, reason: str) -> ForceOut:
    settings, now, sessions = _settings(request), _now(request), request.app.state.sessions

    def store() -> tuple[Any, dict[str, int], Any]:
        with sessions() as session:
            op, row = wallboard_force.force(session, extension, action, reason, actor=who.actor, role=who.role,
                                            wrapup_s=settings.wrapup_s, now=now)
            return op, operators.skills_of(session, extension), row

    op, skills, row = await asyncio.to_thread(store)
    link = getattr(request.app.state, "ami_link", None)
    applied = link is not None and await operators.apply(link.send, operators.actions_for(op, skills))
    await console_feed.publish_rows(getattr(request.app.state, "redis", None), [row], sessions)
    state = "paused" if action == "force_pause" else "logged_out"
    return ForceOut(extension=extension, state=state, reason=row.payload["forced"]["reason"], applied=applied)


@router.post("/operators/{extension}/force-pause", response_model=ForceOut)
async def force_pause(request: Request, extension: str, body: ForceIn,
                      who: Principal = Depends(_roles("POST", "/api/operators/{extension}/force-pause"))) -> ForceOut:
    return await _force(request, who, extension, "force_pause", body.reason)


@router.post("/operators/{extension}/force-logout", response_model=ForceOut)
async def force_logout(request: Request, extension: str, body: ForceIn,
                       who: Principal = Depends(_roles("POST", "/api/operators/{extension}/force-logout"))) -> ForceOut:
    return await _force(request, who, extension, "force_logout", body.reason)
