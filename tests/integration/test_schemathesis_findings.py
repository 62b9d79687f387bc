"""Each 5xx that the schemathesis fuzz found, kept as a plain test so the short CI fuzz cannot let it back in."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.models_auth import User
from tests.support.api_app import PASSWORD, add_user, bearer, build_app, client_for, login_token

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(database_url: str, tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    app = build_app(database_url, tmp_path)
    add_user(app, "root", "admin")
    return client_for(app), bearer(login_token(app, "root"))


def _users(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_given_an_agency_id_that_names_no_agency_when_creating_a_user_then_422_not_a_foreign_key_500(
        admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    before = _users(client)
    response = client.post("/api/admin/users", headers=headers, json={
        "username": "dau.moi", "display_name": "Đầu mối", "role": "focal_point", "password": PASSWORD,
        "agency_id": -35552})
    assert response.status_code == 422, response.text
    assert response.json()["error_id"] == "unknown_agency" and "agency_id" in response.json()["message"]
    assert _users(client) == before


def test_given_an_agency_id_that_names_no_agency_when_changing_a_user_then_422_and_the_user_unchanged(
        admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    user = client.post("/api/admin/users", headers=headers, json={
        "username": "giam.sat", "display_name": "Giám sát", "role": "supervisor", "password": PASSWORD}).json()
    response = client.patch(f"/api/admin/users/{user['id']}", headers=headers, json={"agency_id": 999999})
    assert response.status_code == 422, response.text
    assert client.get(f"/api/admin/users/{user['id']}", headers=headers).json()["agency_id"] is None
