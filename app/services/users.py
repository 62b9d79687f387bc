"""User administration: create with a password, change role or agency, deactivate, bind operators to extensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models_auth import User
from app.db.models_cases import Agency
from app.errors import AppError, UsernameTaken, UserNotFound
from app.services import auth, operators

ROLES = ("operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin")
AGENCY_ROLES = ("focal_point", "agency_head")


class ExtensionTaken(AppError):
    status_code = 409
    error_id = "extension_taken"
    message_vi = "Số máy lẻ này đã gắn với một tổng đài viên khác. Chọn số máy lẻ khác hoặc gỡ người dùng cũ."
    message_en = "This extension is already bound to another operator. Pick another one or unbind the old user."


class AgencyRequired(AppError):
    status_code = 422
    error_id = "agency_required"
    message_vi = "Đầu mối và thủ trưởng phải thuộc một cơ quan: gửi kèm agency_id."
    message_en = "Focal points and agency heads belong to an agency: send agency_id."


class UnknownAgency(AppError):
    status_code = 422
    error_id = "unknown_agency"
    message_vi = ("Không có cơ quan với agency_id này. Chọn một cơ quan trong danh sách /api/agencies; "
                  "không có gì bị thay đổi.")
    message_en = "No agency has this agency_id. Pick one from the list at /api/agencies; nothing was changed."


@dataclass(frozen=True)
class UserChange:
    display_name: str | None = None
    role: str | None = None
    agency_id: int | None = None
    active: bool | None = None
    password: str | None = None


def _check_agency(session: Session, role: str, agency_id: int | None) -> None:
    if role in AGENCY_ROLES and agency_id is None:
        raise AgencyRequired(role)
    if agency_id is not None and session.get(Agency, agency_id) is None:  # the foreign key would fail as a 500
        raise UnknownAgency(str(agency_id))


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(str(user_id))
    return user


def list_users(session: Session, role: str | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def create(session: Session, *, username: str, display_name: str, role: str, password: str, now: datetime,
           agency_id: int | None = None, extension: str | None = None) -> User:
    _check_agency(session, role, agency_id)
    password_hash = auth.hash_password(password)  # validates the length before anything is written
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(username)
    if extension is not None:
        operators.get(session, extension)  # only configured extensions have a SIP password
        if session.scalar(select(User.id).where(User.extension == extension)) is not None:
            raise ExtensionTaken(extension)
    user = User(username=username, display_name=display_name, role=role, agency_id=agency_id,
                extension=extension, password_hash=password_hash, active=True, created_at=now)
    session.add(user)
    session.commit()
    return user


def update(session: Session, user_id: int, change: UserChange) -> User:
    user = get(session, user_id)
    role = change.role or user.role
    agency_id = change.agency_id if change.agency_id is not None else user.agency_id
    _check_agency(session, role, agency_id)
    new_hash = auth.hash_password(change.password) if change.password is not None else None
    rights_changed = (role != user.role or agency_id != user.agency_id or change.active is False
                      or new_hash is not None)
    user.role, user.agency_id = role, agency_id
    if change.display_name is not None:
        user.display_name = change.display_name
    if change.active is not None:
        user.active = change.active
    if new_hash is not None:
        user.password_hash = new_hash
    if rights_changed:
        auth.revoke_all(session, user.id)
    session.commit()
    return user


def deactivate(session: Session, user_id: int) -> User:
    return update(session, user_id, UserChange(active=False))
