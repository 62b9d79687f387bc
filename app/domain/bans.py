"""Bans: N failed sign-ins (SIP or AMI) from one address within W seconds ban that address for B seconds."""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

# Addresses never banned whatever the settings say: the app itself, its workers and the operators' tools use them.
ALWAYS_EXEMPT = frozenset({"127.0.0.1", "::1"})


@dataclass(frozen=True)
class BanRule:
    failures: int = 5  # 0 turns banning off
    window_s: float = 60.0
    duration_s: float = 900.0

    @property
    def enabled(self) -> bool:
        return self.failures > 0 and self.duration_s > 0


@dataclass(frozen=True)
class Ban:
    address: str
    since: float  # epoch seconds
    until: float
    service: str  # AMI, PJSIP
    reason: str  # the security event that tipped it over, e.g. ChallengeResponseFailed
    failures: int

    def active(self, now: float) -> bool:
        return now < self.until


def canonical(address: str) -> str | None:
    """The address in canonical text, or None when it is not a plain IP (it goes into Asterisk's files)."""
    try:
        return str(ipaddress.ip_address(address.strip().strip("[]")))
    except ValueError:
        return None


def acl_mask(address: str) -> str:
    """The deny rule Asterisk's ACLs take for exactly this one address."""
    ip = ipaddress.ip_address(address)
    return f"{ip}/255.255.255.255" if ip.version == 4 else f"{ip}/128"


@dataclass
class FailureCounter:
    """Failures per address within the rule's window; says when one more failure means a ban."""

    rule: BanRule
    exempt: frozenset[str] = ALWAYS_EXEMPT
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def failed(self, address: str, now: float, banned: Iterable[str] = ()) -> int:
        """Count one failure; returns how many failures ban the address now (0: no ban yet, or never)."""
        addr = canonical(address)
        if addr is None or not self.rule.enabled or addr in self.exempt or addr in set(banned):
            return 0
        times = self._seen.setdefault(addr, deque())
        times.append(now)
        while times and times[0] <= now - self.rule.window_s:
            times.popleft()
        if len(times) < self.rule.failures:
            return 0
        count = len(times)
        del self._seen[addr]  # after the ban the count starts again from zero
        return count

    def forget_older(self, now: float) -> None:
        """Drop addresses whose failures all left the window (an attacker's many addresses must not grow memory)."""
        for addr in [a for a, t in self._seen.items() if not t or t[-1] <= now - self.rule.window_s]:
            del self._seen[addr]


def exempt_set(extra: Iterable[str]) -> frozenset[str]:
    return ALWAYS_EXEMPT | {a for a in (canonical(x) for x in extra) if a}


def new_ban(address: str, now: float, rule: BanRule, service: str, reason: str, failures: int) -> Ban:
    return Ban(address=address, since=now, until=now + rule.duration_s, service=service, reason=reason,
               failures=failures)


def active_bans(bans: Iterable[Ban], now: float) -> list[Ban]:
    return sorted((b for b in bans if b.active(now)), key=lambda b: b.address)
