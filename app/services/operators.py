"""Operators' ACD state: kept in the database first, then applied to app_queue through AMI."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import names
from app.db.models import Operator, OperatorSkill
from app.errors import AppError

log = logging.getLogger("operators")
PAUSE_REASONS = ("break", "meal", "training", "meeting", "after_call_work", "other")
AmiSend = Callable[[dict[str, str]], Awaitable[Any]]


class UnknownOperator(AppError):
    status_code = 404
    error_id = "unknown_operator"
    message_vi = "Không có tổng đài viên với số máy lẻ này. Kiểm tra lại số máy lẻ."
    message_en = "No operator has this extension. Check the extension."


class InvalidSkill(AppError):
    status_code = 422
    error_id = "invalid_skill"
    message_vi = f"Kỹ năng không hợp lệ. Dùng một trong: {', '.join(names.SKILLS)}; mức ưu tiên từ 0 đến 100."
    message_en = f"Invalid skill. Use one of: {', '.join(names.SKILLS)}; penalty from 0 to 100."


def interface(extension: str) -> str:
    return f"PJSIP/{extension}"


def ensure_operators(session: Session, extensions: Iterable[str]) -> None:
    """Every configured extension has a row (new ones serve the general queue until given skills)."""
    known = set(session.scalars(select(Operator.extension)))
    for ext in extensions:
        if ext not in known:
            session.add(Operator(extension=ext, logged_in=False, paused=False))
            session.add(OperatorSkill(extension=ext, skill=names.SKILL_GENERAL, penalty=0))
    session.commit()


def get(session: Session, extension: str) -> Operator:
    operator = session.get(Operator, extension)
    if operator is None:
        raise UnknownOperator(extension)
    return operator


def skills_of(session: Session, extension: str) -> dict[str, int]:
    rows = session.scalars(select(OperatorSkill).where(OperatorSkill.extension == extension))
    return {row.skill: row.penalty for row in rows}


def set_skills(session: Session, extension: str, skills: dict[str, int]) -> None:
    get(session, extension)
    if any(s not in names.SKILLS or not 0 <= p <= 100 for s, p in skills.items()):
        raise InvalidSkill(str(skills))
    session.execute(delete(OperatorSkill).where(OperatorSkill.extension == extension))
    for skill, penalty in skills.items():
        session.add(OperatorSkill(extension=extension, skill=skill, penalty=penalty))
    session.commit()


def set_state(session: Session, extension: str, now: datetime, *, logged_in: bool | None = None,
              paused: bool | None = None, reason: str | None = None) -> Operator:
    operator = get(session, extension)
    if logged_in is not None:
        operator.logged_in = logged_in
        operator.paused = False
        operator.pause_reason = None
    if paused is not None:
        operator.paused = paused
        operator.pause_reason = reason if paused else None
    operator.updated_at = now
    session.commit()
    return operator


def actions_for(operator: Operator, skills: dict[str, int]) -> list[dict[str, str]]:
    """The AMI actions that make app_queue match the stored state of one operator."""
    iface = interface(operator.extension)
    if not operator.logged_in:
        return [{"Action": "QueueRemove", "Queue": names.queue_for(s), "Interface": iface} for s in names.SKILLS]
    actions = []
    for skill in names.SKILLS:
        queue = names.queue_for(skill)
        if skill in skills:
            actions.append({"Action": "QueueAdd", "Queue": queue, "Interface": iface, "MemberName": operator.extension,
                            "Penalty": str(skills[skill]), "Paused": "true" if operator.paused else "false",
                            "Reason": operator.pause_reason or "", "StateInterface": iface})
            actions.append({"Action": "QueuePause", "Queue": queue, "Interface": iface,
                            "Paused": "true" if operator.paused else "false", "Reason": operator.pause_reason or ""})
        else:
            actions.append({"Action": "QueueRemove", "Queue": queue, "Interface": iface})
    return actions


async def apply(send: AmiSend, actions: list[dict[str, str]]) -> bool:
    """Send the actions; "already there / not there" answers are fine. False if AMI is unreachable."""
    try:
        for action in actions:
            await send(action)
    except ConnectionError as exc:
        log.warning("AMI unavailable, state kept and re-applied on reconnect: %s", exc)
        return False
    return True


def list_all(session: Session) -> list[tuple[Operator, dict[str, int]]]:
    return [(o, skills_of(session, o.extension))
            for o in session.scalars(select(Operator).order_by(Operator.extension))]


async def resync(load: Callable[[], list[tuple[Operator, dict[str, int]]]], send: AmiSend) -> None:
    """After (re)connecting to AMI, make app_queue match the database: logins survive restarts."""
    for operator, skills in await asyncio.to_thread(load):
        await apply(send, actions_for(operator, skills))
