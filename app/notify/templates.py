"""Vietnamese texts of the notifications: forwarding slip, escalation, warning, answer to the citizen."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from app.errors import InvalidInput
from app.settings import local_zone

TZ = local_zone()
SMS_MAX = 160  # one GSM-7 segment, hence no diacritics in SMS
SENDER = "Tổng đài 1022"

ESCALATION_STAGES = {
    "to_head": "chuyển Thủ trưởng cơ quan chỉ đạo xử lý",
    "overdue": "trễ hạn – đang chờ xử lý",
    "to_province": "báo cáo UBND tỉnh",
}


@dataclass(frozen=True)
class Rendered:
    """One message in every form a channel needs: email subject and body, short SMS, ZNS template data."""

    kind: str
    subject: str
    body: str
    sms: str
    data: dict[str, str] = field(default_factory=dict)

    def text_for(self, channel: str) -> str:
        return self.body if channel == "email" else self.sms


def when(t: datetime) -> str:
    """Local time as Vietnamese readers write it: 16:30 25/11/2026."""
    if t.tzinfo is None:
        raise InvalidInput("naive datetime in a notification: pass an aware datetime")
    return t.astimezone(TZ).strftime("%H:%M %d/%m/%Y")


def fold(text: str) -> str:
    """Vietnamese without diacritics (đ -> d) and dashes as "-", for SMS gateways and GSM-7."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("–", "-").replace("—", "-")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sms_text(text: str) -> str:
    folded = " ".join(fold(text).split())
    return folded if len(folded) <= SMS_MAX else folded[: SMS_MAX - 3].rstrip() + "..."


def forwarding_slip(*, case_code: str, topic: str, agency: str, content: str, received_at: datetime,
                    due_at: datetime, citizen_name: str = "", citizen_phone: str = "",
                    confidential: bool = False) -> Rendered:
    """Phiếu chuyển: the case sent to an agency's focal point, with the deadline to answer."""
    citizen = "(bảo mật)" if confidential else f"{citizen_name or '-'}, ĐT {citizen_phone or '-'}"
    body = "\n".join([
        f"PHIẾU CHUYỂN PHẢN ÁNH, KIẾN NGHỊ – {SENDER}",
        f"Mã hồ sơ: {case_code}",
        f"Kính gửi: {agency}",
        f"Lĩnh vực: {topic}",
        f"Thời điểm tiếp nhận: {when(received_at)}",
        f"Người phản ánh: {citizen}",
        f"Nội dung: {content}",
        f"Hạn xử lý, trả lời: {when(due_at)}",
        "Đề nghị đầu mối tiếp nhận, xử lý và cập nhật kết quả trên hệ thống trước thời hạn nêu trên.",
    ])
    return Rendered(
        kind="forwarding_slip",
        subject=f"[1022] Phiếu chuyển hồ sơ {case_code} – hạn {when(due_at)}",
        body=body,
        sms=sms_text(f"1022: Phiếu chuyển hồ sơ {case_code} ({topic}), hạn xử lý {when(due_at)}. "
                     "Xem chi tiết trên hệ thống."),
        data={"case_code": case_code, "agency": agency, "topic": topic, "due_at": when(due_at)},
    )


def escalation(*, case_code: str, agency: str, stage: str, missed_due_at: datetime,
               due_at: datetime | None = None) -> Rendered:
    """A missed deadline moved the case up the ladder (to the head, overdue, to the province)."""
    if stage not in ESCALATION_STAGES:
        raise InvalidInput(f"unknown escalation stage {stage!r}; one of {', '.join(ESCALATION_STAGES)}")
    what = ESCALATION_STAGES[stage]
    lines = [
        f"{SENDER} – THÔNG BÁO QUÁ HẠN",
        f"Mã hồ sơ: {case_code}",
        f"Cơ quan xử lý: {agency}",
        f"Hạn đã qua: {when(missed_due_at)}",
        f"Hồ sơ được {what}.",
    ]
    if due_at is not None:
        lines.append(f"Hạn mới: {when(due_at)}")
    new_due = f", hạn mới {when(due_at)}" if due_at is not None else ""
    return Rendered(
        kind="escalation",
        subject=f"[1022] Hồ sơ {case_code} quá hạn – {what}",
        body="\n".join(lines),
        sms=sms_text(f"1022: Hồ sơ {case_code} quá hạn {when(missed_due_at)}, {what}{new_due}."),
        data={"case_code": case_code, "agency": agency, "stage": stage, "missed_due_at": when(missed_due_at),
              "due_at": when(due_at) if due_at is not None else ""},
    )


def warning(*, case_code: str, agency: str, due_at: datetime) -> Rendered:
    """The deadline is near; sent inside working hours by the SLA scheduler."""
    return Rendered(
        kind="warning",
        subject=f"[1022] Sắp đến hạn xử lý hồ sơ {case_code}",
        body="\n".join([
            f"{SENDER} – NHẮC HẠN",
            f"Mã hồ sơ: {case_code}",
            f"Cơ quan xử lý: {agency}",
            f"Hạn xử lý: {when(due_at)}",
            "Đề nghị cập nhật kết quả xử lý trước thời hạn để tránh bị chuyển cấp trên.",
        ]),
        sms=sms_text(f"1022: Hồ sơ {case_code} sắp đến hạn xử lý {when(due_at)}."),
        data={"case_code": case_code, "agency": agency, "due_at": when(due_at)},
    )


def answer_to_citizen(*, case_code: str, answer: str, agency: str = "", citizen_name: str = "") -> Rendered:
    """The answer to the citizen, with how to look the case up and rate it."""
    greeting = f"Kính gửi {citizen_name}," if citizen_name else "Kính gửi Quý công dân,"
    source = f" (cơ quan trả lời: {agency})" if agency else ""
    return Rendered(
        kind="answer_to_citizen",
        subject=f"[1022] Trả lời phản ánh, kiến nghị – mã hồ sơ {case_code}",
        body="\n".join([
            greeting,
            f"{SENDER} trả lời phản ánh, kiến nghị mã {case_code}{source}:",
            answer,
            "Quý công dân có thể tra cứu và đánh giá mức độ hài lòng bằng mã hồ sơ và số điện thoại đã cung cấp.",
        ]),
        sms=sms_text(f"1022: Hồ sơ {case_code} đã có trả lời. Tra cứu, đánh giá bằng mã hồ sơ và số điện thoại."),
        data={"case_code": case_code, "agency": agency, "citizen_name": citizen_name},
    )
