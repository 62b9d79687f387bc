"""Listen, whisper and barge: ChanSpy originated to the supervisor's phone on an operator's live call.

AMI Originate (Async) rings PJSIP/<supervisor> into the td-spy context; when the supervisor answers, their leg is
recorded (kind supervision, linked to the spied call) and ChanSpy runs on the operator's exact channel.
Options: q (no beep or channel name), w whisper / B barge, d (4/5/6 switch listen/whisper/barge, keyed on the
supervisor's phone or sent by the page as PlayDTMF with Receive on the supervisor's leg, which is
where ChanSpy reads DTMF), E (leave when the operator's leg hangs up) and S (leave when that leg was gone before
ChanSpy found it: a supervisor who answers as the call ends is not left in silence). Every start, switch and stop
goes into the audit chain with the supervisor, the operator, the call and the time.

Sessions are rows (app.services.spy_store), written before the API answers; the supervisor's leg has the session's
id as its uniqueid, so after a restart the live leg is found again in CoreShowChannels. Asterisk's events end them
(app.services.spy_events); a resync at every AMI (re)connect ends those whose leg went while nobody listened.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.db.models import Call
from app.db.models_auth import User
from app.db.models_spy import SpySessionRow
from app.errors import AppError
from app.services import channels, spy_events, spy_store
from app.services.case_access import Who
from app.services.channels import AmiSend, Snapshot
from app.services.spy_store import Actor

MODES = ("listen", "whisper", "barge")
MODE_OPTIONS = {"listen": "q", "whisper": "qw", "barge": "qB"}
MODE_DIGITS = {"listen": "4", "whisper": "5", "barge": "6"}  # ChanSpy's d option
COMMON_OPTIONS = "dES"
PREFIX = spy_events.PREFIX  # the supervisor leg's uniqueid (Originate ChannelId) starts with it
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



@dataclass
class Spying:
    """What spying needs from the running app: the database and an AMI link (no session lives in memory)."""

    sessions: sessionmaker[Session]
    send: AmiSend
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def chanspy_options(mode: str) -> str:
    if mode not in MODE_OPTIONS:
        raise ValueError(f"unknown spy mode {mode!r}")
    return f"{MODE_OPTIONS[mode]}{COMMON_OPTIONS}"


def chanspy_data(operator_channel: str, mode: str) -> str:
    """ChanSpy's argument: the operator's exact channel (a prefix match on the full name), then the options."""
    return f"{operator_channel},{chanspy_options(mode)}"


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


def _actor(who: Who) -> Actor:
    return Actor(who.actor, who.role)


def _young(spying: Spying, started_at: datetime) -> bool:
    return (spying.clock() - started_at).total_seconds() <= REAP_AFTER_S


async def reconcile(spying: Spying, snap: Snapshot | None = None) -> list[str]:
    """Open sessions whose supervisor leg is gone (hung up or never answered, maybe while the app was down) are
    ended and their end logged; live ones learn their leg's channel. Returns the ids ended."""
    snap = snap if snap is not None else await channels.snapshot(spying.send)

    def run() -> list[str]:
        ended = []
        with spying.sessions() as session:
            rows = [(r.id, r.started_at, r.supervisor_channel) for r in spy_store.open_rows(session)]
            for spy_id, started_at, known in rows:
                leg = snap.by_uniqueid(spy_id)
                if leg is not None and leg.name != known:
                    spy_store.learn_channel(session, spy_id, leg.name)
                # A leg once seen and now missing is gone at any age; one never seen may just not exist yet.
                elif leg is None and (known or not _young(spying, started_at)) and spy_store.end(
                        session, spy_id, "gone", spy_store.SYSTEM, spying.clock(), {"noticed_after_hangup": True}):
                    ended.append(spy_id)
        return ended

    return await asyncio.to_thread(run)


async def start(spying: Spying, who: Who, user_id: int | None, uniqueid: str, mode: str) -> dict[str, Any]:
    """Ring the supervisor's own phone; on answer their leg is recorded and ChanSpy joins the operator's leg.

    The session and its spy_start are stored before the Originate, so Asterisk's first event about the new leg
    (MixMonitorStart, ChanSpyStart) always finds its row; an Originate refused ends it at once (logged).
    """
    if mode not in MODES:
        raise ValueError(f"unknown spy mode {mode!r}")

    def prepare() -> tuple[str, str | None, str | None]:
        with spying.sessions() as session:
            own = session.scalar(select(User.extension).where(User.id == user_id)) if user_id is not None else None
            if not own:
                raise NoSupervisorPhone(f"user {user_id} has no extension")
            call = session.execute(select(Call.operator, Call.linkedid).where(Call.uniqueid == uniqueid)).first()
            return own, call.operator if call else None, call.linkedid if call else None

    supervisor, known_operator, linkedid = await asyncio.to_thread(prepare)
    snap = await channels.snapshot(spying.send)
    await reconcile(spying, snap)
    leg = operator_leg(snap, uniqueid, known_operator)
    if any(channels.is_operator_leg(c, supervisor) for c in snap.channels):
        raise SupervisorPhoneBusy(supervisor)
    row = SpySessionRow(id=f"{PREFIX}{secrets.token_hex(6)}", supervisor_user_id=user_id, actor=who.actor[:128],
                        role=who.role, supervisor=supervisor, operator=extension_from(leg.name),
                        operator_channel=leg.name, call_uniqueid=uniqueid, call_linkedid=linkedid or uniqueid,
                        mode=mode, state=spy_store.RINGING, started_at=spying.clock())

    def store() -> dict[str, Any]:
        with spying.sessions() as session:
            session.add(row)
            spy_store.log(session, _actor(who), "spy_start", row, row.started_at)
            session.commit()
            return spy_store.out(row)

    shown = await asyncio.to_thread(store)
    try:
        await channels.act(spying.send, {
            "Action": "Originate", "Channel": f"PJSIP/{supervisor}", "Context": names.CTX_SPY, "Exten": "s",
            "Priority": "1", "Async": "true", "Timeout": str(RING_SUPERVISOR_MS), "ChannelId": row.id,
            "Variable": f"{names.VAR_SPY_CHANNEL}={leg.name},{names.VAR_SPY_OPTIONS}={chanspy_options(mode)}",
            "CallerID": f'"Giam sat / Monitor {shown["operator"]}" <{shown["operator"]}>'})
    except Exception:
        await asyncio.to_thread(_end, spying, row.id, "originate_failed", _actor(who), {})
        raise
    return shown


def _end(spying: Spying, spy_id: str, reason: str, who: Actor, extra: dict[str, Any]) -> bool:
    with spying.sessions() as session:
        return spy_store.end(session, spy_id, reason, who, spying.clock(), extra)


def _load(spying: Spying, spy_id: str) -> dict[str, Any]:
    with spying.sessions() as session:
        row = spy_store.get(session, spy_id)
        if row is None:
            raise SpyNotFound(spy_id)
        return {**spy_store.out(row), "state": row.state}


def _view(s: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in s.items() if k != "state"}


async def switch(spying: Spying, who: Who, spy_id: str, mode: str) -> dict[str, Any]:
    """Store the new mode (and log it), then key 4/5/6 into ChanSpy as if from the supervisor's phone (PlayDTMF
    Receive: ChanSpy reads its own leg). Stored first, so the digit read back as DTMFEnd is already known."""
    if mode not in MODES:
        raise ValueError(f"unknown spy mode {mode!r}")
    s = await asyncio.to_thread(_load, spying, spy_id)
    if s["state"] == spy_store.ENDED:
        raise SpyEnded(spy_id)
    snap = await channels.snapshot(spying.send)
    mine = snap.by_uniqueid(spy_id)
    if mine is None:
        await reconcile(spying, snap)  # ends it (logged) unless it may still be about to ring
        raise SpyEnded(spy_id)
    if s["mode"] == mode:
        return {**_view(s), "status": "spying"}

    def store(to: str, extra: dict[str, Any], digit: str = "") -> dict[str, Any] | None:
        with spying.sessions() as session:
            if not digit:
                spy_store.forget_page_digit(session, spy_id)
            row = spy_store.set_mode(session, spy_id, to, _actor(who), spying.clock(), extra, digit)
            return spy_store.out(row, "spying") if row is not None else None

    switched = await asyncio.to_thread(store, mode, {"by": "page"}, MODE_DIGITS[mode])
    if switched is None:
        raise SpyEnded(spy_id)
    try:
        await channels.act(spying.send, {"Action": "PlayDTMF", "Channel": mine.name, "Digit": MODE_DIGITS[mode],
                                         "Duration": "200", "Receive": "true"})
    except Exception:
        await asyncio.to_thread(store, s["mode"], {"by": "page", "reverted": "the digit could not be sent"})
        raise
    return switched


async def stop(spying: Spying, who: Who, spy_id: str) -> dict[str, Any]:
    """End the session (logged once, even if Asterisk ended it first), then hang up the supervisor's leg; the
    operator's call goes on. Ended first, so the Hangup event that follows finds nothing left to log."""
    await asyncio.to_thread(_load, spying, spy_id)
    mine = (await channels.snapshot(spying.send)).by_uniqueid(spy_id)
    await asyncio.to_thread(_end, spying, spy_id, "stopped", _actor(who), {"was_live": mine is not None})
    if mine is not None:
        await channels.act(spying.send, {"Action": "Hangup", "Channel": mine.name})
    return _view(await asyncio.to_thread(_load, spying, spy_id)) | {"status": "stopped"}
