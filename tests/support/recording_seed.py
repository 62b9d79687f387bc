"""A recording as ingest leaves it: a real stereo .raw original, its Opus copy (opusenc), hashes, a transcript."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.db.models import Call
from app.db.models_recordings import Recording, Transcript
from app.services import cases
from app.services.case_intake import NewCase
from tests.support.services import unavailable

SEED_ADMIN = Principal(token_id="seed", role="admin", username="seed-admin")
SECONDS = 6.0
CITIZEN_NAME = "Nguyễn Văn An"
# Two sentences per side: the word times are what the page highlights; the words need not match the tone.
SEGMENTS: list[dict[str, Any]] = [
    {"speaker": "citizen", "channel": 0, "start": 0.2, "end": 2.4,
     "text": "tôi là nguyễn văn an số không chín không năm một hai ba", "words": []},
    {"speaker": "operator", "channel": 1, "start": 2.6, "end": 5.6,
     "text": "dạ tổng đài xin nghe đèn đường hỏng ở đâu ạ", "words": []},
]


def _timed(segment: dict[str, Any]) -> dict[str, Any]:
    words = segment["text"].split(" ")
    step = (segment["end"] - segment["start"]) / len(words)
    timed = [{"word": w, "start": round(segment["start"] + i * step, 2),
              "end": round(segment["start"] + (i + 1) * step, 2), "conf": 0.9} for i, w in enumerate(words)]
    return {**segment, "words": timed}


def make_audio(folder: Path) -> tuple[Path, Path]:
    """(original .raw: interleaved stereo s16le 8 kHz, a tone per channel; its Opus copy made by opusenc)."""
    for tool in ("sox", "opusenc"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt-get install sox opus-tools)")
    folder.mkdir(parents=True, exist_ok=True)
    raw, opus = folder / "000000001.raw", folder / "000000001.opus"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "2", "-b", "16", "-e", "signed-integer", "-t", "raw", str(raw),
                    "synth", str(SECONDS), "sine", "440", "sine", "660", "vol", "0.5"], check=True,
                   capture_output=True)
    subprocess.run(["opusenc", "--quiet", "--raw", "--raw-rate", "8000", "--raw-chan", "2", "--raw-bits", "16",
                    "--bitrate", "32", str(raw), str(opus)], check=True, capture_output=True)
    return raw, opus


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class SeededRecording:
    recording_id: int
    case_code: str
    original: Path
    compact: Path


def seed_recording(session: Session, store_dir: Path, *, agency_id: int | None, started: datetime,
                   uniqueid: str = "1763990000.1", confidential: bool = False, phone: str = "0905123456",
                   operator: str = "Trần Thị Lan", topic: str = "infra", audio: tuple[Path, Path] | None = None,
                   ) -> SeededRecording:
    """A case (forwarded to agency_id when given), its call, a `ready` recording in the store and a transcript."""
    new = NewCase(citizen_name=CITIZEN_NAME, content="Đèn đường hỏng ở Trần Phú", channel="phone",
                  citizen_phone=phone, citizen_address="12 Trần Phú, Tam Kỳ", citizen_email="an@example.vn",
                  topic=topic, confidential=confidential, call_uniqueid=uniqueid)
    code = cases.create_case(session, new, who=SEED_ADMIN, now=started + timedelta(minutes=2)).code
    if agency_id is not None:
        cases.transition(session, code, "forward", who=SEED_ADMIN, now=started + timedelta(minutes=3),
                         data={"agency_id": str(agency_id)})
    case = cases.find(session, code)
    session.add(Call(uniqueid=uniqueid, linkedid=uniqueid, caller_number=phone, started_at=started,
                     answered_at=started, ended_at=started + timedelta(seconds=SECONDS), operator=operator,
                     topic=topic, outcome="answered"))
    folder = store_dir / f"{started:%Y/%m/%d}"
    raw, opus = audio or make_audio(folder / uniqueid.replace(".", "-"))
    rec = Recording(uniqueid=uniqueid, linkedid=uniqueid, channel="PJSIP/trunk-00000001", kind="inbound",
                    source_path=f"/var/spool/asterisk/recordings/{uniqueid}.raw", state="ready",
                    started_at=started, ended_at=started + timedelta(seconds=SECONDS),
                    store_path=str(raw.relative_to(store_dir)), sha256=sha256(raw), size_bytes=raw.stat().st_size,
                    sample_rate=8000, channels=2, duration_s=SECONDS, compact_path=str(opus.relative_to(store_dir)),
                    compact_sha256=sha256(opus), compact_bytes=opus.stat().st_size,
                    compact_format="ogg/opus 32k stereo", ingested_at=started + timedelta(seconds=10),
                    case_id=case.id, transcript_status="done")
    session.add(rec)
    session.flush()
    segments = [_timed(s) for s in SEGMENTS]
    session.add(Transcript(recording_id=rec.id, created_at=started + timedelta(seconds=30), model="test-model",
                           sample_rate=16000, segments=segments,
                           text="\n".join(f"{s['speaker']}: {s['text']}" for s in segments),
                           text_search=" ".join(s["text"] for s in segments)))
    session.commit()
    return SeededRecording(rec.id, code, raw, opus)
