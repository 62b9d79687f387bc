"""Where a call goes when it leaves the IVR. The full menu tree arrives with the IVR issue."""

from __future__ import annotations

from app import names


def initial_queue() -> str:
    return names.QUEUE_GENERAL
