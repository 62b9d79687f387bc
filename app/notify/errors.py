"""Delivery errors, classified: a transient one is retried with backoff, a permanent one is not."""

from __future__ import annotations

from app.errors import AppError


class DeliveryError(AppError):
    """A channel could not deliver a message. `transient` says whether trying again later may help."""

    transient = True
    status_code = 502
    error_id = "notification_delivery_failed"
    message_vi = "Không gửi được thông báo; hệ thống sẽ tự gửi lại. Xem bảng outbox để biết lỗi."
    message_en = "A notification could not be delivered; it will be retried. See the outbox row for the error."


class TransientDeliveryError(DeliveryError):
    transient = True
    status_code = 503
    error_id = "notification_channel_unavailable"
    message_vi = "Kênh gửi thông báo tạm thời không phản hồi; thông báo vẫn được giữ và sẽ gửi lại sau."
    message_en = "The notification channel is not responding; the message is kept and will be retried later."


class PermanentDeliveryError(DeliveryError):
    transient = False
    status_code = 422
    error_id = "notification_rejected"
    message_vi = "Kênh gửi từ chối thông báo (sai người nhận hoặc nội dung). Sửa thông tin rồi tạo lại thông báo."
    message_en = "The channel rejected the notification (bad recipient or content). Fix it and enqueue it again."


def classify_http_status(status: int, detail: str) -> DeliveryError:
    """429 and 5xx may pass; any other 4xx will fail the same way again."""
    if status == 429 or status >= 500:
        return TransientDeliveryError(f"HTTP {status}: {detail}")
    return PermanentDeliveryError(f"HTTP {status}: {detail}")
