"""Zalo ZNS: POST the template message with the OA access token; tracking_id carries the idempotency key."""

from __future__ import annotations

import httpx

from app.notify.adapters.base import Message, post_json
from app.notify.errors import PermanentDeliveryError, TransientDeliveryError
from app.settings import Settings

# ZNS answers HTTP 200 with {"error": <code>, "message": ...}; -124 is an expired access token, which a token
# refresh fixes, so the row waits. Every other non-zero code is about this message (template, phone, quota).
TRANSIENT_ZNS_ERRORS = frozenset({-124})


def zalo_phone(phone: str) -> str:
    """ZNS wants 84xxxxxxxxx."""
    digits = phone.lstrip("+")
    return "84" + digits[1:] if digits.startswith("0") else digits


class ZaloZnsAdapter:
    def __init__(self, *, url: str, access_token: str, templates: dict[str, str], timeout: float = 20.0,
                 client: httpx.Client | None = None) -> None:
        self.url, self.access_token, self.templates = url, access_token, templates
        self.client = client or httpx.Client(timeout=timeout)

    @classmethod
    def from_settings(cls, s: Settings) -> ZaloZnsAdapter:
        return cls(url=s.notify_zalo_url, access_token=s.notify_zalo_access_token,
                   templates=dict(s.notify_zalo_templates), timeout=s.notify_timeout_s)

    def send(self, message: Message) -> None:
        template_id = self.templates.get(message.kind) or self.templates.get("default", "")
        if not template_id:
            # A settings problem, not the message's: keep the row until the template is configured.
            raise TransientDeliveryError(f"no ZNS template for kind {message.kind!r} (set TD_NOTIFY_ZALO_TEMPLATES)")
        payload: dict[str, object] = {
            "phone": zalo_phone(message.recipient), "template_id": template_id,
            "template_data": dict(message.data), "tracking_id": message.idempotency_key,
        }
        response = post_json(self.client, self.url, payload, {"access_token": self.access_token})
        try:
            answer = response.json()
            code = int(answer.get("error", 0))
        except (ValueError, AttributeError, TypeError) as exc:
            raise TransientDeliveryError(f"ZNS answer is not JSON: {response.text[:200]!r}") from exc
        if code != 0:
            error = TransientDeliveryError if code in TRANSIENT_ZNS_ERRORS else PermanentDeliveryError
            raise error(f"ZNS error {code}: {answer.get('message', '')}")
