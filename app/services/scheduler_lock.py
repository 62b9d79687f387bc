"""A named lease in the database, so that one of several app processes runs a periodic job at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.db.models_cases import SchedulerLock


def acquire(session: Session, name: str, holder: str, now: datetime, lease: timedelta) -> bool:
    """Take or renew the lease; False when another holder's lease has not expired. Commits.

    The conditional UPDATE is atomic on every database (PostgreSQL row lock, SQLite write lock); the INSERT
    covers the first use, and a primary-key clash means someone else took it first.
    """
    expires = now + lease
    try:
        result = session.execute(
            update(SchedulerLock)
            .where(SchedulerLock.name == name, (SchedulerLock.expires_at <= now) | (SchedulerLock.holder == holder))
            .values(holder=holder, expires_at=expires)
        )
        if cast(CursorResult[Any], result).rowcount:
            session.commit()
            return True
        if session.get(SchedulerLock, name) is not None:
            session.rollback()
            return False
        session.add(SchedulerLock(name=name, holder=holder, expires_at=expires))
        session.commit()
        return True
    except (IntegrityError, OperationalError):
        # IntegrityError: another process inserted the row first. OperationalError: SQLite gave up waiting
        # for the write lock; either way someone else is running the job this round.
        session.rollback()
        return False


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease up early (only if still ours), so the next round need not wait for it to expire."""
    session.execute(delete(SchedulerLock).where(SchedulerLock.name == name, SchedulerLock.holder == holder))
    session.commit()
