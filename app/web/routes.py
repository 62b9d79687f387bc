"""Mounts every page folder of app/web on the application."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the pages, their static files and the WebSocket routes."""
