"""Writes each play, download, verify and transcript read of a recording into the hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db.models_cases import AuditLog
from app.db.models_recordings import Recording
from app.services import audit_chain
from app.services.audit import AUDITED_ROLES
from app.services.case_access import Who


def record_use(session: Session, who: Who, action: str, rec: Recording, *, case_code: str | None,
               now: datetime, detail: dict[str, Any] | None = None) -> None:
    """One chain entry per use, committed before the file is served. An auditor's use is also a row of the access
    log (Art. 11), in the same transaction: the chain entry already records it, so no second "access" entry."""
    subject = f"recording:{rec.id}"
    info = {"case": case_code, "kind": rec.kind, "sha256": rec.sha256, **(detail or {})}
    audit_chain.append(session, actor=who.actor, role=who.role, action=action, subject=subject, detail=info, now=now)
    if who.role in AUDITED_ROLES:
        session.add(AuditLog(at=now, actor=who.actor[:128], role=who.role, route=f"{action} {subject}"[:256],
                             case_code=case_code))
    session.commit()
