"""A small week of cases (Mon 16 - Fri 20 Nov 2026) made through the case service, for public and report tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.services import agencies, cases
from app.services.case_intake import NewCase

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN = Principal(token_id="seed", role="admin", username="seed-admin")
PHONE_A = "0905123456"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=VN)


@dataclass(frozen=True)
class Seeded:
    agency_id: int
    other_agency_id: int
    a: str  # forwarded, answered on time by the focal point; content mentions a phone and an e-mail
    b: str  # the same, but confidential
    c: str  # forwarded, escalated to the head, answered by the head in time
    d: str  # forwarded, escalated, overdue (other agency)
    e: str  # received from the web, not handled yet


def _case(session: Session, when: datetime, *, channel: str = "phone", confidential: bool = False,
          content: str = "Đèn đường hỏng nhiều ngày ở đường Trần Phú", phone: str = "0912000000") -> str:
    new = NewCase(citizen_name="Nguyễn Văn An", content=content, channel=channel, citizen_phone=phone,
                  citizen_address="12 Trần Phú, Tam Kỳ", citizen_email="an@example.vn", topic="infra",
                  confidential=confidential)
    return cases.create_case(session, new, who=ADMIN, now=when).code


def _do(session: Session, code: str, action: str, when: datetime, **data: str) -> None:
    cases.transition(session, code, action, who=ADMIN, now=when, data=data)


def seed(session: Session) -> Seeded:
    works = agencies.create_agency(session, {"kind": "department", "name": "Sở Xây dựng",
                                             "jurisdiction": "quang-nam"}).id
    power = agencies.create_agency(session, {"kind": "utility", "name": "Điện lực Quảng Nam",
                                             "jurisdiction": "quang-nam"}).id
    a = _case(session, at(16, 8), phone=PHONE_A,
              content="Đèn đường hỏng ở Trần Phú, gọi lại 0905 111 222 hoặc an@example.vn giúp tôi")
    _do(session, a, "forward", at(16, 8, 30), agency_id=str(works))
    _do(session, a, "answer", at(16, 10), answer="Đã thay bóng đèn; liên hệ 0235 3812 345 nếu còn hỏng.")
    b = _case(session, at(16, 8, 15), confidential=True)
    _do(session, b, "forward", at(16, 8, 30), agency_id=str(works))
    _do(session, b, "answer", at(16, 11), answer="Đã xử lý.")
    c = _case(session, at(16, 9))
    _do(session, c, "forward", at(16, 9, 30), agency_id=str(works))
    _do(session, c, "escalate_to_head", at(17, 9, 30))
    _do(session, c, "answer", at(17, 10, 30), answer="Thủ trưởng đã chỉ đạo sửa chữa.")
    d = _case(session, at(16, 10))
    _do(session, d, "forward", at(16, 10, 30), agency_id=str(power))
    _do(session, d, "escalate_to_head", at(17, 10, 30))
    _do(session, d, "mark_overdue", at(20, 16))
    e = _case(session, at(18, 14), channel="web")
    return Seeded(agency_id=works, other_agency_id=power, a=a, b=b, c=c, d=d, e=e)
