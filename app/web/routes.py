"""Mounts every page folder of app/web on the application."""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web.common.pages import install_handlers
from app.web.common.templating import STATIC_DIRS

# Page folders with a routes.py exposing `router`; console_feed (the WebSocket) is added when it exists.
PAGE_MODULES = ("app.web.signin.routes", "app.web.kb.routes", "app.web.kb.admin_routes", "app.web.console.routes",
                "app.web.console_feed.routes", "app.web.audit.routes", "app.web.wallboard.routes",
                "app.web.wallboard_feed.routes", "app.web.calendar.routes")


def install(app: FastAPI) -> None:
    """Add the pages, their static files and the WebSocket routes."""
    install_handlers(app)
    for name in PAGE_MODULES:
        if importlib.util.find_spec(name.rsplit(".", 1)[0]) is None or importlib.util.find_spec(name) is None:
            continue  # a folder another helper has not written yet
        app.include_router(importlib.import_module(name).router)
    for prefix, folder in STATIC_DIRS.items():  # the longer prefix first: /static/console before /static
        if folder.is_dir():
            url = f"/static/{prefix}" if prefix else "/static"
            app.mount(url, StaticFiles(directory=folder), name=f"static-{prefix or 'app'}")
