"""Recordings API on SQLite and PostgreSQL: search, play with HTTP Range, verify, masking, and who is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.api.policy import ANONYMOUS, POLICY
from app.db.models import Case
from app.db.models_cases import AuditLog
from app.db.models_recordings import AuditChainEntry, LegalHold, Recording, RetentionPolicy
from app.services import agencies
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.recording_seed import SeededRecording, make_audio, seed_recording
from tests.support.web import HTML, sign_in

pytestmark = pytest.mark.integration
STARTED = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)  # 08:30 in Vietnam
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class World:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    plain: SeededRecording  # agency A's case
    secret: SeededRecording  # agency A's confidential case
    other: SeededRecording  # agency B's case
    agency_a: int
    agency_b: int

    def get(self, role: str, path: str, **headers: str) -> object:
        return self.client.get(path, headers={**bearer(self.tokens[role]), **headers})


def _allow_agencies(app: FastAPI, on: bool) -> None:
    app.state.settings = app.state.settings.model_copy(update={"recordings_agency_access": on})


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    app = build_app(database_url, tmp_path)
    store = app.state.settings.store_dir
    with app.state.sessions() as session:
        a = agencies.create_agency(session, {"kind": "department", "name": "Sở Xây dựng", "jurisdiction": "quang-nam"})
        b = agencies.create_agency(session, {"kind": "utility", "name": "Điện lực", "jurisdiction": "quang-nam"})
        a_id, b_id = a.id, b.id
        plain = seed_recording(session, store, agency_id=a_id, started=STARTED, uniqueid="1763990000.1")
        audio = make_audio(store / "shared")
        secret = seed_recording(session, store, agency_id=a_id, started=STARTED.replace(hour=2), confidential=True,
                                uniqueid="1763990000.2", phone="0912000111", audio=audio)
        other = seed_recording(session, store, agency_id=b_id, started=STARTED.replace(hour=3),
                               uniqueid="1763990000.3", phone="+84 913 000 222", audio=audio)
    roles = {"auditor": None, "supervisor": None, "admin": None, "operator": None, "focal_point": a_id,
             "agency_head": a_id, "provincial_office": None}
    for role, agency in roles.items():
        add_user(app, f"u-{role}", role, agency_id=agency)
    add_user(app, "u-focal-b", "focal_point", agency_id=b_id)
    tokens = {role: login_token(app, f"u-{role}") for role in roles} | {"focal_b": login_token(app, "u-focal-b")}
    return World(app, client_for(app), tokens, plain, secret, other, a_id, b_id)


def _uses(app: FastAPI, action: str, recording_id: int) -> int:
    """Audit chain entries for one kind of use of a recording."""
    with app.state.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditChainEntry).where(
            AuditChainEntry.action == action, AuditChainEntry.subject == f"recording:{recording_id}")) or 0


def test_given_recordings_when_auditor_searches_by_code_phone_agency_operator_and_date_then_each_finds_its_own(
        world: World) -> None:
    def ids(query: str) -> list[int]:
        response = world.client.get(f"/api/recordings?{query}", headers=bearer(world.tokens["auditor"]))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(f"code={world.plain.case_code}") == [world.plain.recording_id]
    assert ids("phone=%2B84905123456") == [world.plain.recording_id]  # +84 form finds the 0905 number
    assert ids("phone=0913.000.222") == [world.other.recording_id]
    assert ids(f"agency_id={world.agency_b}") == [world.other.recording_id]
    assert ids("operator=thị lan") == [world.other.recording_id, world.secret.recording_id, world.plain.recording_id]
    assert ids("date_from=2026-11-16&date_to=2026-11-16&limit=2") == [world.other.recording_id,
                                                                     world.secret.recording_id]
    assert ids("date_from=2026-11-17") == []
    found = world.client.get(f"/api/recordings?code={world.plain.case_code}",
                             headers=bearer(world.tokens["auditor"])).json()
    item = found["items"][0]
    assert (found["total"], item["caller"], item["citizen_name"], item["duration_s"], item["transcript_status"],
            item["operator"], item["agency_name"]) == (1, "0905123456", "Nguyễn Văn An", 6.0, "done", "Trần Thị Lan",
                                                       "Sở Xây dựng")


def test_given_auditor_when_playing_with_ranges_then_206_partial_content_416_out_of_range_and_one_play_logged(
        world: World) -> None:
    rid, size = world.plain.recording_id, world.plain.compact.stat().st_size
    path = f"/api/recordings/{rid}/audio"
    whole = world.get("auditor", path)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"  # type: ignore[attr-defined]
    assert whole.content == world.plain.compact.read_bytes()  # type: ignore[attr-defined]
    assert whole.headers["content-type"].startswith("audio/ogg")  # type: ignore[attr-defined]
    first = world.get("auditor", path, Range="bytes=0-99")
    assert first.status_code == 206  # type: ignore[attr-defined]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"  # type: ignore[attr-defined]
    assert first.content == world.plain.compact.read_bytes()[:100]  # type: ignore[attr-defined]
    middle = world.get("auditor", path, Range=f"bytes=100-{size - 1}")
    assert middle.status_code == 206 and len(middle.content) == size - 100  # type: ignore[attr-defined]
    beyond = world.get("auditor", path, Range=f"bytes={size + 10}-")
    assert beyond.status_code == 416  # type: ignore[attr-defined]
    assert beyond.headers["content-range"] == f"bytes */{size}"  # type: ignore[attr-defined]
    assert _uses(world.app, "play", rid) == 2  # the request without Range and the one from 0; not the seek
    with world.app.state.sessions() as s:  # an auditor's use is also in the access log (Art. 11)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.route == f"play recording:{rid}", AuditLog.actor == "u-auditor")) == 2
    original = world.get("auditor", f"/api/recordings/{rid}/original")
    assert original.content == world.plain.original.read_bytes()  # type: ignore[attr-defined]
    assert _uses(world.app, "download", rid) == 1


def test_given_recording_not_ingested_yet_when_played_then_409_saying_to_try_later(world: World) -> None:
    with world.app.state.sessions() as s:
        rec = Recording(uniqueid="1763990000.9", linkedid="1763990000.9", kind="inbound", state="ended",
                        source_path="/var/spool/asterisk/recordings/x.raw", started_at=STARTED)
        s.add(rec)
        s.commit()
        rid = rec.id
    for path in (f"/api/recordings/{rid}/audio", f"/api/recordings/{rid}/original"):
        response = world.get("auditor", path)
        assert response.status_code == 409, path  # type: ignore[attr-defined]
        assert response.json()["error_id"] == "recording_not_ready"  # type: ignore[attr-defined]
    assert world.get("auditor", f"/api/recordings/{rid}").json()["case_code"] is None  # type: ignore[attr-defined]


def test_given_stored_files_when_verified_then_match_and_one_changed_byte_is_a_mismatch(world: World) -> None:
    rid = world.plain.recording_id
    ok = world.client.post(f"/api/recordings/{rid}/verify", headers=bearer(world.tokens["auditor"]))
    assert ok.status_code == 200, ok.text
    assert ok.json()["ok"] is True and ok.json()["original"]["ok"] and ok.json()["compact"]["ok"]
    data = bytearray(world.plain.original.read_bytes())
    data[1000] ^= 0x01
    world.plain.original.write_bytes(bytes(data))
    bad = world.client.post(f"/api/recordings/{rid}/verify", headers=bearer(world.tokens["auditor"])).json()
    assert bad["ok"] is False and bad["original"]["ok"] is False and bad["compact"]["ok"] is True
    assert bad["original"]["expected"] != bad["original"]["actual"]
    assert _uses(world.app, "verify", rid) == 2


def _fill(template: str, world: World) -> str:
    """Real identifiers, so a refusal is the role check and not a 404 for a missing row."""
    values = {"code": world.plain.case_code, "recording_id": str(world.plain.recording_id), "kind": "answered",
              "agency_id": str(world.agency_a)}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), template)


def test_given_auditor_when_sending_every_write_route_then_each_is_refused_and_nothing_changes(world: World) -> None:
    own_session = {("POST", "/api/auth/login"), ("POST", "/api/auth/logout"), ("POST", "/login"), ("POST", "/logout")}
    allowed_writes = {key for key in POLICY if key[0] in WRITES and "auditor" in POLICY[key]
                      and ANONYMOUS not in POLICY[key] and key not in own_session}
    assert allowed_writes == {("POST", "/api/recordings/{recording_id}/verify")}  # reads the files, logs, changes none
    with world.app.state.sessions() as s:
        before = {c.code: (c.status, c.version) for c in s.scalars(select(Case))}
    accepted: list[str] = []
    for method, template in sorted(key for key in POLICY if key[0] in WRITES and "auditor" not in POLICY[key]):
        response = world.client.request(method, _fill(template, world), headers=bearer(world.tokens["auditor"]),
                                        json={"action": "close", "reason": "x", "keep_days": 1})
        if response.status_code != 403:
            accepted.append(f"{method} {template}: {response.status_code}")
        elif template.startswith("/api/"):
            assert response.json()["error_id"] == "forbidden"
    assert accepted == []
    with world.app.state.sessions() as s:
        assert {c.code: (c.status, c.version) for c in s.scalars(select(Case))} == before
        assert s.scalar(select(func.count()).select_from(LegalHold)) == 0
        assert s.scalar(select(func.count()).select_from(RetentionPolicy).where(
            RetentionPolicy.updated_by == "u-auditor")) == 0


def test_given_focal_points_when_agency_access_on_then_own_agency_plays_and_another_agency_is_refused(
        world: World) -> None:
    _allow_agencies(world.app, True)
    rid = world.plain.recording_id
    assert world.get("focal_point", f"/api/recordings/{rid}/audio").status_code == 200  # type: ignore[attr-defined]
    for path in (f"/api/recordings/{rid}", f"/api/recordings/{rid}/audio", f"/api/recordings/{rid}/transcript",
                 f"/api/recordings/{rid}/original", f"/api/cases/{world.plain.case_code}/recordings"):
        refused = world.get("focal_b", path)
        assert refused.status_code == 403, path  # type: ignore[attr-defined]
        body = refused.json()  # type: ignore[attr-defined]
        assert body["error_id"] == "recording_other_agency" and "cơ quan khác" in body["message"]
        assert "another agency" in body["message_en"]
    refused = world.client.post(f"/api/recordings/{rid}/verify", headers=bearer(world.tokens["focal_b"]))
    assert refused.status_code == 403
    listed = world.get("focal_b", "/api/recordings").json()  # type: ignore[attr-defined]
    assert [i["id"] for i in listed["items"]] == [world.other.recording_id]
    own = world.get("focal_point", "/api/recordings").json()  # type: ignore[attr-defined]
    assert sorted(i["id"] for i in own["items"]) == sorted([world.plain.recording_id, world.secret.recording_id])


def test_given_agency_access_off_when_focal_point_plays_own_case_then_refused_with_what_to_do(world: World) -> None:
    refused = world.get("focal_point", f"/api/recordings/{world.plain.recording_id}/audio")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert refused.json()["error_id"] == "recording_agency_access_off"  # type: ignore[attr-defined]
    listed = world.get("focal_point", "/api/recordings").json()  # type: ignore[attr-defined]
    assert listed["items"] == [] and listed["notice"]["error_id"] == "recording_agency_access_off"
    for role in ("operator", "agency_head", "provincial_office"):
        response = world.get(role, f"/api/recordings/{world.plain.recording_id}/audio")
        assert response.status_code == 403, role  # type: ignore[attr-defined]


def test_given_confidential_case_when_read_outside_the_handling_chain_then_identity_masked_in_list_and_transcript(
        world: World) -> None:
    _allow_agencies(world.app, True)
    rid = world.secret.recording_id
    for role in ("auditor", "focal_point"):
        item = world.get(role, f"/api/recordings/{rid}").json()  # type: ignore[attr-defined]
        assert item["identity_hidden"] is True and item["citizen_name"] is None
        assert item["caller"] == "*******111"
        transcript = world.get(role, f"/api/recordings/{rid}/transcript").json()  # type: ignore[attr-defined]
        words = [w["word"] for seg in transcript["transcript"]["segments"] for w in seg["words"]]
        shown = " ".join(words) + " " + transcript["transcript"]["text"]
        for secret in ("nguyễn", "văn", " an ", "không chín", "0912000111"):
            assert secret not in f" {shown} ", (role, secret)
        assert "đèn đường hỏng" in shown  # the rest is still there
    item = world.get("supervisor", f"/api/recordings/{rid}").json()  # type: ignore[attr-defined]
    assert (item["identity_hidden"], item["citizen_name"], item["caller"]) == (False, "Nguyễn Văn An", "0912000111")
    # The voice identifies the citizen: no agency role hears a confidential case; the auditor may (logged).
    refused = world.get("focal_point", f"/api/recordings/{rid}/audio")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert refused.json()["error_id"] == "recording_confidential"  # type: ignore[attr-defined]
    assert world.get("auditor", f"/api/recordings/{rid}/audio").status_code == 200  # type: ignore[attr-defined]


def test_given_auditor_when_opening_the_pages_then_results_and_words_with_times_are_shown(world: World) -> None:
    add_user(world.app, "web-auditor", "auditor")
    sign_in(world.client, "web-auditor")
    page = world.client.get(f"/audit?code={world.plain.case_code}", headers=HTML)
    assert page.status_code == 200 and f'data-id="{world.plain.recording_id}"' in page.text
    assert page.text.count('data-testid="aud-row"') == 1
    player = world.client.get(f"/audit/recordings/{world.secret.recording_id}", headers=HTML)
    assert player.status_code == 200
    assert re.search(r'class="w"[^>]*data-start="2\.6"', player.text)
    assert "nguyễn" not in player.text.lower() and "0912000111" not in player.text
    assert 'src="/api/recordings/' in player.text and "<script>" not in player.text
    other = world.client.get("/audit/recordings/999999", headers=HTML)
    assert other.status_code == 404


def test_given_focal_point_when_opening_the_pages_then_told_why_nothing_is_listed_or_what_is_refused(
        world: World) -> None:
    sign_in(world.client, "u-focal_point")
    page = world.client.get("/audit", headers=HTML)
    assert page.status_code == 200 and 'id="aud-notice"' in page.text and "quản trị viên" in page.text
    assert 'data-testid="aud-row"' not in page.text
    _allow_agencies(world.app, True)
    page = world.client.get("/audit?lang=en", headers=HTML)
    assert page.text.count('data-testid="aud-row"') == 2 and "Search call recordings" in page.text
    secret = world.client.get(f"/audit/recordings/{world.secret.recording_id}", headers=HTML)
    assert secret.status_code == 200 and 'id="aud-refusal"' in secret.text and "<audio" not in secret.text
    other = world.client.get(f"/audit/recordings/{world.other.recording_id}", headers=HTML)
    assert other.status_code == 403 and 'data-error-id="recording_other_agency"' in other.text
