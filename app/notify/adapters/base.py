"""What an adapter is given (a plain snapshot of the outbox row) and what it must do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from app.notify.errors import DeliveryError, TransientDeliveryError, classify_http_status


@dataclass(frozen=True)
class Message:
    """One notification to deliver; idempotency_key goes out with it on every attempt."""

    channel: str
    kind: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str
    case_id: int | None = None
    data: Mapping[str, str] = field(default_factory=dict)


class Adapter(Protocol):
    def send(self, message: Message) -> None:
        """Return only once the receiver has accepted the message; raise DeliveryError otherwise."""


def post_json(client: httpx.Client, url: str, payload: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    """POST and turn every failure into a classified DeliveryError (timeouts and refusals are transient)."""
    try:
        response = client.post(url, json=payload, headers=headers)
    except httpx.TransportError as exc:  # connect refused, timeouts, reset connections
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise classify_http_status(response.status_code, response.text[:300])
    return response


def as_delivery_error(exc: Exception) -> DeliveryError:
    return exc if isinstance(exc, DeliveryError) else TransientDeliveryError(f"{type(exc).__name__}: {exc}")
