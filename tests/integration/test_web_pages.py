"""The pages as rendered: sign-in needed, Vietnamese by default, English on ?lang=en, CSRF meta, stable ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.services import agencies, operators
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.web import HTML, meta_csrf, sign_in

pytestmark = pytest.mark.integration
CONSOLE_IDS = ("pop", "pop-caller", "pop-topic", "pop-ivr-path", "case-form", "case-save", "forward-agency",
               "state-control", "reg-warning", "transfer-state", "transfer-start", "transfer-complete",
               "transfer-cancel", "wrapup-end", "cb-list", "kb-q", "do-blind", "shortcuts")


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> TestClient:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        operators.ensure_operators(session, ["1001"])
        agency = agencies.create_agency(session, {"kind": "department", "name": "Sở Y tế", "jurisdiction": "quang-nam"})
    add_user(app, "op1", "operator", extension="1001")
    add_user(app, "fp1", "focal_point", agency_id=agency.id)
    add_user(app, "admin1", "admin")
    return client_for(app)


@pytest.mark.parametrize("path", ["/console", "/kb", "/kb/1", "/admin/kb", "/admin/kb/new"])
def test_given_no_session_when_a_browser_opens_a_page_then_it_goes_to_login_and_back(client: TestClient,
                                                                                     path: str) -> None:
    response = client.get(path, headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    login = client.get(response.headers["location"], headers=HTML)
    assert f'name="next" value="{path}"' in login.text


def test_given_operator_when_opening_the_console_then_vietnamese_page_with_csrf_meta_and_stable_ids(
        client: TestClient) -> None:
    csrf = sign_in(client, "op1")
    page = client.get("/console", headers=HTML)
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Bàn tổng đài viên" in page.text and "Phiếu tiếp nhận" in page.text
    assert meta_csrf(page.text) == csrf
    for element_id in CONSOLE_IDS:
        assert f'id="{element_id}"' in page.text, element_id
    assert 'data-testid="pop-caller"' in page.text
    assert "F9" in page.text and "Ctrl+S" in page.text  # the shortcuts help line
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_given_lang_en_when_opening_the_console_then_english_and_the_choice_is_remembered(
        client: TestClient) -> None:
    sign_in(client, "op1")
    english = client.get("/console?lang=en", headers=HTML)
    assert '<html lang="en">' in english.text
    assert "Operator console" in english.text and "Case form" in english.text
    assert 'href="/console?lang=vi"' in english.text  # the switch back
    assert "td_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/kb", headers=HTML).text  # the cookie keeps English
    assert '<html lang="vi">' in client.get("/kb?lang=vi", headers=HTML).text


def test_given_every_page_then_each_shows_the_language_switch(client: TestClient) -> None:
    assert 'id="lang-switch"' in client.get("/login", headers=HTML).text
    sign_in(client, "admin1")
    for path in ("/console?extension=1001", "/kb", "/kb/1", "/admin/kb", "/admin/kb/new", "/admin/kb/1"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        assert 'id="lang-switch"' in page.text, path


def test_given_focal_point_when_opening_the_console_then_a_403_page_in_vietnamese(client: TestClient) -> None:
    sign_in(client, "fp1")
    page = client.get("/console", headers=HTML)
    assert page.status_code == 403
    assert "Không được phép" in page.text
    assert client.get("/admin/kb", headers=HTML).status_code == 403
    assert client.get("/kb", headers=HTML).status_code == 200  # every staff member reads the knowledge base


def test_given_pages_then_scripts_and_styles_come_from_this_server_only(client: TestClient) -> None:
    sign_in(client, "op1")
    page = client.get("/console", headers=HTML).text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css)[^"]*)"', page)
    assert len(assets) == 10  # app.css, console.css, the shared td-web.js and the console's seven scripts
    assert len(re.findall(r'<script src="[^"]+" defer></script>', page)) == 8
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_given_bearer_token_when_opening_a_page_then_it_renders_without_cookie(client: TestClient) -> None:
    token = login_token(client.app, "op1")  # type: ignore[arg-type]
    page = client.get("/console", headers={**bearer(token), **HTML})
    assert page.status_code == 200
