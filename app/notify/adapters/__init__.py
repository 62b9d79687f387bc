"""Channel adapters: each sends one message and raises a classified DeliveryError when it cannot."""

from __future__ import annotations

from app.notify.adapters.base import Adapter, Message
from app.notify.adapters.email import SmtpAdapter
from app.notify.adapters.sms import SmsGatewayAdapter
from app.notify.adapters.zalo import ZaloZnsAdapter
from app.settings import Settings

__all__ = ["Adapter", "Message", "SmtpAdapter", "SmsGatewayAdapter", "ZaloZnsAdapter", "from_settings"]


def from_settings(settings: Settings) -> dict[str, Adapter]:
    """The configured adapters by channel; an unconfigured channel is left out and its rows wait."""
    adapters: dict[str, Adapter] = {"email": SmtpAdapter.from_settings(settings)}
    if settings.notify_sms_url:
        adapters["sms"] = SmsGatewayAdapter.from_settings(settings)
    if settings.notify_zalo_access_token:
        adapters["zalo"] = ZaloZnsAdapter.from_settings(settings)
    return adapters
