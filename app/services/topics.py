"""Topics (fields) of Art. 4: five groups, configurable by the administrator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_cases import Topic
from app.services.case_errors import Conflict, TopicNotFound

FIELDS = ("name_vi", "art4_group", "parent_id", "active")


def list_topics(session: Session, *, active_only: bool = False) -> list[Topic]:
    stmt = select(Topic).order_by(Topic.art4_group, Topic.code)
    if active_only:
        stmt = stmt.where(Topic.active.is_(True))
    return list(session.scalars(stmt))


def get_topic(session: Session, code: str) -> Topic:
    topic = session.scalar(select(Topic).where(Topic.code == code))
    if topic is None:
        raise TopicNotFound(f"topic {code!r}")
    return topic


def _check_parent(session: Session, parent_id: int | None, code: str) -> None:
    if parent_id is None:
        return
    parent = session.get(Topic, parent_id)
    if parent is None:
        raise TopicNotFound(f"parent topic id {parent_id}")
    if parent.code == code:
        raise Conflict("a topic cannot be its own parent")


def create_topic(session: Session, code: str, values: Mapping[str, Any]) -> Topic:
    if session.scalar(select(Topic.id).where(Topic.code == code)) is not None:
        raise Conflict(f"topic {code!r} exists already")
    _check_parent(session, values.get("parent_id"), code)
    topic = Topic(code=code, **{k: v for k, v in values.items() if k in FIELDS})
    session.add(topic)
    session.commit()
    return topic


def update_topic(session: Session, code: str, values: Mapping[str, Any]) -> Topic:
    topic = get_topic(session, code)
    if "parent_id" in values:
        _check_parent(session, values["parent_id"], code)
    for key, value in values.items():
        if key in FIELDS:
            setattr(topic, key, value)
    session.commit()
    return topic


def delete_topic(session: Session, code: str) -> None:
    """A topic cases refer to is kept (deactivate it instead); so is one with sub-topics."""
    topic = get_topic(session, code)
    if session.scalar(select(Case.id).where(Case.topic == code).limit(1)) is not None:
        raise Conflict(f"cases use topic {code!r}: deactivate it (active=false) instead")
    if session.scalar(select(Topic.id).where(Topic.parent_id == topic.id).limit(1)) is not None:
        raise Conflict(f"topic {code!r} has sub-topics: delete or move them first")
    session.delete(topic)
    session.commit()
