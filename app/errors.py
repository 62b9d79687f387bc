"""Project exceptions: each has a stable error_id and a message in Vietnamese and English."""

from __future__ import annotations


class AppError(Exception):
    status_code = 400
    error_id = "bad_request"
    message_vi = "Yêu cầu không hợp lệ."
    message_en = "The request is not valid."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.message_en)
        self.detail = detail


class InvalidInput(AppError):
    status_code = 422
    error_id = "invalid_input"
    message_vi = "Dữ liệu gửi lên không hợp lệ; xem mục detail để biết trường nào cần sửa. Không có gì bị thay đổi."
    message_en = "The data sent is not valid; see detail for the fields to fix. Nothing was changed."


class NotAuthenticated(AppError):
    status_code = 401
    error_id = "not_authenticated"
    message_vi = "Chưa đăng nhập: gửi mã truy cập trong tiêu đề Authorization: Bearer <mã>."
    message_en = "Not signed in: send your access token as Authorization: Bearer <token>."


class Forbidden(AppError):
    status_code = 403
    error_id = "forbidden"
    message_vi = "Vai trò của bạn không được phép dùng chức năng này. Hãy liên hệ quản trị viên."
    message_en = "Your role may not use this function. Ask an administrator."


class ServiceUnavailable(AppError):
    status_code = 503
    error_id = "service_unavailable"
    message_vi = "Một thành phần hệ thống đang tạm ngừng. Thử lại sau ít phút; xem /health để biết chi tiết."
    message_en = "A system component is unavailable. Try again in a few minutes; see /health for details."
