"""POST /api/cases/check: the Art. 6 problems of a case form, per field, in Vietnamese and English; stores nothing."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from app.api.case_models import CaseCreate
from app.services import case_intake

# Vietnamese for what CaseCreate itself refuses (lengths, patterns): the same rules POST /api/cases applies.
SHAPE_VI = {
    "citizen_name": "họ tên quá dài (tối đa 256 ký tự)",
    "citizen_phone": "số điện thoại chỉ gồm chữ số, có thể có dấu cách, dấu chấm, gạch ngang (8–24 ký tự)",
    "citizen_address": "địa chỉ quá dài (tối đa 512 ký tự)",
    "citizen_email": "địa chỉ thư điện tử không hợp lệ",
    "content": "nội dung quá dài (tối đa 20000 ký tự)",
    "channel": "kênh tiếp nhận không hợp lệ",
    "topic": "mã lĩnh vực quá dài",
    "jurisdiction": "mã địa bàn chỉ gồm chữ thường không dấu, số và gạch ngang",
}
OPTIONAL = ("citizen_phone", "citizen_address", "citizen_email", "topic", "jurisdiction", "call_uniqueid")


class CaseCheck(BaseModel):
    """A case form as typed so far: every field may be missing or empty."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    citizen_name: str = ""
    citizen_phone: str | None = None
    citizen_address: str | None = None
    citizen_email: str | None = None
    channel: str = "phone"
    topic: str | None = None
    content: str = ""
    confidential: bool = False
    jurisdiction: str | None = None
    call_uniqueid: str | None = None


class CheckOut(BaseModel):
    ok: bool  # POST /api/cases would accept it as it is
    problems: dict[str, dict[str, str]]  # field -> {"vi": ..., "en": ...}


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def check(session: Session, body: CaseCheck) -> CheckOut:
    values: dict[str, Any] = body.model_dump()
    for field in OPTIONAL:
        values[field] = values[field] or None  # an empty input is a missing value, as the form means it
    found: dict[str, dict[str, str]] = {}
    try:
        CaseCreate.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "body"
            if values.get(field) not in (None, ""):  # empty required fields: Art. 6 below says it better
                found[field] = {"vi": _first_upper(SHAPE_VI.get(field, "giá trị không hợp lệ")),
                                "en": _first_upper(str(error["msg"]))}
    new = case_intake.NewCase(**values)
    for problem in case_intake.problems(session, new):
        for field in problem.field.split(" / "):
            found[field] = {"vi": _first_upper(problem.message_vi), "en": _first_upper(problem.message_en)}
    return CheckOut(ok=not found, problems=found)
