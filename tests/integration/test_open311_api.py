"""Open311 GeoReport v2: topics as services, filing cases from other channels, no identity in any answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db.models import Case
from tests.support.api_app import build_app, client_for

pytestmark = pytest.mark.integration
REQUEST = {"service_code": "infra", "description": "Cây đổ chắn ngang đường Hùng Vương, xe không qua được",
           "first_name": "Bình", "last_name": "Trần Thị", "phone": "0935777888", "email": "binh@example.vn",
           "address_string": "Hùng Vương, Tam Kỳ", "lat": "15.5736", "long": "108.4740"}
IDENTITY = ("Bình", "Trần Thị", "0935777888", "binh@example.vn")


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> TestClient:
    return client_for(build_app(database_url, tmp_path))


def test_given_topics_when_listing_services_then_open311_fields(client: TestClient) -> None:
    for path in ("/open311/v2/services.json", "/open311/v2/services"):
        services = client.get(path).json()
        infra = next(s for s in services if s["service_code"] == "infra")
        assert infra == {"service_code": "infra", "service_name": "Sự cố hạ tầng kỹ thuật, vi phạm",
                         "description": infra["description"], "metadata": False, "type": "realtime",
                         "keywords": "", "group": "Sự cố hạ tầng kỹ thuật"}


def test_given_form_post_when_filing_then_case_stored_and_lookups_never_return_identity(client: TestClient) -> None:
    response = client.post("/open311/v2/requests.json", data=REQUEST)
    assert response.status_code == 201, response.text
    [created] = response.json()
    code = created["service_request_id"]
    assert code in created["service_notice"]
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        case = session.query(Case).filter_by(code=code).one()
        assert (case.channel, case.citizen_name, case.citizen_phone) == ("web", "Trần Thị Bình", "0935777888")
        assert "Hùng Vương, Tam Kỳ" in (case.content or "")
    one = client.get(f"/open311/v2/requests/{code}.json")
    [item] = one.json()
    assert item["service_request_id"] == code and item["status"] == "open" and item["service_code"] == "infra"
    assert item["description"].startswith("Cây đổ") and item["requested_datetime"]
    assert (item["address"], item["lat"], item["long"]) == ("Hùng Vương, Tam Kỳ", 15.5736, 108.474)
    listed = client.get("/open311/v2/requests.json", params={"service_code": "infra", "status": "open"})
    assert [r["service_request_id"] for r in listed.json()] == [code]
    for text in (one.text, listed.text):
        assert not any(value in text for value in IDENTITY)


def test_given_json_post_with_channel_when_filing_then_channel_kept(client: TestClient) -> None:
    response = client.post("/open311/v2/requests", json={**REQUEST, "channel": "zalo"})
    assert response.status_code == 201, response.text
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        case = session.query(Case).filter_by(code=response.json()[0]["service_request_id"]).one()
        assert case.channel == "zalo"


def test_given_confidential_request_when_read_back_then_description_withheld(client: TestClient) -> None:
    code = client.post("/open311/v2/requests.json", data={**REQUEST, "confidential": "true"}).json()[0][
        "service_request_id"]
    [item] = client.get(f"/open311/v2/requests/{code}").json()
    assert "Cây đổ" not in item["description"] and item["address"] is None and item["lat"] is None


@pytest.mark.parametrize(("body", "fragment"), [
    ({**REQUEST, "service_code": ""}, "service_code"),
    ({**REQUEST, "description": "hỏng"}, "content"),
    ({**REQUEST, "service_code": "no-such-topic"}, "topic"),
    ({**REQUEST, "channel": "fax"}, "channel"),
])
def test_given_bad_request_when_filing_then_open311_error_and_nothing_stored(
        client: TestClient, body: dict[str, str], fragment: str) -> None:
    response = client.post("/open311/v2/requests.json", data=body)
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and fragment in error["description"]
    assert client.get("/open311/v2/requests.json").json() == []


def test_given_unknown_id_or_bad_filter_when_reading_then_open311_errors(client: TestClient) -> None:
    missing = client.get("/open311/v2/requests/269999999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    bad = client.get("/open311/v2/requests.json", params={"start_date": "yesterday"})
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
