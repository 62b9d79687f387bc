"""Who may hear a recording and who may see the citizen's identity in it (Art. 7, 11; Khánh Hòa's secrecy rule).

Decisions (issue 8, point 6):
- Auditors, supervisors and admins may play every recording. A focal point may play only recordings of cases
  assigned to its own agency, and only when settings.recordings_agency_access is on. Every other role: 403.
- A confidential case hides the citizen's identity (name, phone, address, e-mail, caller number) from everyone
  outside the handling chain (the centre's operators, supervisors and admins): in lists, details and transcripts.
- An agency role never hears a confidential case's audio: the voice itself identifies the citizen, and masking a
  voice is not possible. It is refused with a message that says whom to ask. Auditors (the centre's own oversight,
  every play logged in the audit chain) may hear it; the text they see is still masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.db.models import Case
from app.db.models_recordings import Recording
from app.errors import AppError
from app.services.case_access import AGENCY_ROLES, Who, agency_of
from app.services.case_search import fold

PLAYERS = frozenset({"auditor", "supervisor", "admin"})
HANDLING_CHAIN = frozenset({"operator", "supervisor", "admin"})
NAME_MASK = "[đã ẩn]"
NUMBER_MASK = "[số đã ẩn]"
# Spoken digits (Vosk writes numbers as words): a run of this many is read as a phone number.
_SPOKEN_DIGITS = frozenset({"không", "linh", "một", "mốt", "hai", "ba", "bốn", "tư", "năm", "lăm", "sáu", "bảy",
                            "tám", "chín", "khong", "mot", "bon", "nam", "lam", "sau", "bay", "tam", "chin"})
_SPOKEN_RUN = 4
_DIGITS = re.compile(r"\d")
_PHONE_IN_TEXT = re.compile(r"(?<!\w)\+?\d(?:[\s.\-]?\d){6,14}(?!\d)")


class RecordingNotFound(AppError):
    status_code = 404
    error_id = "recording_not_found"
    message_vi = "Không có bản ghi âm này. Quay lại trang tìm kiếm /audit và chọn lại."
    message_en = "There is no such recording. Go back to the search at /audit and choose again."


class RecordingRoleRefused(AppError):
    status_code = 403
    error_id = "recording_role_refused"
    message_vi = ("Vai trò của bạn không được nghe ghi âm. Kiểm soát viên, giám sát viên và quản trị viên được nghe; "
                  "hãy nhờ họ.")
    message_en = "Your role may not hear recordings. Auditors, supervisors and admins may; ask one of them."


class AgencyAccessOff(AppError):
    status_code = 403
    error_id = "recording_agency_access_off"
    message_vi = ("Tổng đài chưa cho phép cơ quan nghe ghi âm. Nếu cần, đề nghị quản trị viên Tổng đài bật quyền "
                  "này hoặc gửi gói chứng cứ cho cơ quan.")
    message_en = ("The centre has not allowed agencies to hear recordings. If you need it, ask the centre's "
                  "administrator to allow it or to send your agency the evidence package.")


class OtherAgencyRecording(AppError):
    status_code = 403
    error_id = "recording_other_agency"
    message_vi = "Ghi âm này thuộc hồ sơ của cơ quan khác; bạn chỉ nghe được ghi âm của hồ sơ giao cho cơ quan mình."
    message_en = "This recording belongs to another agency's case; you may only hear your own agency's cases."


class ConfidentialVoice(AppError):
    status_code = 403
    error_id = "recording_confidential"
    message_vi = ("Hồ sơ này được giữ bí mật người phản ánh: giọng nói cũng là thông tin nhận dạng nên cơ quan không "
                  "được nghe. Đọc bản ghi lời (đã che danh tính) hoặc liên hệ giám sát viên Tổng đài.")
    message_en = ("This case keeps the citizen's identity confidential: the voice identifies them, so agencies may not "
                  "hear it. Read the (masked) transcript or contact the centre's supervisor.")


class RecordingNotReady(AppError):
    status_code = 409
    error_id = "recording_not_ready"
    message_vi = "Tệp ghi âm chưa sẵn sàng hoặc đã bị xóa theo thời hạn lưu trữ. Thử lại sau ít phút."
    message_en = "The recording file is not ready yet, or was deleted under the retention policy. Try again later."


def agency_allowed(who: Who, settings: Any) -> bool:
    return who.role in AGENCY_ROLES and bool(getattr(settings, "recordings_agency_access", False))


def search_scope(who: Who, settings: Any) -> tuple[bool, int | None]:
    """(may list anything at all, the only agency whose recordings are listed or None for all)."""
    if who.role in PLAYERS:
        return True, None
    if who.role == "focal_point" and agency_allowed(who, settings):
        agency_id = agency_of(who)
        return agency_id is not None, agency_id
    return False, None


def search_notice(who: Who, settings: Any) -> AppError | None:
    """Why a role allowed on the search lists nothing (shown instead of an error: the page itself is allowed)."""
    if search_scope(who, settings)[0]:
        return None
    if who.role != "focal_point":
        return RecordingRoleRefused(f"role {who.role}")
    return AgencyAccessOff() if not agency_allowed(who, settings) else OtherAgencyRecording("no agency")


def check_can_read(who: Who, case: Case | None, settings: Any) -> None:
    """Metadata and transcript: players, or the focal point of the case's agency when the setting allows."""
    if who.role in PLAYERS:
        return
    if who.role != "focal_point":
        raise RecordingRoleRefused(f"role {who.role}")
    if not agency_allowed(who, settings):
        raise AgencyAccessOff()
    if case is None or case.agency_id is None or case.agency_id != agency_of(who):
        raise OtherAgencyRecording(f"case {case.code if case else '-'}")


def check_can_play(who: Who, case: Case | None, settings: Any) -> None:
    """Audio and the original file: as check_can_read, and no agency role hears a confidential case."""
    check_can_read(who, case, settings)
    if who.role in AGENCY_ROLES and case is not None and case.confidential:
        raise ConfidentialVoice(f"case {case.code}")


def check_playable(rec: Recording, *, original: bool = False) -> None:
    """The file to serve exists in the store: the Opus copy to play, or the original to download."""
    stored = rec.store_path if original else rec.compact_path
    if rec.state == "deleted" or rec.deleted_at is not None or not stored:
        raise RecordingNotReady(f"recording {rec.id} is {rec.state}")


def shows_identity(who: Who, case: Case | None) -> bool:
    return case is None or not case.confidential or who.role in HANDLING_CHAIN


def mask_phone(phone: str | None) -> str | None:
    """Last three digits only, so an auditor can still tell two callers apart: "0905123456" -> "*******456"."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    return "*" * max(len(digits) - 3, 0) + digits[-3:]


def _name_words(case: Case | None) -> set[str]:
    if case is None or not case.citizen_name:
        return set()
    return {w for w in fold(case.citizen_name).split(" ") if len(w) > 1}


def _masked_words(words: list[str], names: set[str]) -> list[str]:
    """The words to show: the citizen's name words and phone numbers (digits or a run of spoken digits) masked."""
    bare = [w.strip(".,;:!?\"'()").lower() for w in words]
    out = [NAME_MASK if b and fold(b) in names else w for w, b in zip(words, bare, strict=True)]
    run: list[int] = []
    for i, word in enumerate([*bare, ""]):
        if word in _SPOKEN_DIGITS or (word and _DIGITS.search(word)):
            run.append(i)
            continue
        if len(run) >= _SPOKEN_RUN or any(_DIGITS.search(bare[j]) for j in run):
            for j in run:
                out[j] = NUMBER_MASK
        run = []
    return out


def mask_text(text: str, case: Case | None) -> str:
    masked = _PHONE_IN_TEXT.sub(NUMBER_MASK, text)
    return " ".join(_masked_words(masked.split(" "), _name_words(case)))


def mask_segments(segments: Iterable[dict[str, Any]], case: Case | None) -> list[dict[str, Any]]:
    """Segments as stored (see Transcript.segments) with the identity masked in `text` and in every word."""
    names = _name_words(case)
    out: list[dict[str, Any]] = []
    for seg in segments:
        words = list(seg.get("words") or [])
        shown = _masked_words([str(w.get("word", "")) for w in words], names)
        masked_words = [{**w, "word": s} for w, s in zip(words, shown, strict=True)]
        out.append({**seg, "text": mask_text(str(seg.get("text", "")), case), "words": masked_words})
    return out
