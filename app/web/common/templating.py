"""Jinja2 for every page folder (app/web/<folder>/templates, named "<folder>/<file>"), and the HTML response."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from app.api.auth import Principal
from app.web.common import i18n

WEB_DIR = Path(__file__).resolve().parent.parent
STATIC_DIRS = {"console": WEB_DIR / "console" / "static", "audit": WEB_DIR / "audit" / "static",
               "wallboard": WEB_DIR / "wallboard" / "static", "calendar": WEB_DIR / "calendar" / "static",
               "": WEB_DIR / "static"}  # URL prefix under /static
# Pages only talk to their own server: no CDN, no inline scripts (JSON data blocks are not executed).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


@dataclass(frozen=True)
class Page:
    """Who is looking at a page: what the templates need to show the header, forms and the CSRF token."""

    principal: Principal
    token: str
    csrf: str
    lang: str

    @property
    def role(self) -> str:
        return self.principal.role


@cache
def environment() -> jinja2.Environment:
    folders = {p.parent.name: jinja2.FileSystemLoader(p) for p in sorted(WEB_DIR.glob("*/templates"))}
    env = jinja2.Environment(loader=jinja2.PrefixLoader(folders), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals["asset"] = asset
    return env


@cache
def asset(name: str) -> str:
    """/static URL of a file with a content hash, so browsers never run yesterday's console.js."""
    for prefix, folder in STATIC_DIRS.items():
        rel = name.removeprefix(prefix + "/") if prefix else name
        if (prefix and not name.startswith(prefix + "/")) or not (folder / rel).is_file():
            continue
        digest = hashlib.sha256((folder / rel).read_bytes()).hexdigest()[:10]
        return f"/static/{name}?v={digest}"
    raise FileNotFoundError(name)


def switch_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = lang
    return f"{request.url.path}?{urlencode(params)}"


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, page: Page | None = None,
           status: int = 200, lang: str | None = None) -> HTMLResponse:
    lang = lang or (page.lang if page else i18n.lang_of(request))
    other = "en" if lang == "vi" else "vi"
    values = {"t": i18n.translator(lang), "lang": lang, "page": page, "csrf": page.csrf if page else "",
              "path": request.url.path, "switch_url": switch_url(request, other), **(context or {})}
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    secure_headers(response.headers)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS and asked != request.cookies.get(i18n.LANG_COOKIE):
        response.set_cookie(i18n.LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="strict", path="/")
    return response


def secure_headers(headers: Any) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cache-Control"] = "no-store"  # pages carry personal data and the CSRF token
