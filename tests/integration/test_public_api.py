"""The citizen's side: lookup by code and phone leaks nothing, the Art. 12 list, the rating; on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.api_app import build_app, client_for
from tests.support.case_seed import PHONE_A, Seeded, seed

pytestmark = pytest.mark.integration
PERSONAL = ("Nguyễn Văn An", "Trần Phú, Tam Kỳ", "an@example.vn", "0905 111 222", "0912000000", PHONE_A)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> tuple[TestClient, Seeded]:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        seeded = seed(session)
    return client_for(app), seeded


def test_given_code_and_phone_when_looking_up_then_status_and_answer_without_personal_data(
        world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    response = client.get(f"/public/cases/{s.a}", params={"phone": "+84 905 123 456"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"code", "status", "status_label", "received_at", "deadline_at", "answer", "answered_at",
                         "satisfaction"}
    assert body["status"] == "answered" and body["status_label"] == "Đã trả lời"
    assert body["answer"].startswith("Đã thay bóng đèn") and body["answered_at"].startswith("2026-11-16T03:00")
    assert response.headers["cache-control"] == "no-store"
    assert not any(p in response.text for p in PERSONAL[:4])


def test_given_open_case_when_looking_up_then_deadline_and_no_answer(world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    body = client.get(f"/public/cases/{s.d}", params={"phone": "0912000000"}).json()
    assert body["status_label"] == "Trễ hạn – đang chờ xử lý"
    assert body["answer"] is None and body["deadline_at"] is not None


def test_given_wrong_phone_or_unknown_code_when_looking_up_then_the_same_404(world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    wrong_phone = client.get(f"/public/cases/{s.a}", params={"phone": "0905123457"})
    unknown = client.get("/public/cases/269999999", params={"phone": PHONE_A})
    assert wrong_phone.status_code == unknown.status_code == 404
    assert wrong_phone.json() == unknown.json()


def test_given_many_lookups_from_one_address_when_budget_spent_then_429(world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    codes = [client.get(f"/public/cases/{s.a}", params={"phone": f"09000000{i:02d}"}).status_code for i in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429


def test_given_answered_cases_when_listing_publicly_then_only_non_confidential_with_contacts_masked(
        world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    response = client.get("/public/cases", params={"page_size": 10})
    body = response.json()
    assert response.status_code == 200 and body["total"] == 2
    assert [i["code"] for i in body["items"]] == [s.c, s.a]  # newest answer first
    item = body["items"][1]
    assert item["topic"] == "Sự cố hạ tầng kỹ thuật, vi phạm" and item["agency"] == "Sở Xây dựng"
    assert "[số điện thoại đã ẩn]" in item["content"] and "[email đã ẩn]" in item["content"]
    assert "[số điện thoại đã ẩn]" in item["answer"]
    assert not any(p in response.text for p in PERSONAL)
    second = client.get("/public/cases", params={"page": 2, "page_size": 1}).json()
    assert [i["code"] for i in second["items"]] == [s.a] and second["total"] == 2


def test_given_answered_case_when_citizen_rates_then_closed_once_with_the_rating(
        world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    rating = {"phone": PHONE_A, "satisfaction": 5, "comment": "Xử lý nhanh, cảm ơn."}
    response = client.post(f"/public/cases/{s.a}/rating", json=rating)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed" and response.json()["satisfaction"] == 5
    again = client.post(f"/public/cases/{s.a}/rating", json=rating)
    assert again.status_code == 409 and again.json()["error_id"] == "illegal_transition"


def test_given_wrong_phone_or_bad_score_when_rating_then_refused_and_nothing_changes(
        world: tuple[TestClient, Seeded]) -> None:
    client, s = world
    wrong = client.post(f"/public/cases/{s.a}/rating", json={"phone": "0905000000", "satisfaction": 1})
    bad = client.post(f"/public/cases/{s.a}/rating", json={"phone": PHONE_A, "satisfaction": 6})
    assert wrong.status_code == 404 and bad.status_code == 422
    assert client.get(f"/public/cases/{s.a}", params={"phone": PHONE_A}).json()["status"] == "answered"
