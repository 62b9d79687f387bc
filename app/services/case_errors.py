"""Errors of the case services: each says what went wrong and what to do next, in Vietnamese and English."""

from __future__ import annotations

from app.errors import AppError


class CaseNotFound(AppError):
    status_code = 404
    error_id = "case_not_found"
    message_vi = "Không tìm thấy hồ sơ với mã này. Kiểm tra lại mã hồ sơ (chỉ gồm chữ số)."
    message_en = "No case has this code. Check the code (digits only)."


class StaleVersion(AppError):
    status_code = 409
    error_id = "stale_version"
    message_vi = "Hồ sơ vừa được người khác cập nhật. Tải lại hồ sơ rồi thực hiện lại thao tác."
    message_en = "Someone else changed the case just now. Reload it and try again."


class ActionNotAllowed(AppError):
    status_code = 403
    error_id = "action_not_allowed"
    message_vi = "Vai trò của bạn không được thực hiện thao tác này trên hồ sơ. Hãy chuyển cho người có thẩm quyền."
    message_en = "Your role may not perform this action on a case. Pass it to someone who may."


class OtherAgencyCase(AppError):
    status_code = 403
    error_id = "other_agency_case"
    message_vi = "Hồ sơ này thuộc cơ quan khác; bạn chỉ xem và xử lý được hồ sơ của cơ quan mình."
    message_en = "This case belongs to another agency; you may only see and handle your own agency's cases."


class AgencyNotFound(AppError):
    status_code = 404
    error_id = "agency_not_found"
    message_vi = "Không tìm thấy cơ quan. Xem danh sách cơ quan tại /api/agencies."
    message_en = "No such agency. See the list at /api/agencies."


class ContactNotFound(AppError):
    status_code = 404
    error_id = "contact_not_found"
    message_vi = "Không tìm thấy đầu mối hoặc thủ trưởng này của cơ quan."
    message_en = "No such focal point or head at this agency."


class TopicNotFound(AppError):
    status_code = 404
    error_id = "topic_not_found"
    message_vi = "Không tìm thấy lĩnh vực. Xem danh sách lĩnh vực tại /api/topics."
    message_en = "No such topic. See the list at /api/topics."


class CalendarEntryNotFound(AppError):
    status_code = 404
    error_id = "calendar_entry_not_found"
    message_vi = "Không có mục lịch làm việc này (ngày lễ, ngày làm bù, ngày nghỉ đột xuất hoặc mùa)."
    message_en = "No such calendar entry (holiday, make-up day, closure or season)."


class Conflict(AppError):
    status_code = 409
    error_id = "conflict"
    message_vi = "Thay đổi xung đột với dữ liệu hiện có (trùng mã hoặc đang được sử dụng); xem mục detail."
    message_en = "The change conflicts with existing data (duplicate or still in use); see detail."
