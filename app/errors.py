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


# --- sign-in and users (auth) ---


class LoginFailed(AppError):
    status_code = 401
    error_id = "login_failed"
    # one message for unknown user, wrong password and deactivated account: no user enumeration
    message_vi = "Tên đăng nhập hoặc mật khẩu không đúng. Kiểm tra lại, hoặc nhờ quản trị viên đặt lại mật khẩu."
    message_en = "Wrong username or password. Check them, or ask an administrator to reset your password."


class WeakPassword(AppError):
    status_code = 422
    error_id = "weak_password"
    message_vi = "Mật khẩu phải có ít nhất 10 ký tự. Chọn mật khẩu dài hơn; không có gì bị thay đổi."
    message_en = "The password must have at least 10 characters. Choose a longer one; nothing was changed."


class UsernameTaken(AppError):
    status_code = 409
    error_id = "username_taken"
    message_vi = "Tên đăng nhập này đã có người dùng. Chọn tên khác."
    message_en = "This username is already in use. Choose another one."


class UserNotFound(AppError):
    status_code = 404
    error_id = "user_not_found"
    message_vi = "Không tìm thấy người dùng này. Kiểm tra mã người dùng trong danh sách /api/admin/users."
    message_en = "No such user. Check the user id in the list at /api/admin/users."


class PublicCaseNotFound(AppError):
    status_code = 404
    error_id = "case_not_found"
    # the same answer for an unknown code and a wrong phone, so the lookup leaks nothing
    message_vi = "Không tìm thấy hồ sơ với mã và số điện thoại này. Kiểm tra lại mã hồ sơ và số điện thoại đã dùng."
    message_en = "No case with this code and phone number. Check the case code and the phone number you gave."
