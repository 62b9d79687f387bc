"""The notification outbox: one row per message to send, written in the same transaction as the case event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime

KINDS = ("forwarding_slip", "escalation", "answer_to_citizen", "warning", "other")
CHANNELS = ("email", "sms", "zalo")
STATUSES = ("pending", "sending", "sent", "failed_permanent")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Notification(Base):
    """A message waiting for, being, or done with delivery. Rows are never deleted: failures stay visible."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="kind"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        # The dispatcher's claim query: due rows by status and time.
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(256))
    subject: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    # Template parameters (Zalo ZNS template_data); plain strings.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Loose link to cases.id (no FK), so the outbox does not depend on the case tables' migration.
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Sent with every attempt (Message-ID, Idempotency-Key, tracking_id) so the receiver can drop duplicates.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    # The lease: a row in "sending" whose lease has passed belongs to a dispatcher that died; it is sent again.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
