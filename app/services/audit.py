"""The access log: who read which case and when (every auditor access is recorded, Art. 11)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models_cases import AuditLog
from app.services import audit_chain
from app.services.case_access import Who

AUDITED_ROLES = frozenset({"auditor"})


def record_access(session: Session, principal: Who, what: str, *, case_code: str | None = None,
                  now: datetime | None = None) -> AuditLog:
    """Add one access row (and its audit chain entry) and commit it: the read is logged even if what follows fails."""
    at = now or datetime.now(UTC)
    row = AuditLog(at=at, actor=principal.actor[:128], role=principal.role, route=what[:256], case_code=case_code)
    session.add(row)
    audit_chain.append(session, actor=principal.actor, role=principal.role, action="access",
                       subject=f"case:{case_code}" if case_code else what, detail={"route": what}, now=at)
    session.commit()
    return row


def record_if_audited(session: Session, principal: Who, what: str, *, case_code: str | None = None) -> None:
    if principal.role in AUDITED_ROLES:
        record_access(session, principal, what, case_code=case_code)


def list_access(session: Session, limit: int = 100) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))
