"""Open311 GeoReport v2 views of topics and cases; a request never carries the requester's name, phone or e-mail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_cases import Agency, CaseEventRecord, Topic
from app.domain.workflow import RECEIVE
from app.errors import AppError
from app.services.labels import FINISHED_STATUSES, status_vi
from app.services.public_cases import current_deadline
from app.services.redact import redact

ART4_GROUPS = {1: "Thủ tục hành chính", 2: "Kinh tế – xã hội, dịch vụ công", 3: "Sự cố hạ tầng kỹ thuật",
               4: "Đầu tư, khu công nghiệp, du lịch, sự kiện", 5: "Khác"}
WITHHELD = "Nội dung được giữ kín theo yêu cầu của người gửi."
LOCATION_KEYS = ("lat", "long", "address_string", "media_url")  # kept in the case's first event
OPEN311_CHANNELS = ("web", "app", "email", "zalo", "facebook", "national_portal", "ioc")
MAX_RESULTS = 200
DEFAULT_WINDOW = timedelta(days=90)  # GeoReport v2: without dates, the last 90 days


class Open311Error(AppError):
    """An error answered in Open311 form: [{"code": <HTTP status>, "description": ...}]."""

    def __init__(self, status_code: int, description: str) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.description = description


@dataclass(frozen=True)
class Filters:
    codes: Sequence[str] = ()
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None  # open | closed


def services(session: Session) -> list[dict[str, Any]]:
    topics = session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.art4_group, Topic.code))
    return [{"service_code": t.code, "service_name": t.name_vi,
             "description": f"Nhóm {t.art4_group} (Điều 4): {ART4_GROUPS.get(t.art4_group, 'Khác')}",
             "metadata": False, "type": "realtime", "keywords": "",
             "group": ART4_GROUPS.get(t.art4_group, "Khác")} for t in topics]


def location_text(location: Mapping[str, str]) -> str:
    """The place and media, appended to the content so that the operator reading the case sees them."""
    parts = []
    if location.get("address_string"):
        parts.append(f"Địa điểm: {location['address_string']}")
    if location.get("lat") and location.get("long"):
        parts.append(f"Toạ độ: {location['lat']}, {location['long']}")
    if location.get("media_url"):
        parts.append(f"Ảnh/video: {location['media_url']}")
    return "\n".join(parts)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _as_open311(case: Case, topics: Mapping[str, str], agencies: Mapping[int, str],
                location: Mapping[str, Any]) -> dict[str, Any]:
    hidden = case.confidential
    return {
        "service_request_id": case.code,
        "status": "closed" if case.status in FINISHED_STATUSES else "open",
        "status_notes": status_vi(case.status),
        "service_name": topics.get(case.topic or "", case.topic),
        "service_code": case.topic,
        "description": WITHHELD if hidden else redact(case.content),
        "agency_responsible": agencies.get(case.agency_id) if case.agency_id is not None else None,
        "service_notice": None,
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at or case.created_at),
        "expected_datetime": _iso(current_deadline(case)),
        "address": None if hidden else location.get("address_string"),
        "lat": None if hidden else _float(location.get("lat")),
        "long": None if hidden else _float(location.get("long")),
        "media_url": None if hidden else location.get("media_url"),
    }


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def requests(session: Session, filters: Filters, now: datetime) -> list[dict[str, Any]]:
    query = select(Case)
    if filters.codes:
        query = query.where(Case.code.in_(list(filters.codes)))
    else:
        start = filters.start or (filters.end or now) - DEFAULT_WINDOW
        query = query.where(Case.created_at >= start)
        if filters.end is not None:
            query = query.where(Case.created_at <= filters.end)
    if filters.service_code:
        query = query.where(Case.topic == filters.service_code)
    if filters.status == "closed":
        query = query.where(Case.status.in_(FINISHED_STATUSES))
    elif filters.status == "open":
        query = query.where(Case.status.not_in(FINISHED_STATUSES))
    cases = list(session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_RESULTS)))
    topics = dict(session.execute(select(Topic.code, Topic.name_vi)).tuples().all())
    agencies = dict(session.execute(select(Agency.id, Agency.name)).tuples().all())
    locations = _locations(session, [c.id for c in cases])
    return [_as_open311(c, topics, agencies, locations.get(c.id, {})) for c in cases]


def _locations(session: Session, case_ids: list[int]) -> dict[int, Mapping[str, Any]]:
    if not case_ids:
        return {}
    first = session.execute(select(CaseEventRecord.case_id, CaseEventRecord.data)
                            .where(CaseEventRecord.case_id.in_(case_ids), CaseEventRecord.action == RECEIVE)).tuples()
    return {case_id: {k: v for k, v in (data or {}).items() if k in LOCATION_KEYS} for case_id, data in first}


def one_request(session: Session, code: str, now: datetime) -> dict[str, Any]:
    found = requests(session, Filters(codes=[code]), now)
    if not found:
        raise Open311Error(404, f"service_request_id {code} not found")
    return found[0]
