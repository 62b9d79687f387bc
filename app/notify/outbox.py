"""Writing to the outbox: the row joins the caller's transaction, so it commits (or not) with the case event."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models_outbox import CHANNELS, KINDS, Notification
from app.errors import InvalidInput
from app.notify.templates import Rendered

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?\d{8,15}$")
_KEY = re.compile(r"^[A-Za-z0-9._:@/-]{1,128}$")


def _validate(kind: str, channel: str, recipient: str, key: str | None, now: datetime) -> None:
    problems = []
    if kind not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)}")
    if channel not in CHANNELS:
        problems.append(f"channel must be one of {', '.join(CHANNELS)}")
    elif channel == "email" and not _EMAIL.match(recipient):
        problems.append("recipient must be an email address for the email channel")
    elif channel != "email" and not _PHONE.match(recipient.replace(" ", "")):
        problems.append(f"recipient must be a phone number (8-15 digits) for the {channel} channel")
    if key is not None and not _KEY.match(key):
        problems.append("key must be 1-128 characters from A-Z a-z 0-9 . _ : @ / -")
    if now.tzinfo is None:
        problems.append("now must be an aware datetime")
    if problems:
        raise InvalidInput("; ".join(problems))


def enqueue(session: Session, *, kind: str, channel: str, recipient: str, subject: str, body: str,
            case_id: int | None = None, key: str | None = None, now: datetime,
            data: Mapping[str, str] | None = None) -> Notification:
    """Add a notification to the caller's session (no commit). The same key twice gives back the first row.

    Give a key derived from the event (e.g. f"case:{case_id}:event:{event_id}:slip:email") so that a retried
    request does not notify twice; without one a random key is used.
    """
    _validate(kind, channel, recipient, key, now)
    if key is not None:
        existing = session.scalars(select(Notification).where(Notification.idempotency_key == key)).first()
        if existing is not None:
            return existing
    row = Notification(
        kind=kind, channel=channel, recipient=recipient.strip() if channel == "email" else recipient.replace(" ", ""),
        subject=subject[:256], body=body, data=dict(data or {}), case_id=case_id,
        idempotency_key=key or f"n-{uuid.uuid4().hex}", status="pending", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    session.add(row)
    return row


def enqueue_rendered(session: Session, rendered: Rendered, *, channel: str, recipient: str,
                     case_id: int | None = None, key: str | None = None, now: datetime) -> Notification:
    """enqueue() a rendered template: the full text for email, the short text for SMS and Zalo."""
    return enqueue(session, kind=rendered.kind, channel=channel, recipient=recipient, subject=rendered.subject,
                   body=rendered.text_for(channel), case_id=case_id, key=key, now=now, data=rendered.data)
