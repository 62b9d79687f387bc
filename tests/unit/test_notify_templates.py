"""Notification texts: Vietnamese, local time, short SMS without diacritics, no identity when confidential."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.errors import InvalidInput
from app.notify import templates

RECEIVED = datetime(2026, 2, 13, 8, 0, tzinfo=UTC)  # 15:00 local, the Friday afternoon before Tết 2026
DUE = datetime(2026, 2, 23, 2, 0, tzinfo=UTC)


def _slip(**kw: object) -> templates.Rendered:
    args: dict[str, object] = dict(case_code="2611240017", topic="Giao thông", agency="UBND thị xã Điện Bàn",
                                   content="Đèn tín hiệu hỏng tại ngã tư " * 10, received_at=RECEIVED, due_at=DUE,
                                   citizen_name="Nguyễn Thị Lan", citizen_phone="0905123456")
    args.update(kw)
    return templates.forwarding_slip(**args)  # type: ignore[arg-type]


def test_given_forwarding_slip_when_rendered_then_it_is_a_phieu_chuyen_with_local_deadline() -> None:
    slip = _slip()
    assert "PHIẾU CHUYỂN" in slip.body and "2611240017" in slip.subject
    assert "09:00 23/02/2026" in slip.body and "15:00 13/02/2026" in slip.body
    assert "Nguyễn Thị Lan" in slip.body
    assert slip.data["due_at"] == "09:00 23/02/2026"


def test_given_any_template_when_sms_text_made_then_short_and_without_diacritics() -> None:
    rendered = [
        _slip(topic="Đất đai, môi trường và tài nguyên khoáng sản " * 4),
        templates.escalation(case_code="1", agency="Sở Xây dựng", stage="overdue", missed_due_at=DUE),
        templates.warning(case_code="1", agency="Sở Xây dựng", due_at=DUE),
        templates.answer_to_citizen(case_code="1", answer="Đã sửa xong.", agency="Sở GTVT"),
    ]
    for r in rendered:
        assert len(r.sms) <= templates.SMS_MAX
        assert r.sms.isascii(), r.sms
        assert r.text_for("sms") == r.sms and r.text_for("email") == r.body


def test_given_confidential_case_when_slip_rendered_then_citizen_identity_is_hidden() -> None:
    slip = _slip(confidential=True)
    assert "Nguyễn Thị Lan" not in slip.body and "0905123456" not in slip.body and "(bảo mật)" in slip.body


def test_given_escalation_to_head_when_rendered_then_it_names_the_stage_and_new_deadline() -> None:
    r = templates.escalation(case_code="77", agency="UBND huyện", stage="to_head", missed_due_at=RECEIVED,
                             due_at=DUE)
    assert "Thủ trưởng" in r.body and "Hạn mới: 09:00 23/02/2026" in r.body


def test_given_unknown_stage_or_naive_time_when_rendered_then_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        templates.escalation(case_code="1", agency="a", stage="sideways", missed_due_at=DUE)
    with pytest.raises(InvalidInput):
        templates.warning(case_code="1", agency="a", due_at=datetime(2026, 1, 1, 8, 0))


def test_given_vietnamese_when_folded_then_d_stroke_and_marks_removed() -> None:
    assert templates.fold("Đà Nẵng – Quảng Nam") == "Da Nang - Quang Nam"
