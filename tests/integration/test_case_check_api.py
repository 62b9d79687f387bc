"""POST /api/cases/check (Art. 6, nothing stored) and GET /api/agencies?topic= (the console's forwarding list)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.models import Case
from app.services import agencies
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token

pytestmark = pytest.mark.integration
GOOD = {"citizen_name": "Nguyễn Văn An", "citizen_phone": "0905 123 456", "topic": "infra",
        "content": "Đèn đường trước nhà số 12 bị hỏng hai tuần nay"}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        agencies.create_agency(session, {"kind": "utility", "name": "Điện lực Tam Kỳ", "jurisdiction": "quang-nam",
                                         "phone": "02353000000", "topics": ["infra"]})
        agencies.create_agency(session, {"kind": "department", "name": "Sở Tư pháp", "jurisdiction": "quang-nam",
                                         "topics": ["admin.howto"]})
        agencies.create_agency(session, {"kind": "provincial_office", "name": "Văn phòng UBND tỉnh",
                                         "jurisdiction": "quang-nam", "topics": []})
        agencies.create_agency(session, {"kind": "district", "name": "UBND huyện cũ", "jurisdiction": "quang-nam",
                                         "topics": ["infra"], "active": False})
    for role in ("operator", "focal_point", "auditor"):
        add_user(app, f"cc-{role}", role, agency_id=1 if role == "focal_point" else None)
    return client_for(app), {r: login_token(app, f"cc-{r}") for r in ("operator", "focal_point", "auditor")}


def _cases(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_given_a_complete_form_when_checking_then_ok_and_nothing_is_stored(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    response = client.post("/api/cases/check", json=GOOD, headers=bearer(tokens["operator"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "problems": {}}
    assert _cases(client) == 0


def test_given_a_partial_form_when_checking_then_each_field_has_its_problem_in_both_languages(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    body = {"citizen_name": "", "citizen_phone": "", "citizen_address": " ", "content": "hỏng đèn",
            "citizen_email": "not-an-email", "topic": "no-such-topic"}
    problems = client.post("/api/cases/check", json=body, headers=bearer(tokens["operator"])).json()["problems"]
    assert set(problems) == {"citizen_name", "citizen_phone", "citizen_address", "content", "citizen_email", "topic"}
    assert "Điều 6" in problems["citizen_name"]["vi"]
    assert "Art. 6" in problems["citizen_name"]["en"]
    assert problems["citizen_phone"] == problems["citizen_address"]  # either one would do
    assert "3 từ" in problems["content"]["vi"]
    only_name = client.post("/api/cases/check", json={"citizen_name": "Lê Thị Bình"},
                            headers=bearer(tokens["operator"])).json()
    assert only_name["ok"] is False and "citizen_name" not in only_name["problems"]


def test_given_a_badly_shaped_phone_when_checking_then_the_create_rules_apply(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    response = client.post("/api/cases/check", json={**GOOD, "citizen_phone": "090x"},
                           headers=bearer(tokens["operator"]))
    problems = response.json()["problems"]
    assert list(problems) == ["citizen_phone"]
    assert client.post("/api/cases", json={**GOOD, "citizen_phone": "090x"},
                       headers=bearer(tokens["operator"])).status_code == 422


def test_given_agency_roles_when_checking_then_refused(world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    assert client.post("/api/cases/check", json=GOOD, headers=bearer(tokens["focal_point"])).status_code == 403
    assert client.post("/api/cases/check", json=GOOD, headers=bearer(tokens["auditor"])).status_code == 403


def test_given_topic_when_listing_agencies_then_those_handling_it_first_and_any_topic_last(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    operator = bearer(tokens["operator"])
    infra = client.get("/api/agencies", params={"topic": "infra"}, headers=operator).json()
    assert [a["name"] for a in infra] == ["Điện lực Tam Kỳ", "Văn phòng UBND tỉnh"]
    assert infra[0]["topics"] == ["infra"] and infra[0]["phone"] == "02353000000"
    howto = client.get("/api/agencies", params={"topic": "admin"}, headers=operator).json()
    assert [a["name"] for a in howto] == ["Sở Tư pháp", "Văn phòng UBND tỉnh"]  # a sub-topic counts
    everyone = client.get("/api/agencies", headers=operator).json()
    assert len(everyone) == 3  # active ones, whatever their topics


def test_given_admin_when_setting_agency_topics_then_the_list_follows(database_url: str, tmp_path: Path) -> None:
    client = client_for(build_app(database_url, tmp_path, {"boot": "admin"}))
    admin = bearer("boot")
    created = client.post("/api/admin/agencies", headers=admin, json={"kind": "department", "name": "Sở Y tế",
                                                                      "jurisdiction": "quang-nam",
                                                                      "topics": ["social"]})
    assert created.status_code == 201, created.text
    assert created.json()["topics"] == ["social"]
    patched = client.patch(f"/api/admin/agencies/{created.json()['id']}", headers=admin, json={"topics": ["infra"]})
    assert patched.json()["topics"] == ["infra"]
    assert client.get("/api/agencies", params={"topic": "social"}, headers=admin).json() == []
