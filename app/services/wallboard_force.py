"""A supervisor forces an operator to pause or log out: stored, logged in the audit chain, shown on the console."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import Operator
from app.db.models_console import ConsoleEvent
from app.errors import AppError
from app.services import audit_chain, console_feed, console_state, operators

ACTIONS = ("force_pause", "force_logout")
REASON_MAX = 64  # operators.pause_reason's width


class InvalidForceReason(AppError):
    status_code = 422
    error_id = "invalid_force_reason"
    message_vi = f"Cần ghi lý do (1 đến {REASON_MAX} ký tự, không dùng lý do dành riêng \"wrapup\")."
    message_en = f"A reason is required (1 to {REASON_MAX} characters, not the reserved \"wrapup\")."


def clean_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text or len(text) > REASON_MAX or text == console_state.WRAPUP:
        raise InvalidForceReason(repr(reason))
    return text


def force(session: Session, extension: str, action: str, reason: str, *, actor: str, role: str, wrapup_s: int,
          now: datetime) -> tuple[Operator, ConsoleEvent]:
    """Store the forced state, its audit chain entry and the console's "state" event in one commit.

    The caller applies the operator's state to app_queue and publishes the returned console row.
    """
    text = clean_reason(reason)
    op = operators.get(session, extension)
    if action not in ACTIONS:
        raise AppError(f"unknown action {action!r}")
    op.wrapup_until = None
    op.state_since = op.updated_at = now
    if action == "force_logout":
        op.logged_in, op.paused, op.pause_reason = False, False, None
    else:
        op.logged_in, op.paused, op.pause_reason = True, True, text
    audit_chain.append(session, actor=actor, role=role, action=action, subject=f"operator:{extension}",
                       detail={"reason": text}, now=now)
    session.flush()
    payload: dict[str, Any] = console_state.me(session, extension, wrapup_s, True)
    payload["forced"] = {"action": action, "by": actor, "reason": text, "at": now.isoformat()}
    row = console_feed.add(session, extension, "state", payload, now=now)
    session.commit()
    return op, row
