"""Listen, whisper and barge: ChanSpy originated to the supervisor's phone on an operator's live call.

AMI Originate (Async) rings PJSIP/<supervisor>; when the supervisor answers, ChanSpy runs on the operator's
exact channel. Options: q (no beep or channel name), w whisper / B barge, d (4/5/6 switch listen/whisper/barge,
keyed on the supervisor's phone or sent by the page as PlayDTMF with Receive on the supervisor's leg, which is
where ChanSpy reads DTMF), E (leave when the operator's leg hangs up) and S (leave when that leg was gone before
ChanSpy found it: a supervisor who answers as the call ends is not left in silence). Every start, switch and stop
goes into the audit chain with the supervisor, the operator, the call and the time.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Call
from app.db.models_auth import User
from app.errors import AppError
from app.services import audit_chain, channels
from app.services.case_access import Who
from app.services.channels import AmiSend, Snapshot

MODES = ("listen", "whisper", "barge")
MODE_OPTIONS = {"listen": "q", "whisper": "qw", "barge": "qB"}
MODE_DIGITS = {"listen": "4", "whisper": "5", "barge": "6"}  # ChanSpy's d option
COMMON_OPTIONS = "dES"
PREFIX = "spy"  # the supervisor leg's uniqueid (Originate ChannelId) starts with it
RING_SUPERVISOR_MS = 30_000
REAP_AFTER_S = 10  # an Async Originate's channel appears a moment after the action: younger sessions are kept


class SpyCallNotLive(AppError):
    status_code = 409
    error_id = "spy_call_not_live"
    message_vi = "Cuộc gọi này không còn diễn ra hoặc chưa có điện thoại viên nghe máy, nên không thể nghe xen."
    message_en = "This call is not live or no operator has answered it yet, so it cannot be listened to."


class NoSupervisorPhone(AppError):
    status_code = 422
    error_id = "spy_no_phone"
    message_vi = ("Tài khoản của bạn chưa gắn số máy lẻ nên không thể gọi tới điện thoại của bạn để nghe xen. "
                  "Nhờ quản trị viên gắn số máy lẻ cho tài khoản.")
    message_en = ("Your account has no extension, so there is no phone of yours to ring for listening in. "
                  "Ask an administrator to bind an extension to your account.")


class SupervisorPhoneBusy(AppError):
    status_code = 409
    error_id = "spy_phone_busy"
    message_vi = "Điện thoại của bạn đang trong một cuộc gọi khác (hoặc đang nghe xen). Gác máy đó rồi thử lại."
    message_en = "Your phone is on another call (or already listening in). Hang that up, then try again."


class SpyNotFound(AppError):
    status_code = 404
    error_id = "spy_not_found"
    message_vi = "Không tìm thấy phiên nghe xen này (có thể đã kết thúc)."
    message_en = "No such listening session (it may have ended)."


class SpyEnded(AppError):
    status_code = 409
    error_id = "spy_ended"
    message_vi = "Phiên nghe xen đã kết thúc (máy giám sát viên hoặc cuộc gọi đã gác)."
    message_en = "The listening session has ended (the supervisor's phone or the call hung up)."


@dataclass(frozen=True)
class SpySession:
    spy_id: str
    supervisor: str  # the supervisor's extension
    operator: str  # the operator's extension
    operator_channel: str
    call_uniqueid: str
    mode: str
    actor: str
    started_at: datetime

    def out(self, status: str = "ringing") -> dict[str, Any]:
        return {"spy_id": self.spy_id, "supervisor": self.supervisor, "operator": self.operator,
                "operator_channel": self.operator_channel, "call_uniqueid": self.call_uniqueid,
                "mode": self.mode, "started_at": self.started_at.isoformat(), "status": status}


@dataclass
class Spying:
    """What spying needs from the running app; `live` holds this process's sessions by spy_id."""

    sessions: sessionmaker[Session]
    send: AmiSend
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    live: dict[str, SpySession] = field(default_factory=dict)


def chanspy_data(operator_channel: str, mode: str) -> str:
    """ChanSpy's argument: the operator's exact channel (a prefix match on the full name), then the options."""
    if mode not in MODE_OPTIONS:
        raise ValueError(f"unknown spy mode {mode!r}")
    return f"{operator_channel},{MODE_OPTIONS[mode]}{COMMON_OPTIONS}"


def operator_leg(snap: Snapshot, uniqueid: str, extension: str | None) -> channels.Channel:
    """The operator's phone bridged with the call's channel (the call's operator when the database knows it)."""
    caller = snap.by_uniqueid(uniqueid)
    if caller is None or not caller.bridge:
        raise SpyCallNotLive(uniqueid)
    for peer in snap.peers(caller):
        if extension and channels.is_operator_leg(peer, extension):
            return peer
        if not extension and peer.name.startswith("PJSIP/") and not channels.is_agency_leg(peer):
            return peer
    raise SpyCallNotLive(f"{caller.name} is not bridged with an operator's phone")


def extension_from(channel_name: str) -> str:
    """PJSIP/1001-0000002a -> 1001."""
    return channel_name.split("/", 1)[-1].rsplit("-", 1)[0]


def _log(spying: Spying, who: Who, action: str, s: SpySession, detail: dict[str, Any] | None = None) -> None:
    with spying.sessions() as session:
        audit_chain.append(session, actor=who.actor, role=who.role, action=action, subject=s.call_uniqueid,
                           detail={"spy_id": s.spy_id, "supervisor": s.supervisor, "operator": s.operator,
                                   "channel": s.operator_channel, "mode": s.mode, **(detail or {})},
                           now=spying.clock())
        session.commit()


async def _reap(spying: Spying, who: Who, snap: Snapshot) -> None:
    """Sessions whose supervisor leg is gone (hung up, never answered): forgotten, and their end logged when seen."""
    now = spying.clock()
    gone = [s for s in spying.live.values()
            if snap.by_uniqueid(s.spy_id) is None and (now - s.started_at).total_seconds() > REAP_AFTER_S]
    for s in gone:
        spying.live.pop(s.spy_id, None)
        await asyncio.to_thread(_log, spying, who, "spy_stop", s, {"was_live": False, "noticed_after_hangup": True})


async def start(spying: Spying, who: Who, user_id: int | None, uniqueid: str, mode: str) -> dict[str, Any]:
    """Ring the supervisor's own phone; on answer ChanSpy joins the operator's leg in the given mode."""
    if mode not in MODES:
        raise ValueError(f"unknown spy mode {mode!r}")

    def prepare() -> tuple[str, str | None]:
        with spying.sessions() as session:
            own = session.scalar(select(User.extension).where(User.id == user_id)) if user_id is not None else None
            if not own:
                raise NoSupervisorPhone(f"user {user_id} has no extension")
            operator = session.scalar(select(Call.operator).where(Call.uniqueid == uniqueid))
            return own, operator

    supervisor, known_operator = await asyncio.to_thread(prepare)
    snap = await channels.snapshot(spying.send)
    await _reap(spying, who, snap)
    leg = operator_leg(snap, uniqueid, known_operator)
    if any(channels.is_operator_leg(c, supervisor) for c in snap.channels):
        raise SupervisorPhoneBusy(supervisor)
    s = SpySession(spy_id=f"{PREFIX}{secrets.token_hex(6)}", supervisor=supervisor,
                   operator=extension_from(leg.name), operator_channel=leg.name, call_uniqueid=uniqueid,
                   mode=mode, actor=who.actor, started_at=spying.clock())
    await channels.act(spying.send, {
        "Action": "Originate", "Channel": f"PJSIP/{supervisor}", "Application": "ChanSpy",
        "Data": chanspy_data(leg.name, mode), "Async": "true", "Timeout": str(RING_SUPERVISOR_MS),
        "ChannelId": s.spy_id, "CallerID": f'"Giam sat / Monitor {s.operator}" <{s.operator}>'})
    spying.live[s.spy_id] = s
    await asyncio.to_thread(_log, spying, who, "spy_start", s)
    return s.out()


def _get(spying: Spying, spy_id: str) -> SpySession:
    s = spying.live.get(spy_id)
    if s is None:
        raise SpyNotFound(spy_id)
    return s


async def switch(spying: Spying, who: Who, spy_id: str, mode: str) -> dict[str, Any]:
    """Key 4/5/6 into ChanSpy as if from the supervisor's phone (PlayDTMF Receive: ChanSpy reads its own leg)."""
    if mode not in MODES:
        raise ValueError(f"unknown spy mode {mode!r}")
    s = _get(spying, spy_id)
    mine = (await channels.snapshot(spying.send)).by_uniqueid(spy_id)
    if mine is None:
        spying.live.pop(spy_id, None)
        raise SpyEnded(spy_id)
    await channels.act(spying.send, {"Action": "PlayDTMF", "Channel": mine.name, "Digit": MODE_DIGITS[mode],
                                     "Duration": "200", "Receive": "true"})
    before, s = s.mode, replace(s, mode=mode)
    spying.live[spy_id] = s
    await asyncio.to_thread(_log, spying, who, "spy_mode", s, {"from": before})
    return s.out("spying")


async def stop(spying: Spying, who: Who, spy_id: str) -> dict[str, Any]:
    """Hang up the supervisor's leg (the operator's call goes on); logged even if it had already ended."""
    s = _get(spying, spy_id)
    mine = (await channels.snapshot(spying.send)).by_uniqueid(spy_id)
    if mine is not None:
        await channels.act(spying.send, {"Action": "Hangup", "Channel": mine.name})
    spying.live.pop(spy_id, None)
    await asyncio.to_thread(_log, spying, who, "spy_stop", s, {"was_live": mine is not None})
    return s.out("stopped")
