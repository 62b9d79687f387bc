"""Supervisors' routes without Asterisk: wallboard snapshot, forced pause/log-out (stored, logged, on the console)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.api.auth import ROLES
from app.api.policy import POLICY
from app.db.models import Alert, Call, Operator
from app.db.models_console import ConsoleEvent
from app.db.models_recordings import AuditChainEntry
from app.main import create_app
from app.services import operators
from tests.support.case_data import World, build_world

TOKENS = {f"tok-{role}": role for role in ROLES}
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
MINE = [k for k in POLICY if k[1] in ("/api/wallboard", "/api/alerts") or "/force-" in k[1]]


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = build_world(f"sqlite:///{tmp_path / 'sup.db'}")
    with w.sessions() as s:
        operators.ensure_operators(s, ["1001", "1002"])
        s.add_all([Call(uniqueid="c1", queue="q-general", started_at=NOW - timedelta(hours=1), operator="1001",
                        wait_seconds=5, outcome="answered", topic="infra"),
                   Call(uniqueid="c2", queue="q-general", started_at=NOW - timedelta(hours=1), wait_seconds=50,
                        outcome="abandoned", outcome_detail="queue:q-general"),
                   Call(uniqueid="c3", started_at=NOW - timedelta(hours=1), outcome="emergency_113"),
                   Call(uniqueid="old", queue="q-general", started_at=NOW - timedelta(days=1), outcome="answered",
                        operator="1001", wait_seconds=1),
                   Alert(kind="agi_failed", uniqueid="c3", detail="AGISTATUS=FAILURE", created_at=NOW)])
        s.commit()
    return w


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app()  # lifespan not entered: no AMI, no Redis
    app.state.sessions = world.sessions
    app.state.api_tokens = TOKENS
    app.state.clock = lambda: NOW
    yield TestClient(app)


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{role}"}


def test_given_todays_calls_when_getting_wallboard_then_figures_and_no_live_calls_without_ami(
        client: TestClient) -> None:
    body = client.get("/api/wallboard", headers=as_("supervisor")).json()
    q = {r["queue"]: r for r in body["queues"]}["q-general"]
    assert (q["answered_today"], q["abandoned_today"], q["service_level_pct"], q["asa_s"]) == (1, 1, 50.0, 5.0)
    assert body["ami"] is False and body["calls"] == []
    assert body["totals"]["by_outcome"]["referral_113"] == 1
    assert {o["extension"]: o["handled_today"] for o in body["operators"]} == {"1001": 1, "1002": 0}
    assert body["alerts"][0]["kind"] == "agi_fallback"


def test_given_supervisor_when_forcing_pause_then_stored_logged_and_sent_to_console(
        client: TestClient, world: World) -> None:
    r = client.post("/api/operators/1001/force-pause", json={"reason": "  họp   gấp "}, headers=as_("supervisor"))
    assert r.status_code == 200, r.text
    assert r.json() == {"extension": "1001", "state": "paused", "reason": "họp gấp", "applied": False}
    with world.sessions() as s:
        op = s.get(Operator, "1001")
        assert op is not None and (op.logged_in, op.paused, op.pause_reason) == (True, True, "họp gấp")
        event = s.scalars(select(ConsoleEvent).where(ConsoleEvent.extension == "1001")).one()
        assert event.kind == "state" and event.payload["state"] == "paused"
        assert event.payload["forced"]["by"].startswith("token:")
        chain = s.scalars(select(AuditChainEntry).where(AuditChainEntry.action == "force_pause")).one()
        assert chain.subject == "operator:1001" and chain.detail == {"reason": "họp gấp"}


def test_given_supervisor_when_forcing_logout_then_logged_out_and_logged(client: TestClient, world: World) -> None:
    r = client.post("/api/operators/1002/force-logout", json={"reason": "hết ca"}, headers=as_("admin"))
    assert r.status_code == 200 and r.json()["state"] == "logged_out"
    with world.sessions() as s:
        op = s.get(Operator, "1002")
        assert op is not None and not op.logged_in
        assert s.scalars(select(AuditChainEntry).where(AuditChainEntry.action == "force_logout")).one()


@pytest.mark.parametrize("reason,status,error_id", [(" ", 422, "invalid_force_reason"),
                                                    ("wrapup", 422, "invalid_force_reason")])
def test_given_bad_reason_when_forcing_then_422_and_nothing_changed(
        client: TestClient, world: World, reason: str, status: int, error_id: str) -> None:
    r = client.post("/api/operators/1001/force-pause", json={"reason": reason}, headers=as_("supervisor"))
    assert r.status_code == status and r.json()["error_id"] == error_id
    with world.sessions() as s:
        op = s.get(Operator, "1001")
        assert op is not None and not op.paused
        assert s.scalars(select(ConsoleEvent)).all() == []


def test_given_unknown_extension_when_forcing_then_404(client: TestClient) -> None:
    r = client.post("/api/operators/9999/force-logout", json={"reason": "x"}, headers=as_("supervisor"))
    assert r.status_code == 404 and r.json()["error_id"] == "unknown_operator"


def test_given_alerts_when_getting_then_todays_listed(client: TestClient) -> None:
    alerts = client.get("/api/alerts", headers=as_("supervisor")).json()["alerts"]
    assert [a["kind"] for a in alerts] == ["agi_fallback"]
    assert json.dumps(alerts)  # plain JSON


@pytest.mark.parametrize("role", sorted(ROLES))
def test_given_policy_when_each_role_calls_supervisor_routes_then_allowed_or_refused_as_listed(
        client: TestClient, role: str) -> None:
    for method, path in MINE:
        url = path.replace("{extension}", "1001")
        r = client.request(method, url, headers=as_(role), json={"reason": "kiểm tra"})
        allowed = role in POLICY[(method, path)]
        assert (r.status_code not in (401, 403)) == allowed, (method, path, role, r.status_code)
