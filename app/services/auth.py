"""Sign-in: argon2 password hashes, bearer tokens stored as SHA-256, session lookup and revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models_auth import AuthSession, User
from app.errors import LoginFailed, WeakPassword

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=12)  # one working day plus overtime; then sign in again

_hasher = PasswordHasher()
# verified against when the username is unknown, so both failures cost the same time
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


@dataclass(frozen=True)
class LoginResult:
    token: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionUser:
    user_id: int
    username: str
    role: str
    agency_id: int | None
    session_id: int


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"{len(password)} characters given, {MIN_PASSWORD_LENGTH} needed")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, username: str, password: str, now: datetime) -> LoginResult:
    """Check the password and open a session; any failure is the same LoginFailed."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise LoginFailed()
    if not verify_password(user.password_hash, password) or not user.active:
        raise LoginFailed()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    # the user's expired sessions are of no use to anyone: drop them so the table stays small
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id, AuthSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    session.add(AuthSession(token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=expires_at))
    session.commit()
    return LoginResult(token=token, role=user.role, expires_at=expires_at)


def session_user(session: Session, token: str, now: datetime) -> SessionUser | None:
    """The active user behind a bearer token, or None (unknown, expired, revoked or deactivated)."""
    row = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    auth, user = row
    if auth.revoked or auth.expires_at <= now or not user.active:
        return None
    return SessionUser(user_id=user.id, username=user.username, role=user.role, agency_id=user.agency_id,
                       session_id=auth.id)


def logout(session: Session, token: str) -> None:
    auth = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
    if auth is not None:
        auth.revoked = True
        session.commit()


def revoke_all(session: Session, user_id: int) -> None:
    """Used when a user is deactivated or changes role: open sessions must not keep the old rights."""
    for auth in session.scalars(select(AuthSession).where(AuthSession.user_id == user_id,
                                                          AuthSession.revoked.is_(False))):
        auth.revoked = True
