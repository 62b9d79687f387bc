"""Browser sign-in: the td_session cookie (HttpOnly, SameSite=Strict), CSRF on unsafe requests, bearer unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.models_console import KbArticle
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.web import HTML, form_csrf, sign_in

pytestmark = pytest.mark.integration
ARTICLE = {"title": "Cấp bản sao giấy khai sinh", "procedure": "Xem quy trình chính thức."}


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> TestClient:
    app = build_app(database_url, tmp_path)
    add_user(app, "admin1", "admin")
    add_user(app, "sup1", "supervisor")
    return client_for(app)


def _articles(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalar(select(func.count()).select_from(KbArticle)) or 0


def test_given_login_form_when_signing_in_then_session_cookie_is_httponly_and_samesite_strict(
        client: TestClient) -> None:
    form = client.get("/login", headers=HTML)
    assert form.status_code == 200
    response = client.post("/login", data={"username": "sup1", "password": "mật-khẩu-đủ-dài-1022",
                                           "csrf": form_csrf(form.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("td_session="))
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Path=/" in cookie
    assert client.get("/api/auth/me").json()["username"] == "sup1"


def test_given_cookie_session_when_posting_without_csrf_token_then_403_and_nothing_changes(
        client: TestClient) -> None:
    sign_in(client, "admin1")
    before = _articles(client)
    response = client.post("/api/kb", json=ARTICLE)
    assert response.status_code == 403
    assert response.json()["error_id"] == "csrf_failed"
    wrong = client.post("/api/kb", json=ARTICLE, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    assert _articles(client) == before


def test_given_cookie_session_when_posting_with_csrf_token_then_it_works(client: TestClient) -> None:
    csrf = sign_in(client, "admin1")
    before = _articles(client)
    response = client.post("/api/kb", json=ARTICLE, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    assert response.json()["updated_by"] == "admin1"
    assert _articles(client) == before + 1


def test_given_bearer_token_when_posting_without_csrf_token_then_it_still_works(client: TestClient) -> None:
    token = login_token(client.app, "admin1")  # type: ignore[arg-type]
    fresh = client_for(client.app)  # type: ignore[arg-type]
    response = fresh.post("/api/kb", json=ARTICLE, headers=bearer(token))
    assert response.status_code == 201, response.text


def test_given_wrong_password_when_signing_in_then_vietnamese_error_says_what_to_do(client: TestClient) -> None:
    form = client.get("/login", headers=HTML)
    response = client.post("/login", data={"username": "sup1", "password": "sai-mat-khau-roi",
                                           "csrf": form_csrf(form.text)}, follow_redirects=False)
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text
    assert "nhờ quản trị viên đặt lại mật khẩu" in response.text  # the next step
    assert "td_session" not in response.headers.get("set-cookie", "")
    english = client.post("/login?lang=en", data={"username": "sup1", "password": "sai-mat-khau-roi",
                                                  "csrf": form_csrf(response.text)}, follow_redirects=False)
    assert "ask an administrator to reset your password" in english.text


def test_given_login_post_without_its_csrf_cookie_when_signing_in_then_refused_without_session(
        client: TestClient) -> None:
    response = client.post("/login", data={"username": "sup1", "password": "mật-khẩu-đủ-dài-1022",
                                           "csrf": "forged"}, follow_redirects=False)
    assert response.status_code == 400
    assert "td_session" not in response.headers.get("set-cookie", "")
    assert client.get("/api/auth/me").status_code == 401


def test_given_next_pointing_elsewhere_when_signing_in_then_the_redirect_stays_on_this_site(
        client: TestClient) -> None:
    form = client.get("/login", headers=HTML)
    response = client.post("/login", data={"username": "admin1", "password": "mật-khẩu-đủ-dài-1022",
                                           "csrf": form_csrf(form.text), "next": "//evil.example/x"},
                           follow_redirects=False)
    assert response.headers["location"] == "/console"


def test_given_signed_in_browser_when_logging_out_then_the_session_is_revoked(client: TestClient) -> None:
    csrf = sign_in(client, "sup1")
    cookie = client.cookies.get("td_session")
    assert client.post("/logout", data={"csrf": "wrong"}, headers=HTML).status_code == 403
    response = client.post("/logout", data={"csrf": csrf}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    replay = client_for(client.app)  # type: ignore[arg-type]
    replay.cookies.set("td_session", cookie or "")
    assert replay.get("/api/auth/me").status_code == 401


def test_given_no_session_when_a_browser_opens_a_page_then_it_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/kb?q=x", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fkb%3Fq%3Dx"
    assert client.get("/kb").status_code == 401  # not a browser navigation: a plain 401 page
