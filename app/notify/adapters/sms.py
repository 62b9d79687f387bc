"""SMS through an HTTP gateway: POST JSON with the API key and an Idempotency-Key header."""

from __future__ import annotations

import httpx

from app.notify.adapters.base import Message, post_json
from app.settings import Settings


class SmsGatewayAdapter:
    def __init__(self, *, url: str, api_key: str, timeout: float = 20.0, client: httpx.Client | None = None) -> None:
        self.url, self.api_key = url, api_key
        self.client = client or httpx.Client(timeout=timeout)

    @classmethod
    def from_settings(cls, s: Settings) -> SmsGatewayAdapter:
        return cls(url=s.notify_sms_url, api_key=s.notify_sms_api_key, timeout=s.notify_timeout_s)

    def send(self, message: Message) -> None:
        payload: dict[str, object] = {"to": message.recipient, "text": message.body,
                                      "reference": message.idempotency_key}
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": message.idempotency_key}
        post_json(self.client, self.url, payload, headers)
