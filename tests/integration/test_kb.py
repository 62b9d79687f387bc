"""Knowledge base: search with or without diacritics, samples from the seed documents, editing by admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.services import kb
from app.services.kb_samples import SAMPLES
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.web import HTML, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    app = build_app(database_url, tmp_path)
    for role in ("admin", "operator", "auditor"):
        add_user(app, f"kb-{role}", role)
    return client_for(app), {role: login_token(app, f"kb-{role}") for role in ("admin", "operator", "auditor")}


def _titles(client: TestClient, token: str, **params: str) -> list[str]:
    response = client.get("/api/kb", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return [a["title"] for a in response.json()]


def test_given_samples_when_searching_buu_chinh_without_diacritics_then_the_article_is_found(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    found = _titles(client, tokens["operator"], q="buu chinh")
    assert any("bưu chính công ích" in title for title in found)
    assert _titles(client, tokens["operator"], q="BƯU CHÍNH") == found  # with diacritics and capitals alike
    assert _titles(client, tokens["operator"], q="buu chinh khong-co-tu-nay") == []


def test_given_samples_then_they_are_marked_with_a_source_and_invent_no_fee(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    articles = client.get("/api/kb", headers=bearer(tokens["operator"])).json()
    assert len(articles) == len(SAMPLES) >= 3
    for article in articles:
        assert article["sample"] is True
        assert article["source"]
        assert article["fees"] == ""  # no seed document states a fee
        # a time limit only where Decision 1519 Art. 10 states one, or a pointer to the official procedure
        assert article["time_limit"] == "" or "Điều 10" in article["time_limit"]


def test_given_samples_seeded_when_starting_again_then_nothing_is_added_twice(database_url: str,
                                                                              tmp_path: Path) -> None:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        assert kb.ensure_samples(session, datetime.now(UTC)) == len(SAMPLES)
        assert kb.ensure_samples(session, datetime.now(UTC)) == 0
        assert len(kb.search(session)) == len(SAMPLES)


def test_given_topic_when_searching_then_topic_and_any_topic_articles_come_back(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    found = _titles(client, tokens["operator"], topic="admin.dossier_status")
    assert found[0] == "Tra cứu tình trạng xử lý hồ sơ thủ tục hành chính"  # its own topic first
    assert "Cách gửi yêu cầu, phản ánh, kiến nghị đến Tổng đài 1022 Quảng Nam" in found  # any topic
    assert all("bưu chính" not in t for t in _titles(client, tokens["operator"], topic="infra"))


def test_given_admin_when_editing_through_the_api_then_search_follows_the_text(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    admin = bearer(tokens["admin"])
    created = client.post("/api/kb", headers=admin, json={"title": "Cấp phiếu lý lịch tư pháp",
                                                          "topic": "admin.howto", "procedure": "Nộp tại Sở Tư pháp"})
    assert created.status_code == 201, created.text
    article_id = created.json()["id"]
    assert _titles(client, tokens["operator"], q="ly lich tu phap") == ["Cấp phiếu lý lịch tư pháp"]
    patched = client.patch(f"/api/kb/{article_id}", headers=admin, json={"title": "Cấp phiếu hộ tịch"})
    assert patched.status_code == 200
    assert _titles(client, tokens["operator"], q="ly lich tu phap") == []
    assert _titles(client, tokens["operator"], q="so tu phap") == ["Cấp phiếu hộ tịch"]
    assert client.get(f"/api/kb/{article_id}", headers=bearer(tokens["auditor"])).status_code == 200
    assert client.delete(f"/api/kb/{article_id}", headers=admin).status_code == 204
    assert client.get(f"/api/kb/{article_id}", headers=admin).status_code == 404


def test_given_operator_when_editing_the_knowledge_base_then_refused(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    operator = bearer(tokens["operator"])
    first = client.get("/api/kb", headers=operator).json()[0]
    assert client.post("/api/kb", headers=operator, json={"title": "Bài mới"}).status_code == 403
    assert client.patch(f"/api/kb/{first['id']}", headers=operator, json={"title": "Sửa"}).status_code == 403
    assert client.delete(f"/api/kb/{first['id']}", headers=operator).status_code == 403
    assert client.get("/admin/kb", headers={**operator, **HTML}).status_code == 403
    page = client.post(f"/admin/kb/{first['id']}", headers=operator, data={"title": "Sửa"})
    assert page.status_code == 403
    assert client.get(f"/api/kb/{first['id']}", headers=operator).json()["title"] == first["title"]


def test_given_admin_in_the_browser_when_creating_editing_and_deleting_then_each_form_works(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    csrf = sign_in(client, "kb-admin")
    fields = {"title": "Đăng ký khai sinh", "topic": "admin.howto", "procedure": "Nộp tại UBND cấp xã",
              "active": "1", "csrf": csrf}
    assert client.post("/admin/kb", data={**fields, "csrf": ""}, headers=HTML).status_code == 403
    created = client.post("/admin/kb", data=fields, headers=HTML, follow_redirects=False)
    assert created.status_code == 303
    article_id = next(a["id"] for a in client.get("/api/kb", params={"q": "khai sinh"}).json())
    edited = client.post(f"/admin/kb/{article_id}", data={**fields, "title": "Đăng ký khai sinh lần đầu"},
                         headers=HTML, follow_redirects=False)
    assert edited.status_code == 303
    assert client.get(f"/kb/{article_id}", headers=HTML).text.count("Đăng ký khai sinh lần đầu") >= 1
    short = client.post(f"/admin/kb/{article_id}", data={**fields, "title": "X"}, headers=HTML)
    assert short.status_code == 422
    assert 'aria-invalid="true"' in short.text
    unconfirmed = client.post(f"/admin/kb/{article_id}/delete", data={"csrf": csrf}, headers=HTML)
    assert unconfirmed.status_code == 422
    deleted = client.post(f"/admin/kb/{article_id}/delete", data={"csrf": csrf, "confirm": "1"}, headers=HTML,
                          follow_redirects=False)
    assert deleted.status_code == 303
    assert client.get(f"/kb/{article_id}", headers=HTML).status_code == 404
