"""Recording access rules without a database: who plays, who is refused, and what a confidential case masks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.services import recording_access as access

SPOKEN = "tôi là nguyễn thị tư gọi không chín không năm một hai ba về đèn đường"
SETTINGS_ON = SimpleNamespace(recordings_agency_access=True)
SETTINGS_OFF = SimpleNamespace(recordings_agency_access=False)


def _who(role: str, agency_id: int | None = None) -> SimpleNamespace:
    return SimpleNamespace(role=role, actor=f"u-{role}", agency_id=agency_id)


def _case(agency_id: int = 7, confidential: bool = False) -> SimpleNamespace:
    return SimpleNamespace(code="260000001", agency_id=agency_id, confidential=confidential,
                           citizen_name="Nguyễn Thị Tư")


@pytest.mark.parametrize("role", ["auditor", "supervisor", "admin"])
def test_given_centre_reader_when_playing_any_case_then_allowed(role: str) -> None:
    access.check_can_play(_who(role), _case(confidential=True), SETTINGS_OFF)  # type: ignore[arg-type]


@pytest.mark.parametrize(("who", "settings", "case", "error"), [
    (_who("focal_point", 7), SETTINGS_OFF, _case(), access.AgencyAccessOff),
    (_who("focal_point", 8), SETTINGS_ON, _case(), access.OtherAgencyRecording),
    (_who("focal_point", 7), SETTINGS_ON, _case(confidential=True), access.ConfidentialVoice),
    (_who("focal_point", None), SETTINGS_ON, _case(), access.OtherAgencyRecording),
    (_who("operator"), SETTINGS_ON, _case(), access.RecordingRoleRefused),
    (_who("agency_head", 7), SETTINGS_ON, _case(), access.RecordingRoleRefused),
])
def test_given_role_outside_the_rule_when_playing_then_refused_with_its_own_error(
        who: SimpleNamespace, settings: SimpleNamespace, case: SimpleNamespace, error: type[Exception]) -> None:
    with pytest.raises(error) as refused:
        access.check_can_play(who, case, settings)  # type: ignore[arg-type]
    assert refused.value.status_code == 403  # type: ignore[attr-defined]


def test_given_own_agency_and_setting_on_when_focal_point_plays_then_allowed() -> None:
    access.check_can_play(_who("focal_point", 7), _case(), SETTINGS_ON)  # type: ignore[arg-type]


def test_given_confidential_case_when_masking_a_transcript_then_name_words_and_numbers_hidden_rest_kept() -> None:
    case = _case(confidential=True)
    segments = [{"speaker": "citizen", "text": "tôi là nguyễn thị tư số 0905 123 456",
                 "words": [{"word": w, "start": i, "end": i + 1} for i, w in enumerate(SPOKEN.split(" "))]}]
    [seg] = access.mask_segments(segments, case)  # type: ignore[arg-type]
    words = [w["word"] for w in seg["words"]]
    assert words[:5] == ["tôi", "là", access.NAME_MASK, access.NAME_MASK, access.NAME_MASK]
    assert words[5] == "gọi" and set(words[6:13]) == {access.NUMBER_MASK}
    assert words[13:] == ["về", "đèn", "đường"]
    assert [w["start"] for w in seg["words"]] == list(range(16))  # times kept: clicking still seeks
    assert "0905" not in seg["text"] and "nguyễn" not in seg["text"] and seg["text"].startswith("tôi là")


def test_given_a_few_spoken_numbers_when_masking_then_they_stay() -> None:
    assert access.mask_text("năm nay hai người", _case()) == "năm nay hai người"  # type: ignore[arg-type]
    assert access.mask_phone("0905123456") == "*******456"
