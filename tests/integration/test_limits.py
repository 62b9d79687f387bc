"""Rate limits: sign-in per username and per address, the public lookup per address; a clear 429 with Retry-After."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.ratelimit import LOGIN_FAILURES_PER_USER, LOGIN_PER_ADDRESS
from tests.support.api_app import PASSWORD, add_user, build_app
from tests.support.case_seed import seed
from tests.support.web import HTML, form_csrf

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    # the budgets live in the web process, not the database: SQLite is enough
    app = build_app(f"sqlite:///{tmp_path / 'limits.db'}", tmp_path)
    add_user(app, "an.nguyen", "operator")
    add_user(app, "binh.tran", "supervisor")
    return app


def from_address(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def login(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/auth/login", json={"username": username, "password": password}).status_code


def assert_clear_429(response: object, error_id: str, at_most: int) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error_id"] == error_id and body["message"] and body["message_en"]
    assert body["message"] != body["message_en"]  # Vietnamese and English
    assert 1 <= int(response.headers["retry-after"]) <= at_most  # type: ignore[attr-defined]


def test_given_wrong_passwords_for_one_username_from_many_addresses_when_spent_then_429_even_for_the_right_one(
        app: FastAPI) -> None:
    codes = [login(from_address(app, f"10.0.0.{i}"), "an.nguyen", "sai-mật-khẩu")
             for i in range(LOGIN_FAILURES_PER_USER)]
    assert codes == [401] * LOGIN_FAILURES_PER_USER
    refused = from_address(app, "10.0.1.1").post("/api/auth/login",
                                                 json={"username": "an.nguyen", "password": PASSWORD})
    assert_clear_429(refused, "too_many_sign_ins", 15 * 60)
    # the same account keyed another way (case, spaces) shares the budget; other accounts are untouched
    assert login(from_address(app, "10.0.1.2"), " AN.NGUYEN", PASSWORD) == 429
    assert login(from_address(app, "10.0.1.3"), "binh.tran", PASSWORD) == 200


def test_given_successful_sign_ins_when_repeated_then_they_do_not_count_against_the_username(app: FastAPI) -> None:
    codes = [login(from_address(app, f"10.1.0.{i}"), "an.nguyen", PASSWORD)
             for i in range(LOGIN_FAILURES_PER_USER + 2)]
    assert codes == [200] * (LOGIN_FAILURES_PER_USER + 2)


def test_given_many_sign_ins_from_one_address_when_spent_then_429_for_that_address_only(app: FastAPI) -> None:
    office = from_address(app, "10.2.0.1")
    codes = [login(office, f"user{i}", "sai-mật-khẩu") for i in range(LOGIN_PER_ADDRESS)]
    assert codes == [401] * LOGIN_PER_ADDRESS
    assert_clear_429(office.post("/api/auth/login", json={"username": "binh.tran", "password": PASSWORD}),
                     "too_many_requests", 60)
    assert login(from_address(app, "10.2.0.2"), "binh.tran", PASSWORD) == 200


def test_given_the_sign_in_form_when_a_username_is_spent_then_the_page_says_so_with_429_and_retry_after(
        app: FastAPI) -> None:
    browser = from_address(app, "10.3.0.1")
    for _ in range(LOGIN_FAILURES_PER_USER):
        form = browser.get("/login", headers=HTML)
        wrong = browser.post("/login", data={"username": "binh.tran", "password": "sai", "csrf": form_csrf(form.text)},
                             headers=HTML, follow_redirects=False)
        assert wrong.status_code == 401
    form = browser.get("/login", headers=HTML)
    refused = browser.post("/login", data={"username": "binh.tran", "password": PASSWORD,
                                           "csrf": form_csrf(form.text)}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert "15 phút" in refused.text and "td_session" not in refused.headers.get("set-cookie", "")


def test_given_many_public_lookups_from_one_address_when_spent_then_429_with_retry_after_for_that_address_only(
        app: FastAPI) -> None:
    with app.state.sessions() as session:
        code = seed(session).a
    citizen = from_address(app, "10.4.0.1")
    codes = [citizen.get(f"/public/cases/{code}", params={"phone": f"09000000{i:02d}"}).status_code
             for i in range(20)]
    assert codes == [404] * 20
    assert_clear_429(citizen.get(f"/public/cases/{code}", params={"phone": "0905123456"}), "too_many_requests", 60)
    assert from_address(app, "10.4.0.2").get(f"/public/cases/{code}", params={"phone": "0905123456"}).status_code == 200
