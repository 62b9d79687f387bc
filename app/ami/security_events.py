"""Asterisk's security events (AMI class "security") that mean a failed sign-in, and the address they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.bans import canonical

# A wrong password or digest, an unknown account, an address the ACL refuses. ChallengeSent and SuccessfulAuth
# are the normal path of every registration (manager.conf filters them out before they reach us).
FAILURES = frozenset({"InvalidPassword", "ChallengeResponseFailed", "InvalidAccountID", "FailedACL",
                      "AuthMethodNotAllowed", "InvalidTransport"})


@dataclass(frozen=True)
class Failure:
    address: str
    service: str  # AMI, PJSIP
    kind: str  # the event's name
    account: str


def remote_address(value: str) -> str | None:
    """"IPV4/UDP/127.0.0.5/5060" (or "IPV6/TCP/::1/5038") -> the address alone, canonical; None if unreadable."""
    parts = value.split("/", 2)
    if len(parts) != 3 or "/" not in parts[2]:
        return None
    return canonical(parts[2].rsplit("/", 1)[0])


def failure_of(event: Mapping[str, Any]) -> Failure | None:
    kind = event.get("Event")
    if kind not in FAILURES:
        return None
    address = remote_address(str(event.get("RemoteAddress", "")))
    if address is None:
        return None
    return Failure(address=address, service=str(event.get("Service", "")), kind=str(kind),
                   account=str(event.get("AccountID", ""))[:64])
