"""The evidence package of a case: a zipped BagIt bag with the original recordings, transcripts, the case's
history and SHA-256 manifests (with the hashes fixed at ingest), checkable anywhere with `sha256sum -c` or the
stdlib-only verify_bag.py it carries.

Who may export (decided here, issue 8 points 4 and 6): auditors, supervisors and admins. Focal points are
refused: an agency never takes a case's recordings out of the centre (for a confidential case the voice itself
identifies the citizen; the centre sends an agency what it needs). A confidential case exported by someone
outside the handling chain (an auditor) carries the audio, as auditors may hear it, but the citizen's identity
is masked in every text of the package: case row, history, call row and transcripts.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Call, Case
from app.db.models_cases import CaseEventRecord
from app.db.models_recordings import Recording, Transcript
from app.errors import AppError
from app.services import audit_chain, recording_access
from app.services.case_access import Who
from app.settings import Settings
from recordings import labels, store
from recordings.bag import BagWriter, zip_bag

STALE_S = 6 * 3600  # longer than any download of a package takes
EXPORTERS = frozenset({"auditor", "supervisor", "admin"})
VERIFIER = Path(__file__).with_name("verify_bag.py")
IDENTITY = ("citizen_name", "citizen_phone", "citizen_address", "citizen_email")
_SKIP = frozenset({"content_search"})  # derived from content


class EvidenceRoleRefused(AppError):
    status_code = 403
    error_id = "evidence_role_refused"
    message_vi = ("Chỉ kiểm soát viên, giám sát viên và quản trị viên Tổng đài được xuất gói chứng cứ. "
                  "Cơ quan cần tài liệu của hồ sơ thì đề nghị giám sát viên Tổng đài gửi.")
    message_en = ("Only the centre's auditors, supervisors and admins may export an evidence package. An agency "
                  "that needs the case's material asks the centre's supervisor to send it.")


def _row(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key in _SKIP:
            continue
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _masked_case(case: Case, row: dict[str, Any]) -> dict[str, Any]:
    out = {**row, **{k: recording_access.NAME_MASK for k in IDENTITY if row.get(k)}}
    out["citizen_phone"] = recording_access.mask_phone(case.citizen_phone)
    for key in ("content", "answer"):
        if out.get(key):
            out[key] = recording_access.mask_text(str(out[key]), case)
    return out


def _masked_event(case: Case, row: dict[str, Any]) -> dict[str, Any]:
    data = {k: recording_access.mask_text(v, case) if isinstance(v, str) else v for k, v in (row["data"] or {}).items()}
    reason = recording_access.mask_text(row["reason"], case) if row.get("reason") else row.get("reason")
    return {**row, "data": data, "reason": reason}


def _history(session: Session, case: Case, shown: bool) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
    events = session.scalars(select(CaseEventRecord).where(CaseEventRecord.case_id == case.id)
                             .order_by(CaseEventRecord.seq))
    rows = [_row(e) for e in events]
    call = session.scalar(select(Call).where(Call.uniqueid == case.call_uniqueid)) if case.call_uniqueid else None
    call_row = _row(call) if call is not None else None
    if shown:
        return _row(case), rows, call_row
    if call_row is not None:
        call_row["caller_number"] = recording_access.mask_phone(call_row.get("caller_number"))
    return _masked_case(case, _row(case)), [_masked_event(case, r) for r in rows], call_row


def _recording(bag: BagWriter, session: Session, rec: Recording, case: Case, settings: Settings, shown: bool,
               ingest_lines: list[str]) -> dict[str, Any]:
    """Copy one recording (original, compact) and its transcript in; return what the package says about it."""
    info = {k: v for k, v in _row(rec).items() if k not in ("error", "attempts")}
    info["speakers"] = list(labels.speakers(rec.kind))
    original, compact = store.original_path(rec, settings), store.compact_path(rec, settings)
    if original is not None and original.is_file():
        name = f"recordings/{rec.id}-original{PurePosixPath(str(original)).suffix or '.raw'}"
        info["original_file"], info["original_sha256_now"] = f"data/{name}", bag.add_file(name, original)
        if rec.sha256:
            ingest_lines.append(f"{rec.sha256}  data/{name}\n")
    if compact is not None and compact.is_file():
        name = f"recordings/{rec.id}-compact{PurePosixPath(str(compact)).suffix}"
        info["compact_file"], info["compact_sha256_now"] = f"data/{name}", bag.add_file(name, compact)
    transcript = session.scalar(select(Transcript).where(Transcript.recording_id == rec.id))
    if transcript is not None:
        segments, text = transcript.segments or [], transcript.text or ""
        if not shown:
            segments, text = recording_access.mask_segments(segments, case), recording_access.mask_text(text, case)
        bag.add_json(f"transcripts/{rec.id}.json", {"recording_id": rec.id, "model": transcript.model,
                                                    "sample_rate": transcript.sample_rate,
                                                    "created_at": transcript.created_at, "segments": segments})
        bag.add_text(f"transcripts/{rec.id}.txt", text + "\n")
        info["transcript_files"] = [f"data/transcripts/{rec.id}.json", f"data/transcripts/{rec.id}.txt"]
    return info


def _readme(case: Case, recs: list[dict[str, Any]], shown: bool) -> str:
    lines = [f"Gói chứng cứ hồ sơ {case.code} / Evidence package of case {case.code}", "",
             "Kiểm tra / Check:  sha256sum -c manifest-sha256.txt   (tệp hiện tại / files as packed)",
             "                   sha256sum -c ingest-sha256.txt     (so với mã băm lúc lưu / against the ingest hash)",
             "                   python3 verify_bag.py .            (mọi kiểm tra / every check, stdlib only)", "",
             "Ghi âm gốc .raw: PCM 16-bit có dấu, little-endian, 8000 Hz, 2 kênh xen kẽ (không có phần đầu tệp).",
             "Original .raw: signed 16-bit little-endian PCM, 8000 Hz, 2 interleaved channels, no header.",
             "  Nghe / play:   play -t raw -e signed-integer -b 16 -L -r 8000 -c 2 <id>-original.raw",
             "  WAV:           sox -t raw -e signed-integer -b 16 -L -r 8000 -c 2 <id>-original.raw out.wav",
             "  Voice messages (.wav) play as they are; the compact copy (.opus) plays in any browser.", ""]
    for rec in recs:
        channels = ", ".join(f"{'left' if i == 0 else 'right'}: {labels.label(s, 'vi')} / {labels.label(s, 'en')}"
                             for i, s in enumerate(rec["speakers"]))
        lines.append(f"recording {rec['id']} ({rec['kind']}): {channels}")
    if not shown:
        lines += ["", "Hồ sơ mật: danh tính người phản ánh đã được che trong mọi văn bản của gói.",
                  "Confidential case: the citizen's identity is masked in every text of this package."]
    return "\n".join(lines) + "\n"


def build(session: Session, case: Case, settings: Settings, who: Who, *, now: datetime | None = None) -> Path:
    """Write the zipped bag into a fresh temporary folder and log `export` in the audit chain (committed).
    The caller streams the zip and then calls discard(path). Blocking: run it off the event loop."""
    if who.role not in EXPORTERS:
        raise EvidenceRoleRefused(f"role {who.role}")
    at = (now or datetime.now(UTC)).astimezone(UTC)
    shown = recording_access.shows_identity(who, case)
    work = settings.var_dir / settings.instance / "evidence-tmp"
    work.mkdir(parents=True, exist_ok=True)
    _sweep_stale(work)
    folder = Path(tempfile.mkdtemp(prefix="bag-", dir=work))
    try:
        name = f"{case.code}-evidence-{at:%Y%m%dT%H%M%SZ}"
        bag = BagWriter(folder / name)
        case_row, events, call_row = _history(session, case, shown)
        bag.add_json("case/case.json", case_row)
        bag.add_json("case/events.json", events)
        if call_row is not None:
            bag.add_json("case/call.json", call_row)
        ingest_lines: list[str] = []
        recs = [_recording(bag, session, rec, case, settings, shown, ingest_lines) for rec in
                session.scalars(select(Recording).where(Recording.case_id == case.id).order_by(Recording.id))]
        bag.add_json("recordings/recordings.json", recs)
        bag.add_text("README.txt", _readme(case, recs, shown))
        info = {"Source-Organization": "Tổng đài 1022", "External-Identifier": case.code,
                "External-Description": f"Evidence package of case {case.code}: recordings, transcripts, history",
                "Bagging-Date": at.date().isoformat(), "Bagging-Time": at.isoformat(timespec="seconds"),
                "Bagged-By": f"{who.actor} ({who.role})", "Identity-Masked": "no" if shown else "yes",
                "Bag-Software-Agent": "tongdai1022 recordings/evidence.py"}
        manifest_hash = bag.finish(info, {"ingest-sha256.txt": "".join(ingest_lines),
                                          "verify_bag.py": VERIFIER.read_text(encoding="utf-8")})
        path = zip_bag(bag.root, folder / f"{name}.zip")
        audit_chain.append(session, actor=who.actor, role=who.role, action="export", subject=f"case:{case.code}",
                           detail={"bag": path.name, "manifest_sha256": manifest_hash,
                                   "recordings": [r["id"] for r in recs], "identity_masked": not shown}, now=at)
        session.commit()
    except BaseException:
        session.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


def _sweep_stale(work: Path) -> None:
    """Remove packages left behind when a download was cut off (the response's clean-up then never ran)."""
    limit = time.time() - STALE_S
    for folder in work.glob("bag-*"):
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)


def discard(path: Path) -> None:
    """Remove a package built by build() (and its temporary folder)."""
    shutil.rmtree(path.parent, ignore_errors=True)
