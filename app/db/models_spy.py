"""Listen, whisper and barge sessions: one row per supervisor leg, stored before the API answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class SpySessionRow(Base):
    """A supervisor's ChanSpy on one operator's leg of one call.

    The id is also the uniqueid of the supervisor's leg (Originate ChannelId), so the live channel is found again
    from Asterisk alone (CoreShowChannels) after the web app restarts. `state` moves ringing -> spying -> ended;
    it ends once, whichever comes first: the page's stop, ChanSpyStop, the leg's Hangup, or a resync that finds
    the leg gone.
    """

    __tablename__ = "spy_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    supervisor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(128))  # who started it, as written in the audit chain
    role: Mapped[str] = mapped_column(String(32))
    supervisor: Mapped[str] = mapped_column(String(32))  # the supervisor's extension
    supervisor_channel: Mapped[str | None] = mapped_column(String(128))  # learned from ChanSpyStart or a resync
    operator: Mapped[str] = mapped_column(String(32), index=True)
    operator_channel: Mapped[str] = mapped_column(String(128))
    call_uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    call_linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # listen | whisper | barge
    # Digits the page sent (PlayDTMF) whose DTMFEnd has not been read back yet, oldest first: read back, they are
    # the page's own switches (already stored and logged), not the supervisor keying on the phone.
    page_digits: Mapped[str] = mapped_column(String(16), default="", server_default="")
    state: Mapped[str] = mapped_column(String(16), index=True)  # ringing | spying | ended
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # stopped (the page) | chanspy_stop | supervisor_hangup | gone (found gone on resync) | originate_failed
    end_reason: Mapped[str | None] = mapped_column(String(32))
