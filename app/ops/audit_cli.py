"""`./tongdai audit verify`: walk the audit chain against its published head; exit 1 on any problem."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.db.session import make_engine, session_factory
from app.settings import get_settings


def report(result: dict[str, Any], anchor: Path | None) -> str:
    """The verify result for a person, in Vietnamese and English."""
    head = result["head"]
    lines = [f"Chuỗi nhật ký kiểm toán / audit chain: {result['entries']} mục / entries, "
             f"đầu chuỗi / head seq {head['seq']} {(head['hash'] or '-')[:16]}",
             f"Tệp neo / anchor file: {anchor or '-'}"]
    lines += [f"CẢNH BÁO / WARNING: {w}" for w in result["warnings"]]
    for p in result["problems"]:
        lines.append(f"LỖI / PROBLEM [{p['kind']}]: {p['message_vi']} / {p['message']}")
    if result["ok"]:
        lines.append("ĐẠT / OK: không phát hiện sửa, chèn hay xóa / no edit, insertion or deletion found")
    else:
        lines.append(f"KHÔNG ĐẠT / FAILED: {len(result['problems'])} lỗi / problems")
    return "\n".join(lines)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from app.services import audit_chain

    settings = get_settings()
    anchor = Path(args.anchor) if args.anchor else settings.audit_anchor_path
    engine = make_engine(args.database_url or settings.effective_database_url)
    try:
        with session_factory(engine)() as session:
            result = audit_chain.verify(session, anchor)
    except SQLAlchemyError as exc:
        print(f"KHÔNG KIỂM ĐƯỢC / CANNOT CHECK: cơ sở dữ liệu / database: {exc.__class__.__name__}: "
              f"{str(exc).splitlines()[0]} (chạy ./tongdai setup? / run ./tongdai setup?)")
        return 2
    finally:
        engine.dispose()
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else report(result, anchor))
    return 0 if result["ok"] else 1


def add_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the hash-chained audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="detect any edit, insertion or deletion; exit 1 on a problem")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.add_argument("--anchor", default="", help="anchor file (default: settings.audit_anchor_path)")
    verify.add_argument("--database-url", default="", help="database (default: the configured one)")
    verify.set_defaults(func=cmd_audit_verify)
