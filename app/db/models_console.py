"""Console tables: the knowledge base, the operators' event feed (screen-pops), and warm transfers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class KbArticle(Base):
    """A public-service answer operators read to citizens (Art. 9.1): procedure, documents, fees, where to file."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(256))
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    procedure: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[str] = mapped_column(Text, default="")
    fees: Mapped[str] = mapped_column(Text, default="")  # empty: not stated by the source; never invented
    time_limit: Mapped[str] = mapped_column(Text, default="")
    where_to_file: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(256))  # where the text comes from (a seed document, a decision)
    sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # shipped, to be replaced
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded (no diacritics) title + body
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(128))


class ConsoleEvent(Base):
    """One message for one operator's console (pop, answer, hang-up, transfer step), stored before it is sent.

    The database is the record; the Redis Stream is the fast path. A console that lost its WebSocket polls
    this table from the last id it saw, so no pop is lost for good.
    """

    __tablename__ = "console_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    extension: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # pop | connect | complete | ringnoanswer | transfer | device | state
    uniqueid: Mapped[str | None] = mapped_column(String(64), index=True)
    # Asterisk's own identity of the event (AMI Timestamp + kind + uniqueid): a replay after a failover is ignored.
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # on the Redis Stream


class Transfer(Base):
    """A warm (attended) transfer of a call to an agency's phone, or a blind one to 113/114/115; a state machine."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # attended | blind
    state: Mapped[str] = mapped_column(String(24))  # see app.domain.transfer
    call_uniqueid: Mapped[str] = mapped_column(String(64), index=True)  # the caller's channel
    caller_channel: Mapped[str | None] = mapped_column(String(128))
    operator_channel: Mapped[str | None] = mapped_column(String(128))
    extension: Mapped[str] = mapped_column(String(16), index=True)  # the operator who transfers
    agency_id: Mapped[int | None] = mapped_column(Integer)
    target_number: Mapped[str] = mapped_column(String(32))
    target_name: Mapped[str | None] = mapped_column(String(256))
    case_code: Mapped[str | None] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))  # completed | cancelled | no_answer | busy | failed
    detail: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{at, state, detail}]
