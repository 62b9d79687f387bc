"""Every API route checks roles; errors say what to do, in Vietnamese and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.main import create_app

TOKENS = {"tok-admin": "admin", "tok-auditor": "auditor", "tok-focal": "focal_point"}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate.upgrade(url)
    app = create_app()  # lifespan not entered: no AMI, no Redis
    app.state.sessions = session_factory(make_engine(url))
    app.state.api_tokens = TOKENS
    return TestClient(app)


def test_given_no_token_when_listing_calls_then_401_with_bilingual_hint(client: TestClient) -> None:
    response = client.get("/api/calls")
    assert response.status_code == 401
    body = response.json()
    assert body["error_id"] == "not_authenticated"
    assert "Bearer" in body["message"] and "Bearer" in body["message_en"]


@pytest.mark.parametrize(("token", "status"), [("tok-admin", 200), ("tok-auditor", 200), ("tok-focal", 403),
                                               ("tok-unknown", 401)])
def test_given_role_when_listing_calls_then_allowed_or_refused(client: TestClient, token: str, status: int) -> None:
    response = client.get("/api/calls", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status


def test_given_bad_limit_when_listing_calls_then_422(client: TestClient) -> None:
    response = client.get("/api/calls", params={"limit": 0}, headers={"Authorization": "Bearer tok-admin"})
    assert response.status_code == 422
    body = response.json()
    assert body["error_id"] == "invalid_input"
    assert "limit" in body["detail"]
