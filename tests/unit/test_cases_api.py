"""The case and admin API through FastAPI: roles, validation (422, nothing changed), 404, 409, audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.api.auth import ROLES
from app.api.policy import POLICY
from app.db.models import Case
from app.db.models_cases import AuditLog
from app.domain import case_code
from app.main import create_app
from tests.support.case_data import WED_0900, World, build_world

TOKENS = {f"tok-{role}": role for role in ROLES}
MY_PREFIXES = ("/api/cases", "/api/agencies", "/api/topics", "/api/admin/agencies", "/api/admin/topics",
               "/api/admin/calendar")
CASE = {"citizen_name": "Nguyễn Văn An", "citizen_phone": "0905 999 000", "channel": "phone", "topic": "infra",
        "content": "Đường Hùng Vương bị sụt lún, rất nguy hiểm"}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(f"sqlite:///{tmp_path / 'api.db'}")


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app()  # lifespan not entered: no AMI, no Redis, no scheduler
    app.state.sessions = world.sessions
    app.state.api_tokens = TOKENS
    app.state.clock = lambda: WED_0900
    yield TestClient(app)


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{role}"}


def _count_cases(world: World) -> int:
    with world.sessions() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


def _create(client: TestClient, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/cases", json={**CASE, **changes}, headers=as_("operator"))
    assert response.status_code == 201, response.text
    return response.json()


def test_given_operator_when_creating_case_then_201_with_valid_code_and_receive_event(client: TestClient) -> None:
    case = _create(client)
    assert case_code.is_valid(case["code"]) and case["status"] == "received"
    assert case["citizen_phone"] == "0905999000" and case["version"] == 1
    events = client.get(f"/api/cases/{case['code']}/events", headers=as_("supervisor")).json()
    assert [(e["action"], e["to_status"], e["actor"]) for e in events] == [("receive", "received", "token:tok-op")]


@pytest.mark.parametrize(("changes", "field"), [
    ({"citizen_name": ""}, "citizen_name"),
    ({"content": "我的路坏了 请修理 谢谢"}, "content"),
    ({"citizen_phone": None}, "citizen_phone"),
    ({"channel": "fax"}, "channel"),
    ({"topic": "no-such-topic"}, "topic"),
    ({"jurisdiction": "atlantis"}, "jurisdiction"),
    ({"citizen_email": "not-an-email"}, "citizen_email"),
    ({"unexpected": 1}, "unexpected"),
])
def test_given_bad_case_when_creating_then_422_naming_field_and_nothing_stored(
        client: TestClient, world: World, changes: dict[str, Any], field: str) -> None:
    response = client.post("/api/cases", json={**CASE, **changes}, headers=as_("operator"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_id"] in ("invalid_input", "unknown_jurisdiction") and body["message"] and body["message_en"]
    assert field in (body["detail"] or "")
    assert _count_cases(world) == 0


def test_given_case_when_forwarding_then_answering_directly_then_409_illegal_transition(
        client: TestClient, world: World) -> None:
    code = _create(client)["code"]
    ok = client.post(f"/api/cases/{code}/transitions", headers=as_("operator"),
                     json={"action": "forward", "data": {"agency_id": str(world.agency_id)}, "version": 1})
    assert ok.status_code == 200, ok.text
    assert ok.json()["case"]["status"] == "forwarded_to_focal_point" and ok.json()["case"]["focal_point_due"]
    bad = client.post(f"/api/cases/{code}/transitions", headers=as_("operator"),
                      json={"action": "answer_directly", "data": {"answer": "x"}})
    assert bad.status_code == 409 and bad.json()["error_id"] == "illegal_transition"
    stale = client.post(f"/api/cases/{code}/transitions", headers=as_("admin"),
                        json={"action": "answer", "data": {"answer": "Đã xử lý"}, "version": 1})
    assert stale.status_code == 409 and stale.json()["error_id"] == "stale_version"
    events = client.get(f"/api/cases/{code}/events", headers=as_("admin")).json()
    assert [e["action"] for e in events] == ["receive", "forward"]


@pytest.mark.parametrize("body", [{"action": "fly"}, {"action": "forward", "data": {"agency_id": "999"}},
                                  {"action": "refuse", "reason": "ngoài phạm vi"},
                                  {"action": "forward", "data": {"agency_id": 1}}])
def test_given_bad_transition_input_when_posting_then_422_and_case_unchanged(client: TestClient,
                                                                           body: dict[str, Any]) -> None:
    code = _create(client)["code"]
    response = client.post(f"/api/cases/{code}/transitions", headers=as_("operator"), json=body)
    assert response.status_code == 422, response.text
    assert client.get(f"/api/cases/{code}", headers=as_("operator")).json()["version"] == 1


def test_given_unknown_code_when_reading_or_acting_then_404_case_not_found(client: TestClient) -> None:
    assert client.get("/api/cases/260000000", headers=as_("operator")).json()["error_id"] == "case_not_found"
    response = client.post("/api/cases/260000000/transitions", headers=as_("operator"), json={"action": "refuse"})
    assert (response.status_code, response.json()["error_id"]) == (404, "case_not_found")


def test_given_roles_when_acting_then_only_their_actions(client: TestClient) -> None:
    code = _create(client)["code"]
    response = client.post(f"/api/cases/{code}/transitions", headers=as_("provincial_office"),
                           json={"action": "forward", "data": {"agency_id": "1"}})
    assert (response.status_code, response.json()["error_id"]) == (403, "action_not_allowed")
    # A focal point without an agency (bootstrap token) sees no case at all.
    assert client.get(f"/api/cases/{code}", headers=as_("focal_point")).json()["error_id"] == "other_agency_case"
    assert client.get("/api/cases", headers=as_("focal_point")).json()["total"] == 0


def test_given_auditor_when_reading_case_then_access_logged(client: TestClient, world: World) -> None:
    code = _create(client)["code"]
    assert client.get(f"/api/cases/{code}", headers=as_("auditor")).status_code == 200
    assert client.get("/api/cases", params={"q": "duong"}, headers=as_("auditor")).json()["total"] == 1
    assert client.post("/api/cases", json=CASE, headers=as_("auditor")).status_code == 403
    with world.sessions() as s:
        rows = list(s.scalars(select(AuditLog).order_by(AuditLog.id)))
    assert [(r.role, r.case_code) for r in rows] == [("auditor", code), ("auditor", None)]
    assert rows[1].route.startswith("GET /api/cases?q=duong")


def test_given_search_params_when_invalid_then_422(client: TestClient) -> None:
    for params in ({"status": "lost"}, {"limit": 0}, {"created_from": "2026-12-01T00:00:00"}, {"code": "12ab"}):
        response = client.get("/api/cases", params=params, headers=as_("operator"))
        assert response.status_code == 422, params


def test_given_admin_when_managing_agencies_topics_and_calendar_then_changes_apply(client: TestClient) -> None:
    admin = as_("admin")
    agency = client.post("/api/admin/agencies", headers=admin, json={
        "kind": "commune", "name": "UBND xã Tam Thăng", "jurisdiction": "quang-nam", "phone": "02353111222"})
    assert agency.status_code == 201
    agency_id = agency.json()["id"]
    contact = client.post(f"/api/admin/agencies/{agency_id}/contacts", headers=admin,
                          json={"role": "focal_point", "name": "Phạm D", "email": "d@example.vn"})
    assert contact.status_code == 201
    assert client.post("/api/admin/agencies", headers=admin,
                       json={"kind": "planet", "name": "x", "jurisdiction": "quang-nam"}).status_code == 422
    assert client.patch(f"/api/admin/agencies/{agency_id}", headers=admin, json={"active": False}).status_code == 200
    assert agency_id not in [a["id"] for a in client.get("/api/agencies", headers=as_("operator")).json()]
    assert client.delete(f"/api/admin/agencies/{agency_id}", headers=admin).status_code == 204

    topic = client.post("/api/admin/topics", headers=admin,
                        json={"code": "infra.lighting", "name_vi": "Chiếu sáng công cộng", "art4_group": 3})
    assert topic.status_code == 201
    assert client.post("/api/admin/topics", headers=admin,
                       json={"code": "x", "name_vi": "x", "art4_group": 6}).status_code == 422
    assert client.delete("/api/admin/topics/infra.lighting", headers=admin).status_code == 204

    holidays = client.get("/api/admin/calendar/holidays", params={"year": 2026}, headers=admin).json()
    assert any(h["day"] == "2026-09-02" and h["source"] == "holidays-pkg" for h in holidays)
    assert client.delete("/api/admin/calendar/holidays/2026-09-02", headers=admin).status_code == 204
    kept = client.get("/api/admin/calendar/holidays", params={"year": 2026}, headers=admin).json()
    assert [h["closed"] for h in kept if h["day"] == "2026-09-02"] == [False]
    assert client.post("/api/admin/calendar/extra-working-days", headers=admin,
                       json={"day": "2026-12-05", "windows": "25:00-26:00"}).status_code == 422
    assert client.post("/api/admin/calendar/closures", headers=admin, json={
        "start_at": "2026-12-03T10:00:00+07:00", "end_at": "2026-12-03T09:00:00+07:00"}).status_code == 422
    assert client.delete("/api/admin/calendar/closures/999", headers=admin).json()["error_id"] == \
        "calendar_entry_not_found"


def test_given_admin_when_weekly_hours_replaced_then_read_back_and_a_malformed_spec_refused(client: TestClient) -> None:
    admin = as_("admin")
    seeded = client.get("/api/admin/calendar/weekly", headers=admin).json()
    assert seeded == {"spec": "mon-fri 07:00-11:30,13:30-17:00", "timezone": "Asia/Ho_Chi_Minh"}
    put = client.put("/api/admin/calendar/weekly", headers=admin, json={"spec": "mon-sat 07:00-17:00"})
    assert put.status_code == 200 and put.json()["spec"] == "mon-sat 07:00-17:00"
    assert client.get("/api/admin/calendar/weekly", headers=admin).json()["spec"] == "mon-sat 07:00-17:00"
    assert client.put("/api/admin/calendar/weekly", headers=admin, json={"spec": "mon-fri 17:00-07:00"}).status_code \
        == 422


def _fill(path: str) -> str:
    return (path.replace("{code}", "260000000").replace("{agency_id}", "999").replace("{contact_id}", "999")
            .replace("{day}", "2026-12-25").replace("{closure_id}", "999").replace("{season_id}", "999"))


@pytest.mark.parametrize("role", ROLES)
def test_given_policy_when_each_role_calls_each_case_route_then_allowed_or_refused_as_listed(
        client: TestClient, role: str) -> None:
    for (method, path), allowed in POLICY.items():
        if not path.startswith(MY_PREFIXES):
            continue
        response = client.request(method, _fill(path), headers=as_(role), json={})
        refused = response.status_code == 403 and response.json()["error_id"] == "forbidden"
        assert refused == (role not in allowed), (method, path, role, response.status_code)
