"""The transcription backlog in /health and for admins, on a real Redis and both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis

from app.db.models_recordings import Transcript
from recordings import jobs
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.transcription import add_recording, new_case, real_redis, redis_url

pytestmark = pytest.mark.integration


def test_given_waiting_and_dead_jobs_when_health_and_backlog_are_read_then_shown_without_failing(
        database_url: str, tmp_path: Path) -> None:
    app = build_app(database_url, tmp_path)
    add_user(app, "quantri", "admin")
    add_user(app, "kiemtra", "auditor")
    with real_redis(tmp_path / "redis-state") as client:
        with app.state.sessions() as session:
            case_id = new_case(session)
            waiting = add_recording(session, case_id=case_id, store_path="a")
            add_recording(session, case_id=case_id, store_path="b", status="dead")
            add_recording(session, case_id=None, store_path="c", status="done", state="stored")
        jobs.enqueue(client, waiting)
        app.state.redis = aioredis.from_url(redis_url(client))
        http = client_for(app)
        body = http.get("/health").json()
        assert "transcription" not in body["failed"] and "redis" not in body["failed"]
        queue = body["transcription"]
        assert (queue["pending"], queue["dead"], queue["redis"]) == (1, 1, "ok")
        assert queue["oldest_age_s"] is not None
        admin = bearer(login_token(app, "quantri"))
        got = http.get("/api/admin/recordings/backlog", headers=admin)
        assert got.status_code == 200, got.text
        data = got.json()
        assert data["transcription"]["pending"] == 1
        assert data["recordings_by_state"] == {"ready": 2, "stored": 1}
        assert data["transcripts_by_status"] == {"queued": 1, "dead": 1, "done": 1}
        refused = http.get("/api/admin/recordings/backlog", headers=bearer(login_token(app, "kiemtra")))
        assert refused.status_code == 403 and refused.json()["error_id"] == "forbidden"


def test_given_redis_down_when_backlog_is_read_then_database_counts_are_still_shown(
        database_url: str, tmp_path: Path) -> None:
    app = build_app(database_url, tmp_path)
    add_user(app, "quantri", "admin")
    with app.state.sessions() as session:
        add_recording(session, case_id=None, store_path="a")
    app.state.redis = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    data = client_for(app).get("/api/admin/recordings/backlog", headers=bearer(login_token(app, "quantri"))).json()
    assert data["transcription"]["pending"] == 1 and data["transcription"]["redis"].startswith("ConnectionError")


def test_given_a_vietnamese_transcript_when_the_case_is_searched_with_or_without_diacritics_then_found(
        database_url: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from app.services.case_search import CaseQuery, fold, search

    app = build_app(database_url, tmp_path)
    said = "Người dân: đèn đường trước nhà tôi hỏng ba ngày rồi"
    with app.state.sessions() as session:
        case_id = new_case(session, content="Phản ánh hạ tầng")
        new_case(session, content="Phản ánh khác")
        rid = add_recording(session, case_id=case_id, store_path="v", status="done")
        session.add(Transcript(recording_id=rid, created_at=datetime.now(UTC), model="test", sample_rate=16000,
                               segments=[], text=said, text_search=fold(said.split(": ", 1)[1])))
        session.commit()
        for words in ("đèn đường hỏng", "den duong hong", "DEN ĐƯỜNG", "hạ tầng đèn"):
            found, total = search(session, CaseQuery(text=words))
            assert [c.id for c in found] == [case_id], words
        assert search(session, CaseQuery(text="đèn nước"))[1] == 0
