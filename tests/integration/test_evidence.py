"""Evidence packages: a real recording in a BagIt bag, checked by verify_bag.py alone (no project import) and by
sha256sum; who may export; identity masked for auditors on a confidential case; the export is in the chain."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.models import Case
from app.db.models_recordings import AuditChainEntry, Recording, Transcript
from app.services import agencies, audit_chain, cases
from app.services.case_intake import NewCase
from recordings import convert, evidence
from recordings.integrity import sha256_file
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.case_seed import ADMIN

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
TOKENS = {"boot-aud": "auditor", "boot-sup": "supervisor", "boot-adm": "admin"}
NAME, PHONE = "Trần Thị Bích", "0905777888"


@dataclass
class World:
    app: FastAPI
    client: TestClient
    code: str
    confidential_code: str
    agency_id: int


def _tone_raw(path: Path, seconds: float = 1.0) -> None:
    """Interleaved stereo s16le 8 kHz, as MixMonitor's D option writes: 440 Hz left, 1000 Hz right."""
    frames = int(8000 * seconds)
    samples = []
    for n in range(frames):
        samples += [int(8000 * math.sin(2 * math.pi * 440 * n / 8000)),
                    int(8000 * math.sin(2 * math.pi * 1000 * n / 8000))]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(f"<{len(samples)}h", *samples))


def _case_with_recording(app: FastAPI, *, confidential: bool, uniqueid: str) -> str:
    settings = app.state.settings
    with app.state.sessions() as session:
        new = NewCase(citizen_name=NAME, content=f"Nước ngập đường, gọi lại {PHONE}", channel="phone",
                      citizen_phone=PHONE, topic="infra", confidential=confidential)
        case = cases.create_case(session, new, who=ADMIN, now=NOW)
        rec = Recording(uniqueid=uniqueid, linkedid=uniqueid, kind="inbound", source_path=f"/rec/{uniqueid}.raw",
                        state="ready", started_at=NOW, ended_at=NOW, case_id=case.id, sample_rate=8000, channels=2)
        session.add(rec)
        session.flush()
        rec.store_path = f"2026/11/24/{rec.id:09d}.raw"
        original = settings.store_dir / rec.store_path
        _tone_raw(original)
        compact = original.with_suffix(".opus")
        convert.to_opus(original, compact, 32)
        rec.compact_path = str(compact.relative_to(settings.store_dir))
        rec.sha256, rec.size_bytes = sha256_file(original), original.stat().st_size
        rec.compact_sha256, rec.ingested_at = sha256_file(compact), NOW
        words = [{"word": "Bích", "start": 0.1, "end": 0.3, "conf": 1.0},
                 {"word": "nước", "start": 0.4, "end": 0.6, "conf": 1.0}]
        session.add(Transcript(recording_id=rec.id, created_at=NOW, model="vosk-test", sample_rate=16000,
                               segments=[{"speaker": "citizen", "channel": 0, "start": 0.1, "end": 0.6,
                                          "text": "Bích nước", "words": words}],
                               text="Người dân: Bích nước", text_search="bich nuoc"))
        session.commit()
        return case.code


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    app = build_app(database_url, tmp_path, TOKENS)
    audit_chain.bind_anchor(app.state.engine, app.state.settings.audit_anchor_path)
    with app.state.sessions() as session:
        agency_id = agencies.create_agency(session, {"kind": "department", "name": "Sở Xây dựng",
                                                     "jurisdiction": "quang-nam"}).id
    code = _case_with_recording(app, confidential=False, uniqueid="1764000000.1")
    secret = _case_with_recording(app, confidential=True, uniqueid="1764000000.2")
    return World(app, client_for(app), code, secret, agency_id)


def _download(world: World, code: str, token: str, into: Path) -> Path:
    response = world.client.get(f"/api/cases/{code}/evidence", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(into)
    [bag] = [p for p in into.iterdir() if p.is_dir()]
    return bag


def _run_verifier(bag: Path, scratch: Path) -> subprocess.CompletedProcess[str]:
    """The bag's own verify_bag.py, copied away from the project and run from there, isolated: -I (no
    PYTHONPATH, no user site), -S (no site-packages, so not even the project's editable install), an env with
    PATH only. Only the standard library is importable, so the check owes nothing to this project."""
    copy = scratch / "elsewhere" / "verify_bag.py"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(bag / "verify_bag.py", copy)
    return subprocess.run([sys.executable, "-I", "-S", str(copy), str(bag)], cwd=copy.parent,
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)


def test_given_a_case_with_a_recording_when_exported_then_the_bag_verifies_without_the_project(
        world: World, tmp_path: Path) -> None:
    bag = _download(world, world.code, "boot-aud", tmp_path / "unzipped")
    done = _run_verifier(bag, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BAG VALID" in done.stdout and "FAILED" not in done.stdout
    # Standard tools agree: the payload manifest and the hashes fixed at ingest both check with sha256sum.
    for manifest in ("manifest-sha256.txt", "ingest-sha256.txt", "tagmanifest-sha256.txt"):
        checked = subprocess.run(["sha256sum", "-c", manifest], cwd=bag, capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    names = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "ingest-sha256.txt",
            "verify_bag.py", "data/README.txt", "data/case/case.json", "data/case/events.json",
            "data/recordings/recordings.json"} <= names
    [original] = [n for n in names if n.endswith("-original.raw")]
    with world.app.state.sessions() as session:
        rec = session.scalar(select(Recording).where(Recording.uniqueid == "1764000000.1"))
        assert rec is not None and sha256_file(bag / original) == rec.sha256
    assert any(n.endswith("-compact.opus") for n in names) and any(n.endswith(".json") and "transcripts/" in n
                                                                    for n in names)
    case_row = json.loads((bag / "data/case/case.json").read_text())
    events = json.loads((bag / "data/case/events.json").read_text())
    assert case_row["code"] == world.code and case_row["citizen_name"] == NAME
    assert [e["action"] for e in events] == ["receive"]
    assert "s16le" in (bag / "data/README.txt").read_text() or "-e signed-integer -b 16 -L -r 8000 -c 2" in (
        bag / "data/README.txt").read_text()


def test_given_one_changed_byte_in_the_payload_when_verified_then_the_bag_fails(
        world: World, tmp_path: Path) -> None:
    bag = _download(world, world.code, "boot-sup", tmp_path / "unzipped")
    [original] = list((bag / "data" / "recordings").glob("*-original.raw"))
    data = bytearray(original.read_bytes())
    data[1000] ^= 0x01
    original.write_bytes(bytes(data))
    done = _run_verifier(bag, tmp_path)
    assert done.returncode == 1 and "BAG FAILED" in done.stdout
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all(original.name in line for line in failed)  # the payload and the ingest check
    assert subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True,
                          timeout=60).returncode != 0


def test_given_an_unlisted_file_or_a_zip_when_verified_then_each_is_judged(world: World, tmp_path: Path) -> None:
    response = world.client.get(f"/api/cases/{world.code}/evidence", headers=bearer("boot-aud"))
    package = tmp_path / "package.zip"
    package.write_bytes(response.content)
    verifier = Path(evidence.__file__).with_name("verify_bag.py")
    as_zip = subprocess.run([sys.executable, "-I", "-S", str(verifier), str(package)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert as_zip.returncode == 0, as_zip.stdout
    bag = _download(world, world.code, "boot-aud", tmp_path / "unzipped")
    (bag / "data" / "extra.txt").write_text("slipped in")
    done = _run_verifier(bag, tmp_path)
    assert done.returncode == 1 and "data/extra.txt: in data/ but not listed" in done.stdout


def test_given_an_export_when_done_then_it_is_in_the_audit_chain_and_the_temporary_file_is_gone(
        world: World, tmp_path: Path) -> None:
    _download(world, world.code, "boot-sup", tmp_path / "unzipped")
    with world.app.state.sessions() as session:
        last = session.scalar(select(AuditChainEntry).order_by(AuditChainEntry.seq.desc()).limit(1))
        assert last is not None and (last.action, last.subject, last.role) == ("export", f"case:{world.code}",
                                                                                 "supervisor")
        assert len(last.detail["manifest_sha256"]) == 64 and last.detail["identity_masked"] is False
        assert audit_chain.verify(session, world.app.state.settings.audit_anchor_path)["ok"]
    work = world.app.state.settings.var_dir / world.app.state.settings.instance / "evidence-tmp"
    assert list(work.iterdir()) == []


def test_given_a_confidential_case_when_an_auditor_exports_then_identity_is_masked_everywhere(
        world: World, tmp_path: Path) -> None:
    bag = _download(world, world.confidential_code, "boot-aud", tmp_path / "aud")
    texts = "".join(p.read_text() for p in (bag / "data").rglob("*") if p.suffix in (".json", ".txt"))
    assert NAME not in texts and PHONE not in texts and "Bích" not in texts
    assert "Identity-Masked: yes" in (bag / "bag-info.txt").read_text()
    assert _run_verifier(bag, tmp_path).returncode == 0
    shown = _download(world, world.confidential_code, "boot-sup", tmp_path / "sup")  # the handling chain sees it
    assert json.loads((shown / "data/case/case.json").read_text())["citizen_name"] == NAME


def test_given_a_focal_point_when_exporting_then_403_and_nothing_logged(world: World) -> None:
    add_user(world.app, "daumoi", "focal_point", agency_id=world.agency_id)
    with world.app.state.sessions() as session:
        before = audit_chain.verify(session, None)["entries"]
    response = world.client.get(f"/api/cases/{world.code}/evidence", headers=bearer(login_token(world.app,
                                                                                                "daumoi")))
    assert response.status_code == 403, response.text
    with world.app.state.sessions() as session:
        assert audit_chain.verify(session, None)["entries"] == before
        assert session.scalar(select(Case).where(Case.code == world.code)) is not None


def test_given_the_chain_routes_when_read_and_verified_then_pages_newest_first_and_logged_checks(
        world: World) -> None:
    checked = world.client.get("/api/audit/chain/verify", headers=bearer("boot-adm"))
    assert checked.status_code == 200 and checked.json()["ok"], checked.text
    entries = checked.json()["entries"]  # the two cases' "receive" (the check is logged after the walk)
    first = world.client.get("/api/audit/chain", params={"limit": 2}, headers=bearer("boot-adm")).json()
    assert [e["seq"] for e in first["entries"]] == [entries + 1, entries]  # newest first
    assert first["entries"][0]["action"] == "verify" and first["entries"][0]["detail"]["ok"] is True
    older = world.client.get("/api/audit/chain", params={"limit": 2, "before_seq": first["next_before_seq"]},
                             headers=bearer("boot-adm")).json()
    assert [e["seq"] for e in older["entries"]] == list(range(entries - 1, 0, -1))[:2]
    assert world.client.get("/api/audit/chain", headers=bearer("boot-sup")).status_code == 403
    # An auditor's reads of the trail are themselves logged (Art. 11), after what they read.
    assert world.client.get("/api/audit/chain/verify", headers=bearer("boot-aud")).json()["ok"]
    newest = world.client.get("/api/audit/chain", params={"limit": 3}, headers=bearer("boot-aud")).json()
    assert [(e["action"], e["role"]) for e in newest["entries"]] == [("access", "auditor"), ("verify", "auditor"),
                                                                      ("verify", "admin")]


def test_given_a_package_left_by_a_cut_off_download_when_exporting_again_then_it_is_swept(
        world: World, tmp_path: Path) -> None:
    settings = world.app.state.settings
    stale = settings.var_dir / settings.instance / "evidence-tmp" / "bag-cutoff"
    stale.mkdir(parents=True)
    (stale / "old.zip").write_bytes(b"x")
    old = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    os.utime(stale, (old, old))
    _download(world, world.code, "boot-sup", tmp_path / "unzipped")
    assert not stale.exists()
