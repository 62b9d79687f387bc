"""Write a BagIt bag (RFC 8493) by hand: payload under data/, SHA-256 manifests that `sha256sum -c` accepts, zip."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

CHUNK = 1024 * 1024
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


class BagWriter:
    """Collects payload files (hashed as they are written) and finishes the tag files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.payload: dict[str, tuple[str, int]] = {}  # "data/..." -> (sha256, size)
        (root / "data").mkdir(parents=True)

    def _target(self, relative: str) -> Path:
        if relative.startswith("/") or ".." in relative.split("/") or any(c in relative for c in "\r\n%"):
            raise ValueError(f"bad payload name {relative!r}")
        target = self.root / "data" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_bytes(self, relative: str, data: bytes) -> str:
        self._target(relative).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        self.payload[f"data/{relative}"] = (digest, len(data))
        return digest

    def add_text(self, relative: str, text: str) -> str:
        return self.add_bytes(relative, text.encode())

    def add_json(self, relative: str, value: Any) -> str:
        return self.add_text(relative, json.dumps(value, ensure_ascii=False, indent=2, default=_jsonable) + "\n")

    def add_file(self, relative: str, source: Path) -> str:
        """Copy a (possibly large) file in, hashing the bytes as they are copied."""
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as fin, self._target(relative).open("wb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
        self.payload[f"data/{relative}"] = (digest.hexdigest(), size)
        return digest.hexdigest()

    def finish(self, info: dict[str, str], extra_tags: dict[str, str]) -> str:
        """Write bagit.txt, the manifest, bag-info.txt, extra tag files and the tag manifest; returns the
        manifest's own SHA-256 (it names every payload hash, so it identifies the whole package)."""
        manifest = "".join(f"{digest}  {name}\n" for name, (digest, _size) in sorted(self.payload.items()))
        octets = sum(size for _digest, size in self.payload.values())
        fields = {**info, "Payload-Oxum": f"{octets}.{len(self.payload)}"}
        tags = {"bagit.txt": BAGIT_TXT, "manifest-sha256.txt": manifest,
                "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in fields.items()), **extra_tags}
        for name, text in tags.items():
            (self.root / name).write_text(text, encoding="utf-8")
        tag_manifest = "".join(f"{sha256_of(self.root / name)}  {name}\n" for name in sorted(tags))
        (self.root / "tagmanifest-sha256.txt").write_text(tag_manifest, encoding="utf-8")
        return hashlib.sha256(manifest.encode()).hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def zip_bag(root: Path, dest: Path) -> Path:
    """A serialised bag: one top-level folder named as the bag (RFC 8493 4.2), then the folder removed."""
    tmp = dest.with_name(dest.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for folder, _dirs, files in os.walk(root):
            for name in sorted(files):
                path = Path(folder) / name
                archive.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    os.replace(tmp, dest)
    shutil.rmtree(root)
    return dest
