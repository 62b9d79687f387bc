"""Bad input: oversized bodies get 413 and change nothing, bad phones a precise 422, NFC and NFD text both found."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.api.body_limit import MAX_BODY_BYTES
from app.db.models import Case
from app.db.models_recordings import Transcript
from app.services import agencies
from app.services.case_search import fold
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.case_seed import seed
from tests.support.recording_seed import seed_recording

pytestmark = pytest.mark.integration
GOOD = {"citizen_name": "Nguyễn Văn An", "citizen_phone": "0905 123 456", "topic": "infra",
        "content": "Đèn đường trước nhà số 12 bị hỏng hai tuần nay"}
NFC_WORDS = "nước ngập đường Hùng Vương"
NFD_WORDS = unicodedata.normalize("NFD", NFC_WORDS)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> tuple[FastAPI, TestClient, dict[str, str]]:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        agencies.create_agency(session, {"kind": "utility", "name": "Điện lực Tam Kỳ", "jurisdiction": "quang-nam",
                                         "topics": ["infra"]})
    add_user(app, "op", "operator")
    add_user(app, "sup", "supervisor")
    headers = {"op": bearer(login_token(app, "op")), "sup": bearer(login_token(app, "sup"))}
    return app, client_for(app), headers


def _cases(app: FastAPI) -> int:
    with app.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def assert_413(response: object) -> None:
    assert response.status_code == 413, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error_id"] == "payload_too_large" and "1 MB" in body["message"] and "1 MB" in body["message_en"]


def test_given_a_case_over_the_size_limit_when_posted_then_413_in_both_languages_and_nothing_stored(
        world: tuple[FastAPI, TestClient, dict[str, str]]) -> None:
    app, client, headers = world
    huge = {**GOOD, "content": "Đèn hỏng " * (MAX_BODY_BYTES // 8)}
    assert_413(client.post("/api/cases", json=huge, headers=headers["op"]))
    assert _cases(app) == 0
    assert client.post("/api/cases", json=GOOD, headers=headers["op"]).status_code == 201  # the app still serves


def test_given_a_chunked_upload_without_length_when_over_the_limit_then_413_and_nothing_stored(
        world: tuple[FastAPI, TestClient, dict[str, str]]) -> None:
    app, client, headers = world

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        yield b'{"citizen_name": "An", "content": "'
        for _ in range(40):
            yield b"x" * 64 * 1024
        yield b'"}'

    response = client.post("/api/cases", content=chunks(),
                           headers={**headers["op"], "Content-Type": "application/json"})
    assert_413(response)
    assert _cases(app) == 0


def test_given_an_oversized_sign_in_form_when_posted_then_413_before_the_form_is_parsed(
        world: tuple[FastAPI, TestClient, dict[str, str]]) -> None:
    _app, client, _headers = world
    response = client.post("/login", data={"username": "op", "password": "p" * (MAX_BODY_BYTES + 1), "csrf": "x"})
    assert_413(response)


@pytest.mark.parametrize("phone", ["090x123456", "０９０５１２３４５６", "0905123456789012345678901234",
                                   "+84 (905) 123", "12345", "phone"])
def test_given_a_malformed_phone_when_creating_a_case_then_422_naming_the_field_and_nothing_stored(
        world: tuple[FastAPI, TestClient, dict[str, str]], phone: str) -> None:
    app, client, headers = world
    response = client.post("/api/cases", json={**GOOD, "citizen_phone": phone}, headers=headers["op"])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_id"] == "invalid_input" and "citizen_phone" in body["detail"]
    assert _cases(app) == 0


@pytest.mark.parametrize("phone", ["090x123456", "abcdefgh", "0905123456;DROP", "０９０５１２３４５６"])
def test_given_a_malformed_phone_when_looking_up_publicly_then_422_naming_the_phone(
        world: tuple[FastAPI, TestClient, dict[str, str]], phone: str) -> None:
    app, client, _headers = world
    with app.state.sessions() as session:
        code = seed(session).a
    lookup = client.get(f"/public/cases/{code}", params={"phone": phone})
    rating = client.post(f"/public/cases/{code}/rating", json={"phone": phone, "satisfaction": 5})
    for response in (lookup, rating):
        assert response.status_code == 422, response.text
        assert response.json()["error_id"] == "invalid_input" and "phone" in response.json()["detail"]


def _search(client: TestClient, headers: dict[str, str], q: str) -> set[str]:
    response = client.get("/api/cases", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["code"] for item in response.json()["items"]}


def test_given_cases_typed_in_nfc_and_nfd_when_searching_in_either_form_then_both_are_found(
        world: tuple[FastAPI, TestClient, dict[str, str]]) -> None:
    app, client, headers = world
    codes = set()
    for content in (f"Báo {NFC_WORDS} sau mưa", f"Báo {NFD_WORDS} sau mưa"):
        created = client.post("/api/cases", json={**GOOD, "content": content}, headers=headers["op"])
        assert created.status_code == 201, created.text
        codes.add(created.json()["code"])
    for query in ("Hùng Vương", unicodedata.normalize("NFD", "Hùng Vương"), "hung vuong"):
        assert _search(client, headers["sup"], query) == codes
    with app.state.sessions() as session:  # stored once, composed: exports and reports see one spelling
        contents = session.scalars(select(Case.content)).all()
    assert all(unicodedata.is_normalized("NFC", c) for c in contents)


def test_given_a_transcript_spoken_in_nfd_when_searching_cases_in_either_form_then_its_case_is_found(
        world: tuple[FastAPI, TestClient, dict[str, str]], tmp_path: Path) -> None:
    app, client, headers = world
    with app.state.sessions() as session:
        recording = seed_recording(session, tmp_path / "store", agency_id=None, started=datetime.now(UTC))
        transcript = session.scalar(select(Transcript).where(Transcript.recording_id == recording.recording_id))
        assert transcript is not None
        transcript.text_search = fold(f"dạ {NFD_WORDS} ạ")  # what the transcriber stores for this speech
        session.commit()
    code = recording.case_code
    for query in ("ngập đường", unicodedata.normalize("NFD", "ngập đường")):
        assert code in _search(client, headers["sup"], query)
