"""Browser-like sign-in for page tests: the login form with its CSRF cookie, then the page's csrf-token meta."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.api_app import PASSWORD

HTML = {"Accept": "text/html,application/xhtml+xml"}


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no csrf field in the form"
    return found.group(1)


def meta_csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert found, "no csrf-token meta"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/") -> str:
    """Sign in through /login as a browser would; returns the CSRF token the pages carry."""
    form = client.get("/login", headers=HTML)
    response = client.post("/login", data={"username": username, "password": password, "csrf": form_csrf(form.text),
                                           "next": next_url}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    return meta_csrf(client.get("/kb", headers=HTML).text)
