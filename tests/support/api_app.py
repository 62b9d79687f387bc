"""An app built by create_app() for API tests, without its lifespan: no AMI, no Redis, a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.main import create_app
from app.services import auth, users
from app.settings import Settings

PASSWORD = "mật-khẩu-đủ-dài-1022"


class _AmiDown:
    """Stands in for the AMI link: reports itself down; sends fail as when Asterisk is away."""

    state = SimpleNamespace(status="disconnected", detail="test")

    async def send(self, _action: dict[str, str]) -> Any:
        raise ConnectionError("no AMI in API tests")


def build_app(url: str, tmp_path: Path, api_tokens: dict[str, str] | None = None) -> FastAPI:
    migrate.upgrade(url)
    app = create_app()  # lifespan not entered
    engine = make_engine(url)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.api_tokens = dict(api_tokens or {})
    # port 1 on loopback refuses at once, so /health answers quickly that Asterisk and AGI are down
    app.state.settings = Settings(var_dir=tmp_path / "var", instance="api-test", ami_port=1, agi_port=1)
    app.state.ami_link = _AmiDown()
    app.state.redis = None
    return app


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=True)


def add_user(app: FastAPI, username: str, role: str, *, agency_id: int | None = None,
             extension: str | None = None) -> int:
    with app.state.sessions() as session:
        user = users.create(session, username=username, display_name=username.title(), role=role,
                            password=PASSWORD, agency_id=agency_id, extension=extension, now=datetime.now(UTC))
        return user.id


def login_token(app: FastAPI, username: str) -> str:
    with app.state.sessions() as session:
        return auth.login(session, username, PASSWORD, datetime.now(UTC)).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
