"""Retention per kind and legal holds over the API on both databases: deletion is chained, held cases are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.db.models import Call
from app.db.models_recordings import AuditChainEntry, Recording
from app.services import audit_chain, cases
from app.services.case_intake import NewCase
from app.settings import Settings
from recordings import retention, store
from tests.support.api_app import bearer, build_app, client_for
from tests.support.case_seed import ADMIN
from tests.support.recording_files import stereo_tones

pytestmark = pytest.mark.integration
TOKENS = {"boot-admin": "admin", "boot-sup": "supervisor", "boot-op": "operator", "boot-aud": "auditor"}
STARTED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> FastAPI:
    built = build_app(database_url, tmp_path, TOKENS)
    built.state.clock = lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    return built


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", instance="ret", recordings_store_dir=str(tmp_path / "store"))


def _case(app: FastAPI, uniqueid: str) -> str:
    with app.state.sessions() as session:
        return cases.create_case(session, NewCase(citizen_name="Lê Văn Cường", citizen_phone="0905111222",
                                                  content="Nước ngập sâu trước cổng trường học sau mưa lớn",
                                                  call_uniqueid=uniqueid), who=ADMIN, now=STARTED).code


def _recording(app: FastAPI, settings: Settings, uniqueid: str, *, answered: bool = True,
               kind: str = "inbound") -> int:
    with app.state.sessions() as session:
        session.add(Call(uniqueid=uniqueid, linkedid=uniqueid, started_at=STARTED,
                         answered_at=STARTED + timedelta(seconds=20) if answered else None,
                         operator="1001" if answered else None, outcome="answered" if answered else "abandoned"))
        rec = Recording(uniqueid=uniqueid, linkedid=uniqueid, kind=kind, source_path=f"/r/{uniqueid}.raw",
                        state="ready", started_at=STARTED, ended_at=STARTED + timedelta(minutes=3))
        session.add(rec)
        session.flush()
        rec.store_path, rec.compact_path = store.store_name(rec), store.compact_name(rec)
        stereo_tones(settings.store_dir / rec.store_path, 0.2)
        (settings.store_dir / rec.compact_path).write_bytes(b"OggS compact")
        rec.sha256, rec.compact_sha256 = "a" * 64, "b" * 64
        case = session.scalar(select(cases.Case).where(cases.Case.call_uniqueid == uniqueid))
        rec.case_id = case.id if case is not None else None
        session.commit()
        return rec.id


def _rec(app: FastAPI, rec_id: int) -> Recording:
    with app.state.sessions() as session:
        rec = session.get(Recording, rec_id)
        assert rec is not None
        return rec


def _chain(app: FastAPI, action: str) -> list[AuditChainEntry]:
    with app.state.sessions() as session:
        return list(session.scalars(select(AuditChainEntry).where(AuditChainEntry.action == action)
                                    .order_by(AuditChainEntry.seq)))


def test_given_admin_when_policy_changed_then_listed_and_chained_and_bad_input_changes_nothing(app: FastAPI) -> None:
    client = client_for(app)
    listed = client.get("/api/admin/retention", headers=bearer("boot-admin")).json()["policies"]
    assert [p["kind"] for p in listed] == list(retention.KINDS)
    assert {p["kind"]: p["keep_days"] for p in listed} == retention.DEFAULT_DAYS

    changed = client.put("/api/admin/retention/abandoned", json={"keep_days": 30}, headers=bearer("boot-admin"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["keep_days"] == 30 and changed.json()["default_days"] == 365
    assert client.put("/api/admin/retention/voicemail", json={"keep_days": 0},
                      headers=bearer("boot-admin")).json()["keep_days"] == 0  # forever

    for bad in (-1, "ten", 1.5, True, None, retention.MAX_DAYS + 1):
        refused = client.put("/api/admin/retention/abandoned", json={"keep_days": bad}, headers=bearer("boot-admin"))
        assert (refused.status_code, refused.json()["error_id"]) == (422, "invalid_keep_days"), bad
        assert refused.json()["message"] and refused.json()["message_en"]
    unknown = client.put("/api/admin/retention/holiday", json={"keep_days": 3}, headers=bearer("boot-admin"))
    assert (unknown.status_code, unknown.json()["error_id"]) == (404, "unknown_retention_kind")
    assert client.put("/api/admin/retention/abandoned", json={"keep_days": 1},
                      headers=bearer("boot-sup")).status_code == 403
    after = client.get("/api/admin/retention", headers=bearer("boot-admin")).json()["policies"]
    assert {p["kind"]: p["keep_days"] for p in after}["abandoned"] == 30
    assert [(e.subject, e.detail["keep_days"]) for e in _chain(app, "retention_policy")] == [
        ("retention:abandoned", 30), ("retention:voicemail", 0)]


def test_given_case_when_hold_placed_and_lifted_then_roles_errors_and_chain(app: FastAPI) -> None:
    client = client_for(app)
    code = _case(app, "1700.1")
    path = f"/api/cases/{code}/legal-hold"
    placed = client.put(path, json={"reason": "Thanh tra tỉnh yêu cầu giữ"}, headers=bearer("boot-sup"))
    assert placed.status_code == 200, placed.text
    assert placed.json()["reason"] == "Thanh tra tỉnh yêu cầu giữ"
    for who in ("boot-op", "boot-aud"):
        assert client.put(path, json={"reason": "x"}, headers=bearer(who)).status_code == 403
    assert client.delete(path, headers=bearer("boot-sup")).status_code == 403  # only admins lift a hold
    empty = client.put(path, json={"reason": "  "}, headers=bearer("boot-sup"))
    assert (empty.status_code, empty.json()["error_id"]) == (422, "invalid_hold_reason")
    missing = client.put("/api/cases/999999/legal-hold", json={"reason": "x"}, headers=bearer("boot-sup"))
    assert (missing.status_code, missing.json()["error_id"]) == (404, "case_not_found")

    assert client.delete(path, headers=bearer("boot-admin")).json() == {"case": code, "lifted": True}
    again = client.delete(path, headers=bearer("boot-admin"))
    assert (again.status_code, again.json()["error_id"]) == (404, "no_legal_hold")
    assert [(e.action, e.subject, e.role) for e in _chain(app, "legal_hold") + _chain(app, "legal_hold_lifted")] == [
        ("legal_hold", f"case:{code}", "supervisor"), ("legal_hold_lifted", f"case:{code}", "admin")]


def test_given_old_recordings_when_retention_applies_then_held_case_kept_others_deleted_and_chained(
        app: FastAPI, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    client = client_for(app)
    held_code = _case(app, "1700.1")
    _case(app, "1700.2")
    held = _recording(app, settings, "1700.1")
    free = _recording(app, settings, "1700.2")
    abandoned = _recording(app, settings, "1700.3", answered=False)
    assert client.put(f"/api/cases/{held_code}/legal-hold", json={"reason": "khiếu nại đang giải quyết"},
                      headers=bearer("boot-sup")).status_code == 200
    client.put("/api/admin/retention/answered", json={"keep_days": 200}, headers=bearer("boot-admin"))
    client.put("/api/admin/retention/abandoned", json={"keep_days": 300}, headers=bearer("boot-admin"))
    now = STARTED + timedelta(days=250)  # past the answered policy, not the abandoned one

    assert retention.apply(app.state.sessions, settings, now) == 1

    gone = _rec(app, free)
    assert (gone.state, gone.deleted_at) == ("deleted", now)
    assert not (settings.store_dir / (gone.store_path or "")).exists()
    assert not (settings.store_dir / (gone.compact_path or "")).exists()
    assert store.original_path(gone, settings) is None
    for kept in (held, abandoned):
        rec = _rec(app, kept)
        assert rec.state == "ready" and (settings.store_dir / (rec.store_path or "")).exists()
    [entry] = _chain(app, "delete")
    assert (entry.subject, entry.actor, entry.role) == (f"recording:{free}", "system", "system")
    assert entry.detail["sha256"] == "a" * 64 and entry.detail["retention_kind"] == "answered"

    assert client.delete(f"/api/cases/{held_code}/legal-hold", headers=bearer("boot-admin")).status_code == 200
    assert retention.apply(app.state.sessions, settings, now + timedelta(days=60)) == 2  # hold lifted; abandoned due
    assert _rec(app, held).state == _rec(app, abandoned).state == "deleted"
    assert retention.apply(app.state.sessions, settings, now + timedelta(days=60)) == 0  # nothing twice
    with app.state.sessions() as session:
        assert audit_chain.verify(session, None)["ok"]


# SQLite only: on PostgreSQL the case row lock makes the hold wait for the deletion (one thread would block), which
# the lock itself guarantees; on SQLite the deletion must check the hold again once it holds the write lock.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_given_hold_committed_while_deletion_decides_when_retention_applies_then_recording_kept(
        app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(tmp_path)
    code = _case(app, "1700.7")
    rec_id = _recording(app, settings, "1700.7")
    real_is_due = retention.is_due

    def decide_then_hold(keep_days: int, ended: datetime, now: datetime, held: bool) -> bool:
        due = real_is_due(keep_days, ended, now, held)  # decided: due, no hold yet
        with app.state.sessions() as other:  # another process places a hold right then
            retention.place_hold(other, code, "thanh tra", actor="sup", role="supervisor", now=now)
        return due

    monkeypatch.setattr(retention, "is_due", decide_then_hold)
    assert retention.apply(app.state.sessions, settings, STARTED + timedelta(days=4000)) == 0
    assert _rec(app, rec_id).state == "ready" and _chain(app, "delete") == []
