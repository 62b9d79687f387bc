"""Bans: failed sign-ins (Asterisk's security events over AMI) counted per address, banned and lifted in Asterisk.

Only the AMI lease holder counts and bans (one process decides); any process may lift a ban (admin API). The
bans live in var/<instance>/bans.json, so a restart keeps them; Asterisk reads the generated deny rules at boot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.ami.security_events import FAILURES, failure_of
from app.domain.bans import Ban, BanRule, FailureCounter, active_bans, exempt_set, new_ban
from app.errors import AppError
from app.services import audit_chain
from app.services.ban_store import BanStore, asterisk_etc_dir, store_path, write_asterisk_file
from app.settings import Settings

log = logging.getLogger("bans")
SWEEP_S = 1.0
RELOAD_MODULES = ("res_pjsip.so", "acl")  # the pjsip acl section; the named ACL (the manager re-applies it)
SYSTEM_ACTOR, SYSTEM_ROLE = "system:bans", "system"
Send = Callable[[dict[str, str]], Awaitable[Any]]


class BanNotFound(AppError):
    status_code = 404
    error_id = "ban_not_found"
    message_vi = "Địa chỉ này hiện không bị chặn. Xem danh sách tại /api/admin/bans."
    message_en = "This address is not banned now. See the list at /api/admin/bans."


class BanService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None, send: Send,
                 holding: Callable[[], bool] = lambda: True, clock: Callable[[], float] = time.time) -> None:
        self.rule = BanRule(settings.ban_failures, settings.ban_window_s, settings.ban_duration_s)
        self.counter = FailureCounter(self.rule, exempt_set([settings.trunk_address, *settings.ban_exempt]))
        self.store = BanStore(store_path(settings))
        self.etc_dir = asterisk_etc_dir(settings)
        self.sessions, self.send, self.holding, self.clock = sessions, send, holding, clock
        self.banned: dict[str, float] = {}  # address -> until, refreshed from the store by every enforce()
        self.reload_pending = False  # the file changed but Asterisk has not reread it yet (AMI was down)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, raw: Mapping[str, Any]) -> None:
        """Called for every AMI event: cheap unless it is a failed sign-in seen by the lease holder."""
        banning = self.failed(raw)
        if banning is not None:
            task = asyncio.get_running_loop().create_task(banning)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def failed(self, raw: Mapping[str, Any]) -> Coroutine[Any, Any, None] | None:
        """Count a failed sign-in; returns the ban's work when this failure bans its address."""
        if raw.get("Event") not in FAILURES:
            return None
        failure = failure_of(raw)
        if failure is None or not self.holding():
            return None
        now = self.clock()
        banned = [a for a, until in self.banned.items() if until > now]
        count = self.counter.failed(failure.address, now, banned)
        if not count:
            return None
        ban = new_ban(failure.address, now, self.rule, failure.service, failure.kind, count)
        self.banned[ban.address] = ban.until  # later failures from it (FailedACL) count no more
        return self._ban(ban)

    async def _ban(self, ban: Ban) -> None:
        log.warning("banned %s for %.0f s after %d failed sign-ins (%s %s)", ban.address, self.rule.duration_s,
                    ban.failures, ban.service, ban.reason)
        await asyncio.to_thread(self.store.add, ban)
        await self.enforce()
        await self._audit("ban", ban, SYSTEM_ACTOR, SYSTEM_ROLE)

    async def lift(self, address: str, actor: str, role: str) -> Ban | None:
        """An admin lifts a ban at once; None when the address is not banned."""
        ban = await asyncio.to_thread(self.store.remove, address)
        if ban is None:
            return None
        self.banned.pop(address, None)
        await self.enforce()
        await self._audit("ban_lift", ban, actor, role)
        return ban

    async def list(self) -> list[Ban]:
        return active_bans(await asyncio.to_thread(self.store.all), self.clock())

    async def enforce(self) -> None:
        """Make Asterisk's deny rules match the active bans; reload its ACLs when they changed."""
        async with self._lock:
            active = active_bans(await asyncio.to_thread(self.store.all), self.clock())
            self.banned = {b.address: b.until for b in active}
            if self.etc_dir is None or not self.etc_dir.is_dir():
                return
            if await asyncio.to_thread(write_asterisk_file, self.etc_dir, [b.address for b in active]):
                self.reload_pending = True
            if self.reload_pending:
                await self._reload()

    async def _reload(self) -> None:
        try:
            for module in RELOAD_MODULES:
                response = await self.send({"Action": "Reload", "Module": module})
                if getattr(response, "success", True) is False:
                    raise ConnectionError(f"Reload {module}: {response}")
        except ConnectionError as exc:  # retried by the next sweep and on reconnect
            log.warning("bans written but Asterisk not reloaded yet: %s", exc)
            return
        self.reload_pending = False

    async def sweep(self) -> None:
        """Lift the bans that ran out (lease holder only) and keep Asterisk's rules in step."""
        now = self.clock()
        self.counter.forget_older(now)
        if not self.holding():
            return
        for ban in await asyncio.to_thread(self.store.prune, now):
            log.info("ban on %s ended", ban.address)
            await self._audit("ban_expired", ban, SYSTEM_ACTOR, SYSTEM_ROLE)
        await self.enforce()

    async def run(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ban sweep failed")
            await asyncio.sleep(SWEEP_S)

    async def _audit(self, action: str, ban: Ban, actor: str, role: str) -> None:
        if self.sessions is None:
            return
        sessions = self.sessions
        detail = {"service": ban.service, "reason": ban.reason, "failures": ban.failures,
                  "until": datetime.fromtimestamp(ban.until, UTC).isoformat()}

        def write() -> None:
            with sessions() as session:
                audit_chain.append(session, actor=actor, role=role, action=action, subject=f"address:{ban.address}",
                                   detail=detail, now=datetime.now(UTC))
                session.commit()

        try:
            await asyncio.to_thread(write)
        except Exception:  # the ban stands even when the database is down; the log still has it
            log.exception("audit of %s %s failed", action, ban.address)

    def summary(self) -> dict[str, Any]:
        now = self.clock()
        return {"active": sum(1 for until in self.banned.values() if until > now),
                "reload_pending": self.reload_pending, "acting": self.holding()}
