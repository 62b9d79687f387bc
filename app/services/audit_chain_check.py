"""The audit chain's hash rule and the checks of one walk over it (entries, head row, anchor file lines)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
MAX_PROBLEMS = 500  # a wholesale rewrite would list every row; the first ones say enough


def at_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """sha256(prev_hash + canonical JSON of seq, at, actor, role, action, subject, detail)."""
    return hashlib.sha256((prev_hash + canonical(payload)).encode()).hexdigest()


# kind -> (English, Vietnamese); {seq} and {info} are filled in
MESSAGES = {
    "hash_mismatch": ("entry {seq} was edited: its content no longer gives its hash",
                      "mục {seq} đã bị sửa: nội dung không còn khớp mã băm"),
    "prev_hash_break": ("entry {seq} does not follow the entry before it (prev_hash differs): {info}",
                        "mục {seq} không nối tiếp mục trước (prev_hash khác): {info}"),
    "seq_gap": ("entries are missing or were inserted before entry {seq}: {info}",
                "thiếu mục hoặc có mục bị chèn trước mục {seq}: {info}"),
    "order": ("entry {seq} was written after a later entry (row id {info}): inserted afterwards",
              "mục {seq} được ghi sau một mục mới hơn (id dòng {info}): bị chèn thêm"),
    "anchor_mismatch": ("entry {seq} differs from the head published in the anchor file ({info}): rewritten",
                        "mục {seq} khác với đầu chuỗi đã công bố trong tệp neo ({info}): bị viết lại"),
    "anchor_missing_entry": ("entry {seq}, published in the anchor file ({info}), is not in the chain: deleted",
                             "mục {seq}, đã công bố trong tệp neo ({info}), không còn trong chuỗi: bị xóa"),
    "anchor_unreadable": ("anchor file line {info} cannot be read", "không đọc được dòng {info} của tệp neo"),
    "head_mismatch": ("the head row (seq {seq}) does not match the chain: {info}",
                      "dòng đầu chuỗi (seq {seq}) không khớp với chuỗi: {info}"),
    "head_missing": ("the head row audit_chain_head is missing", "thiếu dòng đầu chuỗi audit_chain_head"),
    "truncated_list": ("... and {info} more problems", "... và còn {info} lỗi khác"),
}


def problem(kind: str, seq: int | None, info: Any = "") -> dict[str, Any]:
    en, vi = MESSAGES[kind]
    return {"kind": kind, "seq": seq, "message": en.format(seq=seq, info=info),
            "message_vi": vi.format(seq=seq, info=info)}


@dataclass
class ChainCheck:
    """Fed the head row and anchor lines first (their snapshot is older), then every entry in seq order."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    count: int = 0
    extra: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    last_id: int = 0
    # seq -> [(where it was published, hash)]: each must match the entry at that seq
    marks: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, item: dict[str, Any]) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(item)
        else:
            self.extra += 1

    def head_row(self, head: tuple[int, str] | None) -> None:
        if head is None:
            self.add(problem("head_missing", None))
        elif head[0] > 0:
            self.marks.setdefault(head[0], []).append(("head row", head[1]))

    def anchor(self, path: Path) -> None:
        try:
            lines = path.read_bytes().split(b"\n")
        except FileNotFoundError:
            self.warnings.append(f"no anchor file at {path}: a deletion of the newest entries cannot be proven "
                                 f"(không có tệp neo)")
            return
        for number, raw in enumerate(lines, start=1):
            parts = raw.decode("utf-8", "replace").split()
            if not parts:
                continue
            ok = len(parts) == 3 and parts[0].isdigit() and len(parts[1]) == 64
            if ok:
                self.marks.setdefault(int(parts[0]), []).append((f"anchor line {number}", parts[1]))
            elif number == len(lines):
                self.warnings.append(f"anchor file: the last line {number} is incomplete (a crash while writing)")
            else:
                self.add(problem("anchor_unreadable", None, number))

    def entry(self, *, id: int, seq: int, prev_hash: str, stored: str, computed: str) -> None:
        self.count += 1
        if seq != self.last_seq + 1:
            self.add(problem("seq_gap", seq, f"expected seq {self.last_seq + 1}, found {seq}"))
            for gone in range(self.last_seq + 1, min(seq, self.last_seq + 1 + MAX_PROBLEMS)):
                self._mark_gone(gone)
        if prev_hash != self.last_hash:
            self.add(problem("prev_hash_break", seq, f"{prev_hash[:12]}… instead of {self.last_hash[:12]}…"))
        if computed != stored:
            self.add(problem("hash_mismatch", seq))
        if id < self.last_id:
            self.add(problem("order", seq, id))
        for where, digest in self.marks.pop(seq, []):
            if digest != stored:
                kind = "head_mismatch" if where == "head row" else "anchor_mismatch"
                self.add(problem(kind, seq, f"{where}: {digest[:12]}…, chain: {stored[:12]}…"))
        self.last_seq, self.last_hash, self.last_id = seq, stored, max(id, self.last_id)

    def _mark_gone(self, seq: int) -> None:
        for where, _digest in self.marks.pop(seq, []):
            kind = "head_mismatch" if where == "head row" else "anchor_missing_entry"
            self.add(problem(kind, seq, where))

    def result(self) -> dict[str, Any]:
        # Published heads beyond the chain's end: the newest entries were deleted.
        for seq in sorted(self.marks):
            for where, _digest in self.marks[seq]:
                if where == "head row":
                    self.add(problem("head_mismatch", seq, f"the chain ends at seq {self.last_seq}"))
                else:
                    self.add(problem("anchor_missing_entry", seq, f"{where}; the chain ends at seq {self.last_seq}"))
        if self.extra:
            self.problems.append(problem("truncated_list", None, self.extra))
        return {"ok": not self.problems, "entries": self.count,
                "head": {"seq": self.last_seq, "hash": self.last_hash if self.count else None},
                "problems": self.problems, "warnings": self.warnings}
