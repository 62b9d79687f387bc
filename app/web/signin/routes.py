"""GET/POST /login (the td_session cookie), POST /logout, and / which sends each role to its page."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.api import ratelimit
from app.api.auth import SESSION_COOKIE
from app.errors import LoginFailed
from app.services import auth as auth_service
from app.web.common import i18n
from app.web.common.pages import current_page, page_user, safe_next
from app.web.common.templating import Page, render, secure_headers

router = APIRouter(include_in_schema=False)
# Before sign-in there is no session to bind a token to: the form's token must equal this cookie
# (double submit); a cross-site form cannot read or set it, and SameSite=Strict keeps it home.
LOGIN_CSRF_COOKIE = "td_csrf"
DESK_ROLES = ("operator", "supervisor", "admin")


def home_of(role: str) -> str:
    return "/console" if role in DESK_ROLES else "/kb"


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, *, status: int = 200, error: str = "", notice: str = "", next_url: str = "/",
                username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "signin/login.html", {"login_csrf": token, "error": error, "notice": notice,
                                                     "next": safe_next(next_url), "username": username},
                      status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=_is_https(request))
    return response


@router.get("/")
async def start(request: Request, page: Page | None = Depends(current_page)) -> Response:
    return RedirectResponse(home_of(page.role) if page else "/login", status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str = "/", out: int = 0) -> Response:
    notice = i18n.text(i18n.lang_of(request), "login.signed_out") if out else ""
    return _login_page(request, next_url=next, notice=notice)


@router.post("/login")
async def login_submit(request: Request, username: str = Form(""), password: str = Form(""),
                       csrf: str = Form(""), next: str = Form("/")) -> Response:
    lang = i18n.lang_of(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not csrf or not hmac.compare_digest(expected, csrf):
        return _login_page(request, status=400, error=i18n.text(lang, "login.expired"), next_url=next,
                           username=username)
    try:
        ratelimit.check_login(request, username)  # the same budgets as POST /api/auth/login
    except ratelimit.TooManyRequests as exc:
        own = exc.message_en if lang == "en" else exc.message_vi
        text = own if isinstance(exc, ratelimit.TooManySignIns) else i18n.text(lang, "login.too_many")
        page = _login_page(request, status=429, error=text, next_url=next)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    sessions = request.app.state.sessions

    def run() -> auth_service.LoginResult:
        with sessions() as session:
            return auth_service.login(session, username.strip(), password, datetime.now(UTC))

    try:
        result = await asyncio.to_thread(run)
    except LoginFailed as exc:
        ratelimit.login_failed(request, username)
        message = exc.message_en if lang == "en" else exc.message_vi
        return _login_page(request, status=401, error=message, next_url=next, username=username)
    target = safe_next(next)
    response = RedirectResponse(home_of(result.role) if target in ("/", "/login") else target, status_code=303)
    max_age = int((result.expires_at - datetime.now(UTC)).total_seconds())
    response.set_cookie(SESSION_COOKIE, result.token, max_age=max_age, httponly=True, samesite="strict", path="/",
                        secure=_is_https(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    secure_headers(response.headers)
    return response


@router.post("/logout")
async def logout(request: Request, page: Page = Depends(page_user("POST", "/logout"))) -> Response:
    """Revoke the browser's session (a bearer token used here is left alone: it is not the browser's)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions = request.app.state.sessions

        def run() -> None:
            with sessions() as session:
                auth_service.logout(session, cookie)

        await asyncio.to_thread(run)
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
