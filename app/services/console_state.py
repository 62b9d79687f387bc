"""An operator's console state: who they are, available/paused/wrap-up/logged out, their phone and current call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Call, Operator
from app.db.models_auth import User
from app.db.models_console import ConsoleEvent
from app.errors import AppError
from app.services import console_feed, operators

WRAPUP = "wrapup"  # pause reason of the wrap-up after each call (ended on time by the lease holder)
STATES = ("available", "paused", "logged_out", "end_wrapup")
LEADS = frozenset({"supervisor", "admin"})
# Device states of a PJSIP endpoint that has a registered contact.
REGISTERED = frozenset({"NOT_INUSE", "INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD"})
CALL_KINDS = ("pop", "connect", "complete", "ringnoanswer")


class NoExtension(AppError):
    status_code = 403
    error_id = "no_extension"
    message_vi = ("Tài khoản này chưa gắn với số máy lẻ nào nên không dùng được bàn làm việc tổng đài viên. "
                  "Nhờ quản trị viên gắn số máy lẻ cho tài khoản (giám sát viên có thể thêm ?extension=).")
    message_en = ("This account is bound to no extension, so it cannot use the operator console. Ask an "
                  "administrator to bind one (supervisors may add ?extension=).")


class ExtensionRequired(AppError):
    status_code = 422
    error_id = "extension_required"
    message_vi = ("Tài khoản giám sát/quản trị không gắn số máy lẻ: thêm ?extension=<số máy lẻ> để xem bàn làm việc "
                  "của một tổng đài viên.")
    message_en = ("Supervisor and admin accounts have no extension: add ?extension=<ext> to follow an operator's "
                  "console.")


class InvalidPauseReason(AppError):
    status_code = 422
    error_id = "invalid_pause_reason"
    message_vi = f"Lý do tạm nghỉ không hợp lệ. Chọn một trong: {', '.join(operators.PAUSE_REASONS)}."
    message_en = f"Invalid pause reason. Pick one of: {', '.join(operators.PAUSE_REASONS)}."


def extension_of(session: Session, user_id: int | None, role: str, requested: str | None = None) -> str:
    """The console's extension: the signed-in user's own; supervisors and admins may name another one."""
    own = session.scalar(select(User.extension).where(User.id == user_id)) if user_id is not None else None
    if requested and requested != own:
        if role not in LEADS:
            raise NoExtension(f"role {role} may only use its own extension")
        operators.get(session, requested)
        return requested
    if own:
        return own
    if role in LEADS:
        raise ExtensionRequired("no extension bound to this sign-in and none asked for")
    raise NoExtension("no extension bound to this sign-in")


def state_of(op: Operator) -> str:
    if not op.logged_in:
        return "logged_out"
    if op.paused:
        return "wrapup" if op.pause_reason == WRAPUP else "paused"
    return "available"


def registered(device_state: str | None) -> bool:
    return (device_state or "").upper() in REGISTERED


def current_call(session: Session, extension: str) -> dict[str, Any] | None:
    """The call ringing or answered at this console: its last call event, unless that call has ended."""
    last = session.scalar(select(ConsoleEvent).where(ConsoleEvent.extension == extension,
                                                     ConsoleEvent.kind.in_(CALL_KINDS))
                          .order_by(ConsoleEvent.id.desc()).limit(1))
    if last is None or last.kind not in ("pop", "connect") or not last.uniqueid:
        return None
    call = session.scalar(select(Call).where(Call.uniqueid == last.uniqueid))
    if call is not None and call.ended_at is not None:
        return None
    payload = last.payload or {}
    return {"uniqueid": last.uniqueid, "caller": payload.get("caller") or (call.caller_number if call else None),
            "channel": payload.get("caller_channel") or (call.channel if call else None),
            "operator_channel": payload.get("operator_channel"), "answered": last.kind == "connect"}


def display_name(session: Session, op: Operator) -> str:
    user_name = session.scalar(select(User.display_name).where(User.extension == op.extension))
    return user_name or op.name or op.extension


def me(session: Session, extension: str, wrapup_s: int, redis_ok: bool) -> dict[str, Any]:
    """The /api/console/me body (also the payload of "state" events)."""
    op = operators.get(session, extension)
    return {
        "extension": op.extension,
        "display_name": display_name(session, op),
        "state": state_of(op),
        "pause_reason": op.pause_reason if op.paused else None,
        "wrapup_until": op.wrapup_until.isoformat() if op.wrapup_until and op.pause_reason == WRAPUP else None,
        "wrapup_s": wrapup_s,
        "device_state": op.device_state,
        "registered": registered(op.device_state),
        "current_call": current_call(session, extension),
        "last_event_id": console_feed.last_id(session, extension),
        "redis": redis_ok,
    }


def change_state(session: Session, extension: str, state: str, reason: str | None, now: datetime) -> Operator:
    """Store the operator's chosen state (commits); the caller applies it to app_queue."""
    op = operators.get(session, extension)
    if state == "paused" and reason not in operators.PAUSE_REASONS:
        raise InvalidPauseReason(str(reason))
    if state not in STATES:
        raise AppError(f"unknown state {state!r}")
    if state == "end_wrapup" and not (op.paused and op.pause_reason == WRAPUP):
        return op  # already over (the timer ended it, or the operator chose another state)
    op.wrapup_until = None
    op.state_since = now
    if state == "logged_out":
        return operators.set_state(session, extension, now, logged_in=False)
    if not op.logged_in:
        operators.set_state(session, extension, now, logged_in=True)
    if state == "paused":
        return operators.set_state(session, extension, now, paused=True, reason=reason)
    return operators.set_state(session, extension, now, paused=False)


def start_wrapup(session: Session, extension: str, now: datetime, wrapup_s: int) -> datetime | None:
    """After a call (AgentComplete): pause with reason "wrapup" until now + wrapup_s. No commit.

    A logged-out operator, or one who paused with a reason of their own, is left as they are.
    """
    op = session.get(Operator, extension)
    if op is None or wrapup_s <= 0 or not op.logged_in or (op.paused and op.pause_reason != WRAPUP):
        return None
    op.paused, op.pause_reason = True, WRAPUP
    op.wrapup_until = now + timedelta(seconds=wrapup_s)
    op.state_since = op.updated_at = now
    return op.wrapup_until


def end_expired_wrapups(session: Session, now: datetime) -> list[str]:
    """Wrap-ups whose time is up become available again (commits); returns their extensions."""
    ended = []
    for op in session.scalars(select(Operator).where(Operator.wrapup_until.is_not(None),
                                                     Operator.wrapup_until <= now)):
        if op.logged_in and op.paused and op.pause_reason == WRAPUP:
            op.paused, op.pause_reason = False, None
            op.state_since = op.updated_at = now
            ended.append(op.extension)
        op.wrapup_until = None
    session.commit()
    return ended


def set_device_state(session: Session, extension: str, device_state: str) -> bool:
    """Store the phone's device state (no commit); True when it changed."""
    op = session.get(Operator, extension)
    if op is None or op.device_state == device_state:
        return False
    op.device_state = device_state
    return True


def add_state_event(session: Session, extension: str, now: datetime, wrapup_s: int) -> ConsoleEvent:
    """A "state" console event carrying the /me body, so every open console of this operator follows."""
    return console_feed.add(session, extension, "state", me(session, extension, wrapup_s, True), now=now)
