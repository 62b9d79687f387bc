"""Writes each play, download, verify and transcript read of a recording into the hash-chained audit trail."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db.models_recordings import Recording
from app.services import audit
from app.services.case_access import Who


def _chain() -> Any | None:
    try:
        return importlib.import_module("app.services.audit_chain")
    except ImportError:  # the audit chain is written by another helper; until it lands, the access log stands in
        return None


def record_use(session: Session, who: Who, action: str, rec: Recording, *, case_code: str | None,
               now: datetime, detail: dict[str, Any] | None = None) -> None:
    """One committed entry per use: the chain when present, else the access log. Auditors' reads are also in
    the access log (Art. 11), as for every other record they open."""
    subject = f"recording:{rec.id}"
    info = {"case": case_code, "kind": rec.kind, "sha256": rec.sha256, **(detail or {})}
    chain = _chain()
    if chain is not None and hasattr(chain, "append"):
        chain.append(session, actor=who.actor, role=who.role, action=action, subject=subject, detail=info, now=now)
        session.commit()
    else:
        audit.record_access(session, who, f"{action} {subject}", case_code=case_code, now=now)
        return
    audit.record_if_audited(session, who, f"{action} {subject}", case_code=case_code)
