"""The bans admin routes: admins only, list what is banned, lift a ban (audit-chained), 404 for an unknown one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.api.auth import ROLES
from app.db.models_recordings import AuditChainEntry
from app.domain.bans import BanRule, new_ban
from app.services.bans import BanService
from tests.support.api_app import build_app, client_for


@pytest.fixture
def app_and_service(tmp_path: Path) -> tuple[Any, BanService]:
    app = build_app(f"sqlite:///{tmp_path / 'bans.db'}", tmp_path, {f"tok-{r}": r for r in ROLES})

    async def no_ami(_action: dict[str, str]) -> Any:
        raise ConnectionError("no AMI in API tests")

    service = BanService(app.state.settings, app.state.sessions, no_ami)
    app.state.bans = service
    return app, service


def test_given_a_ban_when_each_role_lists_bans_then_only_admins_see_it(app_and_service: tuple[Any, BanService]) -> None:
    app, service = app_and_service
    service.store.add(new_ban("127.0.0.5", time.time(), BanRule(), "PJSIP", "ChallengeResponseFailed", 5))
    client = client_for(app)
    for role in ROLES:
        response = client.get("/api/admin/bans", headers={"Authorization": f"Bearer tok-{role}"})
        if role == "admin":
            assert response.status_code == 200
            [ban] = response.json()
            assert (ban["address"], ban["service"], ban["failures"]) == ("127.0.0.5", "PJSIP", 5)
        else:
            assert response.status_code == 403 and response.json()["error_id"] == "forbidden", role
            lift = client.delete("/api/admin/bans/127.0.0.5", headers={"Authorization": f"Bearer tok-{role}"})
            assert lift.status_code == 403, role
    assert [b.address for b in service.store.all()] == ["127.0.0.5"]


def test_given_a_ban_when_an_admin_lifts_it_then_it_is_gone_and_audited(
        app_and_service: tuple[Any, BanService]) -> None:
    app, service = app_and_service
    service.store.add(new_ban("127.0.0.5", time.time(), BanRule(), "AMI", "InvalidPassword", 5))
    client = client_for(app)
    admin = {"Authorization": "Bearer tok-admin"}
    assert client.delete("/api/admin/bans/127.0.0.5", headers=admin).status_code == 204
    assert client.get("/api/admin/bans", headers=admin).json() == []
    missing = client.delete("/api/admin/bans/127.0.0.5", headers=admin)
    assert missing.status_code == 404 and missing.json()["error_id"] == "ban_not_found"
    assert client.delete("/api/admin/bans/not-an-address", headers=admin).status_code == 404
    with app.state.sessions() as session:
        entry = session.scalars(select(AuditChainEntry).where(AuditChainEntry.action == "ban_lift")).one()
        assert entry.subject == "address:127.0.0.5" and entry.role == "admin"
