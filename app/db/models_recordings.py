"""Tables for call recordings, their transcripts, the retention policy and the hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class Recording(Base):
    """One MixMonitor file (or one voice message), linked to its call by Asterisk's uniqueid and linkedid.

    The row is created from AMI's MixMonitorStart (never by scanning folders). `state` moves
    recording -> ended -> stored -> ready (or missing / failed / deleted); `sha256` is the evidence hash of
    the original as Asterisk wrote it, taken before anything else touched it.
    """

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The channel MixMonitor ran on, and the call it belongs to (a masquerade changes uniqueids, never linkedid).
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    # inbound (left: citizen) | callback (left: operator) | agency_leg (left: agency) | voicemail (mono: citizen)
    kind: Mapped[str] = mapped_column(String(16))
    # Where Asterisk wrote it, as Asterisk sees the path (inside its chroot); unique: one row per file.
    source_path: Mapped[str] = mapped_column(String(512), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Ingest: the original in the store, its evidence hash and size; the compact copy and its own hash.
    store_path: Mapped[str | None] = mapped_column(String(512))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    compact_path: Mapped[str | None] = mapped_column(String(512))
    compact_sha256: Mapped[str | None] = mapped_column(String(64))
    compact_bytes: Mapped[int | None] = mapped_column(BigInteger)
    compact_format: Mapped[str | None] = mapped_column(String(32))  # e.g. "ogg/opus 32k stereo"
    ingested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The case this recording is evidence for (the case filed from the call, or later from the callback list).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    # none | queued | done | failed | dead
    transcript_status: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(512))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Transcript(Base):
    """Vosk's words per channel with timestamps, merged into one speaker-labelled transcript."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    model: Mapped[str] = mapped_column(String(128))
    sample_rate: Mapped[int] = mapped_column(Integer)
    # [{"speaker": "citizen"|"operator"|"agency", "channel": 0|1, "start": s, "end": s, "text": str,
    #   "words": [{"word": str, "start": s, "end": s, "conf": float}]}], ordered by start time
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")  # "Người dân: ...\nTổng đài viên: ..."
    text_search: Mapped[str] = mapped_column(Text, default="")  # lowercased, diacritics stripped, đ -> d


class RetentionPolicy(Base):
    """How long recordings of one kind are kept (answered, abandoned, voicemail, ...); 0 days: forever."""

    __tablename__ = "retention_policies"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    keep_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(128))


class LegalHold(Base):
    """A case whose recordings must not be deleted, whatever the retention policy says."""

    __tablename__ = "legal_holds"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(512))
    placed_by: Mapped[str] = mapped_column(String(128))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditChainEntry(Base):
    """One append-only audit entry, chained to the previous one by SHA-256 (never updated or deleted).

    hash = sha256(prev_hash + canonical JSON of (seq, at, actor, role, action, subject, detail)).
    """

    __tablename__ = "audit_chain"
    __table_args__ = (UniqueConstraint("seq", name="uq_audit_chain_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)  # 1, 2, 3 ...: a racing writer fails on the unique seq and retries
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))  # play | download | export | verify | case_change | delete ...
    subject: Mapped[str] = mapped_column(String(128), index=True)  # "recording:12", "case:QN-2026-000001"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))



class AuditChainHead(Base):
    """The chain's newest seq and hash in one row: every writer updates it first, which serialises appends."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
