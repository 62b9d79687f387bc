"""Sign-in with argon2 passwords, sessions, user and operator administration, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.models_auth import AuthSession, User
from app.services import auth, operators
from app.services.auth import token_hash
from tests.support.api_app import PASSWORD, add_user, bearer, build_app, client_for

pytestmark = pytest.mark.integration


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> TestClient:
    app = build_app(database_url, tmp_path, {"boot-admin": "admin"})
    with app.state.sessions() as session:
        operators.ensure_operators(session, ["1001", "1002"])
    add_user(app, "giamsat", "supervisor")
    return client_for(app)


def _login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])


def test_given_right_password_when_logging_in_then_token_works_and_only_its_hash_is_stored(
        client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"username": "giamsat", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 200 and body["role"] == "supervisor" and body["expires_at"]
    me = client.get("/api/auth/me", headers=bearer(body["token"])).json()
    assert me["username"] == "giamsat" and me["role"] == "supervisor" and me["user_id"] is not None
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        stored = session.scalars(select(AuthSession.token_hash)).all()
        user = session.scalar(select(User).where(User.username == "giamsat"))
    assert stored == [token_hash(body["token"])]
    assert user is not None and user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash


def test_given_wrong_password_or_unknown_user_when_logging_in_then_same_401(client: TestClient) -> None:
    wrong = client.post("/api/auth/login", json={"username": "giamsat", "password": "sai-mat-khau-roi"})
    unknown = client.post("/api/auth/login", json={"username": "khongco", "password": "sai-mat-khau-roi"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error_id"] == "login_failed"


def test_given_logged_out_token_when_used_then_401(client: TestClient) -> None:
    headers = _login(client, "giamsat")
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_given_admin_when_creating_user_then_password_is_never_returned(client: TestClient) -> None:
    admin = bearer("boot-admin")
    response = client.post("/api/admin/users", headers=admin, json={
        "username": "kiemtra", "display_name": "Kiểm Tra Viên", "role": "auditor", "password": "mot-mat-khau-dai"})
    assert response.status_code == 201, response.text
    assert "password" not in response.text and "argon2" not in response.text
    listed = client.get("/api/admin/users", headers=admin)
    assert "argon2" not in listed.text and {u["username"] for u in listed.json()} == {"giamsat", "kiemtra"}
    assert _login(client, "kiemtra", "mot-mat-khau-dai")


def test_given_short_password_when_creating_user_then_422_and_nothing_stored(client: TestClient) -> None:
    response = client.post("/api/admin/users", headers=bearer("boot-admin"), json={
        "username": "ngan", "display_name": "Ngắn", "role": "operator", "password": "123456789"})
    assert response.status_code == 422 and response.json()["error_id"] == "weak_password"
    names = {u["username"] for u in client.get("/api/admin/users", headers=bearer("boot-admin")).json()}
    assert "ngan" not in names


def test_given_duplicate_username_when_creating_then_409(client: TestClient) -> None:
    response = client.post("/api/admin/users", headers=bearer("boot-admin"), json={
        "username": "giamsat", "display_name": "X", "role": "operator", "password": "mot-mat-khau-dai"})
    assert response.status_code == 409 and response.json()["error_id"] == "username_taken"


def test_given_role_change_or_deactivation_when_old_token_used_then_401(client: TestClient) -> None:
    admin = bearer("boot-admin")
    user_id = client.get("/api/auth/me", headers=_login(client, "giamsat")).json()["user_id"]
    headers = _login(client, "giamsat")
    changed = client.patch(f"/api/admin/users/{user_id}", headers=admin, json={"role": "auditor"})
    assert changed.status_code == 200 and changed.json()["role"] == "auditor"
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.get("/api/auth/me", headers=_login(client, "giamsat")).json()["role"] == "auditor"
    assert client.delete(f"/api/admin/users/{user_id}", headers=admin).json()["active"] is False
    again = client.post("/api/auth/login", json={"username": "giamsat", "password": PASSWORD})
    assert again.status_code == 401 and again.json()["error_id"] == "login_failed"


def test_given_focal_point_without_agency_when_creating_then_422(client: TestClient) -> None:
    response = client.post("/api/admin/users", headers=bearer("boot-admin"), json={
        "username": "daumoi", "display_name": "Đầu Mối", "role": "focal_point", "password": "mot-mat-khau-dai"})
    assert response.status_code == 422 and response.json()["error_id"] == "agency_required"


def test_given_extension_when_creating_operator_then_bound_once(client: TestClient) -> None:
    admin = bearer("boot-admin")
    body = {"username": "tdv1", "display_name": "Tổng Đài Viên 1", "password": "mot-mat-khau-dai",
            "extension": "1001"}
    created = client.post("/api/admin/operators", headers=admin, json=body)
    assert created.status_code == 201 and created.json()["extension"] == "1001"
    assert created.json()["role"] == "operator"
    taken = client.post("/api/admin/operators", headers=admin, json={**body, "username": "tdv2"})
    assert taken.status_code == 409 and taken.json()["error_id"] == "extension_taken"
    unknown = client.post("/api/admin/operators", headers=admin, json={**body, "username": "tdv3", "extension": "9"})
    assert unknown.status_code == 404
    assert [u["username"] for u in client.get("/api/admin/operators", headers=admin).json()] == ["tdv1"]


def test_given_bootstrap_token_when_logging_out_then_it_keeps_working(client: TestClient) -> None:
    assert client.post("/api/auth/logout", headers=bearer("boot-admin")).status_code == 204
    me = client.get("/api/auth/me", headers=bearer("boot-admin")).json()
    assert me == {"role": "admin", "user_id": None, "username": None, "agency_id": None}


def test_given_expired_session_when_used_then_401(client: TestClient) -> None:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        old = auth.login(session, "giamsat", PASSWORD, datetime(2026, 1, 1, tzinfo=UTC))
    assert client.get("/api/auth/me", headers=bearer(old.token)).status_code == 401
