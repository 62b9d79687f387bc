"""The one table of FastAGI routes; the dialplan may name only these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from agi.handlers import Handlers
from agi.protocol import Request
from app import names

Route = Callable[[Request], Awaitable[None]]


def route_table(handlers: Handlers) -> dict[str, Route]:
    return {
        names.AGI_ROUTE_IVR: handlers.ivr,
        names.AGI_ROUTE_QUEUE_EXIT: handlers.queue_exit,
        names.AGI_ROUTE_HEALTH: handlers.health,
        names.AGI_ROUTE_BASELINE: handlers.baseline,
    }
