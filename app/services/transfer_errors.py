"""Errors of transfers and call-backs from the console: each says, in Vietnamese and English, what to do next."""

from __future__ import annotations

from app.errors import AppError


class CallNotFound(AppError):
    status_code = 404
    error_id = "call_not_found"
    message_vi = "Không có cuộc gọi này trong hệ thống. Kiểm tra mã cuộc gọi (uniqueid) trên màn hình."
    message_en = "No such call. Check the call's uniqueid shown on the console."


class CallNotLive(AppError):
    status_code = 409
    error_id = "call_not_live"
    message_vi = "Cuộc gọi này đã kết thúc nên không chuyển máy được. Nếu cần, gọi lại cho người dân."
    message_en = "This call has already ended, so it cannot be transferred. Call the citizen back if needed."


class NotYourCall(AppError):
    status_code = 409
    error_id = "call_not_answered_by_you"
    message_vi = ("Cuộc gọi này chưa được nối với điện thoại của bạn. Nhấc máy trả lời cuộc gọi trước, "
                  "rồi mới chuyển máy.")
    message_en = "This call is not connected to your phone. Answer the call first, then transfer it."


class NotYourTransfer(AppError):
    status_code = 403
    error_id = "not_your_transfer"
    message_vi = ("Cuộc chuyển máy này thuộc tổng đài viên khác. Chỉ người chuyển máy hoặc giám sát viên "
                  "mới thao tác được.")
    message_en = "This transfer belongs to another operator. Only that operator or a supervisor may act on it."


class TransferInProgress(AppError):
    status_code = 409
    error_id = "transfer_in_progress"
    message_vi = ("Cuộc gọi này đang được chuyển máy. Hoàn tất hoặc hủy lần chuyển máy hiện tại trước khi "
                  "chuyển lần khác.")
    message_en = "This call is already being transferred. Complete or cancel that transfer before starting another."


class AgencyUnknown(AppError):
    status_code = 422
    error_id = "agency_unknown"
    message_vi = "Không có cơ quan đang hoạt động với mã này. Chọn cơ quan trong danh sách (GET /api/agencies)."
    message_en = "No active agency has this id. Pick one from the list (GET /api/agencies)."


class AgencyHasNoPhone(AppError):
    status_code = 422
    error_id = "agency_has_no_phone"
    message_vi = ("Cơ quan này chưa có số điện thoại hợp lệ trong danh mục, nên không chuyển máy được. "
                  "Chuyển hồ sơ bằng văn bản (forward), và nhờ quản trị viên bổ sung số điện thoại.")
    message_en = ("This agency has no valid phone number in the directory, so the call cannot be transferred. "
                  "Forward the case in writing instead, and ask an administrator to add the number.")


class TransferNotReady(AppError):
    status_code = 409
    error_id = "transfer_not_ready"
    message_vi = "Tổng đài đang bắt đầu gọi cơ quan, chưa hủy được. Thử lại sau 2–3 giây."
    message_en = "Asterisk is still starting to call the agency and cannot cancel yet. Try again in 2–3 seconds."


class CallbackNotFound(AppError):
    status_code = 404
    error_id = "callback_not_found"
    message_vi = "Không có yêu cầu gọi lại này. Tải lại danh sách yêu cầu gọi lại."
    message_en = "No such callback request. Reload the callback list."


class CallbackClosed(AppError):
    status_code = 409
    error_id = "callback_closed"
    message_vi = "Yêu cầu gọi lại này đã đóng. Tải lại danh sách để xem các yêu cầu còn mở."
    message_en = "This callback request is already closed. Reload the list to see the open ones."


class NoCallbackNumber(AppError):
    status_code = 422
    error_id = "callback_no_number"
    message_vi = ("Yêu cầu này không có số điện thoại để gọi lại (người gọi ẩn số). "
                  "Đóng yêu cầu với kết quả wrong_number.")
    message_en = "This request has no number to call back (the caller hid it). Close it with result wrong_number."


class PhoneBusy(AppError):
    status_code = 409
    error_id = "phone_busy"
    message_vi = "Điện thoại của bạn đang trong một cuộc gọi khác. Kết thúc cuộc gọi đó rồi bấm gọi lại."
    message_en = "Your phone is on another call. Finish that call, then press call back again."


class NoVoiceMessage(AppError):
    status_code = 404
    error_id = "no_voice_message"
    message_vi = "Yêu cầu này không có tin nhắn thoại (hoặc tệp đã bị xóa theo thời hạn lưu trữ)."
    message_en = "This request has no voice message (or the file was removed under the retention rules)."
