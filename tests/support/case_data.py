"""Shared case-test data: a migrated database with one agency, its focal point and head, and a provincial office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.services import agencies
from app.services.case_intake import NewCase

# Wednesday 2 December 2026, 09:00 in Asia/Ho_Chi_Minh: a plain working day, no holiday near.
WED_0900 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Who:
    role: str
    actor: str
    agency_id: int | None = None


OPERATOR = Who("operator", "op-1001")


@dataclass(frozen=True)
class World:
    sessions: sessionmaker[Session]
    agency_id: int
    other_agency_id: int


def build_world(url: str) -> World:
    migrate.upgrade(url)
    sessions = session_factory(make_engine(url))
    with sessions() as s:
        office = agencies.create_agency(s, {"kind": "provincial_office", "name": "Văn phòng UBND tỉnh",
                                            "jurisdiction": "quang-nam", "email": "vp@example.vn"})
        agencies.create_contact(s, office.id, {"role": "head", "name": "Chánh VP", "email": "cvp@example.vn"})
        dept = agencies.create_agency(s, {"kind": "department", "name": "Sở Giao thông vận tải",
                                          "jurisdiction": "quang-nam", "parent_id": office.id})
        agencies.create_contact(s, dept.id, {"role": "focal_point", "name": "Trần Thị B", "email": "b@example.vn",
                                             "phone": "0905111222"})
        agencies.create_contact(s, dept.id, {"role": "head", "name": "Lê Văn C", "email": "c@example.vn"})
        other = agencies.create_agency(s, {"kind": "district", "name": "UBND huyện Duy Xuyên",
                                           "jurisdiction": "quang-nam", "email": "dx@example.vn"})
        return World(sessions, dept.id, other.id)


def new_case(content: str = "Đường Hùng Vương bị sụt lún, ổ gà rất nguy hiểm", **kw: Any) -> NewCase:
    values: dict[str, Any] = {"citizen_name": "Nguyễn Văn An", "citizen_phone": "0905999000",
                                 "citizen_address": "12 Phan Châu Trinh, Tam Kỳ", "citizen_email": "an@example.vn",
                                 "topic": "infra", "content": content}
    values.update(kw)
    return NewCase(**values)
