"""Vietnamese labels for channels (statuses: app.domain.workflow) and groups of statuses."""

from __future__ import annotations

from app.domain.workflow import STATUS_LABEL_VI, Status

CHANNEL_VI: dict[str, str] = {
    "phone": "Điện thoại 1022",
    "web": "Cổng thông tin điện tử",
    "app": "Ứng dụng di động",
    "email": "Thư điện tử",
    "zalo": "Zalo",
    "facebook": "Facebook",
    "letter": "Thư giấy",
    "national_portal": "Cổng Dịch vụ công quốc gia",
    "ioc": "Trung tâm IOC",
}

# Statuses after which the citizen has an answer or has been sent elsewhere (Open311 "closed").
FINISHED_STATUSES = frozenset({"answered_directly", "refused", "referred_emergency", "answered", "closed"})
ANSWERED_STATUSES = frozenset({"answered_directly", "answered"})
ANSWER_ACTIONS = frozenset({"answer_directly", "answer"})


def status_vi(status: str) -> str:
    return STATUS_LABEL_VI[Status(status)] if status in set(Status) else status


def channel_vi(channel: str | None) -> str:
    return CHANNEL_VI.get(channel or "", channel or "Không rõ")
