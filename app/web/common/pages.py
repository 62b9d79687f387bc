"""The check in front of every page: signed in (else to /login), the right role (else a 403 page), CSRF on forms."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.api.auth import (
    CSRF_HEADER,
    SAFE_METHODS,
    credential,
    csrf_ok,
    csrf_token,
    principal_of,
    session_key,
)
from app.api.policy import roles_for
from app.errors import NotAuthenticated
from app.web.common import i18n
from app.web.common.templating import Page, render

CSRF_FIELD = "csrf"


class PageRefused(Exception):
    """Raised by page dependencies; turned into an HTML page (never JSON) by install_handlers."""

    status_code = 400
    key = "error.404"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.key)
        self.detail = detail


class SignInNeeded(PageRefused):
    status_code = 401
    key = "error.401"


class PageForbidden(PageRefused):
    status_code = 403
    key = "error.403"


class PageCsrfFailed(PageRefused):
    status_code = 403
    key = "error.csrf"


class PageNotFound(PageRefused):
    status_code = 404
    key = "error.404"


def safe_next(target: str | None) -> str:
    """Only a path on this site: "//evil.example" and "https://..." would send the operator elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _principal(request: Request) -> tuple[Page | None, bool]:
    try:
        cred = credential(request)
    except NotAuthenticated:
        return None, False
    if cred is None:
        return None, False
    principal = await asyncio.to_thread(principal_of, request, cred.token)
    if principal is None:
        return None, cred.from_cookie
    page = Page(principal=principal, token=cred.token, csrf=csrf_token(session_key(request.app), cred.token),
                lang=i18n.lang_of(request))
    return page, cred.from_cookie


async def current_page(request: Request) -> Page | None:
    """The signed-in viewer, or None; for pages that anyone may open (the sign-in page, the start page)."""
    page, _ = await _principal(request)
    return page


def page_user(method: str, path: str) -> Callable[[Request], Awaitable[Page]]:
    """Dependency of one page route; the roles come from app.api.policy like every API route's."""
    roles = set(roles_for(method, path))

    async def dependency(request: Request) -> Page:
        page, from_cookie = await _principal(request)
        if page is None:
            raise SignInNeeded(path)
        if page.role not in roles:
            raise PageForbidden(f"role {page.role}")
        if from_cookie and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER)
            if not sent:
                form = await request.form()  # cached by Starlette: the route's Form() fields still read it
                field = form.get(CSRF_FIELD)
                sent = field if isinstance(field, str) else None
            if not csrf_ok(request, page.token, sent):
                raise PageCsrfFailed()
        return page

    return dependency


def refusal_page(request: Request, exc: PageRefused) -> Response:
    if isinstance(exc, SignInNeeded) and _wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return render(request, "common/error.html", {"key": exc.key, "status": exc.status_code},
                  status=exc.status_code)


def install_handlers(app: FastAPI) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageRefused)
        return refusal_page(request, exc)

    app.add_exception_handler(PageRefused, handler)
