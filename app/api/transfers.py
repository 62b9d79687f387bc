"""Warm transfers to an agency's phone, blind transfers to 113/114/115, and call-backs from the console."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["transfers"])
