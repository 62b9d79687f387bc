"""The operator console's JSON routes: own state, the event feed (polling fallback) and screen-pop details."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["console"])
