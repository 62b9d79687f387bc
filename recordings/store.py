"""Where recordings live on this host: Asterisk's file, the stored original (the evidence) and its compact copy."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path, PurePosixPath

from app.db.models_recordings import Recording
from app.ops.asterisk_root import AsteriskRuntime
from app.settings import Settings

CHUNK = 1024 * 1024
PARTIAL = ".part"  # files being written; renamed into place when complete
COMPACT_SUFFIX = ".opus"


def runtime(settings: Settings) -> AsteriskRuntime:
    return AsteriskRuntime(Path(settings.asterisk_root) if settings.asterisk_root else None)


def source_path(rec: Recording, settings: Settings) -> Path:
    """The host path of the file Asterisk wrote (rows keep the path as Asterisk, chrooted, sees it)."""
    return runtime(settings).host_path(rec.source_path)


def recordings_folder(settings: Settings) -> Path | None:
    """Asterisk's recordings folder on this host, or None when the instance folder is unknown."""
    if not settings.asterisk_instance_dir:
        return None
    return runtime(settings).host_path(f"{settings.asterisk_instance_dir}/recordings")


def store_name(rec: Recording) -> str:
    """The original's name inside the store: day folder and row id (unique), keeping Asterisk's extension."""
    suffix = PurePosixPath(rec.source_path).suffix or ".raw"
    return f"{rec.started_at:%Y/%m/%d}/{rec.id:09d}{suffix}"


def compact_name(rec: Recording) -> str:
    return str(PurePosixPath(store_name(rec)).with_suffix(COMPACT_SUFFIX))


def planned_original(rec: Recording, settings: Settings) -> Path:
    """Where the original is (or will be) in the store, whatever the row says yet."""
    return settings.store_dir / (rec.store_path or store_name(rec))


def original_path(rec: Recording, settings: Settings) -> Path | None:
    """The stored original on this host; None until stored, and once deleted."""
    if rec.state == "deleted" or not rec.store_path:
        return None
    return settings.store_dir / rec.store_path


def compact_path(rec: Recording, settings: Settings) -> Path | None:
    """The stored compact (Opus) copy on this host; None until converted, and once deleted."""
    if rec.state == "deleted" or not rec.compact_path:
        return None
    return settings.store_dir / rec.compact_path


def partial_of(dest: Path) -> Path:
    """A temporary name beside dest, unique per process, so two writers never share one file."""
    return dest.with_name(f"{dest.name}.{os.getpid()}{PARTIAL}")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashing(src: Path, dest: Path) -> tuple[str, int]:
    """Copy src to dest while hashing what is read, so the hash is of the bytes as they were in Asterisk's file."""
    digest, size = hashlib.sha256(), 0
    tmp = partial_of(dest)
    try:
        with src.open("rb") as fin, tmp.open("wb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def move_in(src: Path, dest: Path) -> tuple[str, int] | None:
    """Move Asterisk's file into the store. Same disk: a rename (content untouched, hashed by the caller from
    the store copy, which nothing else opens before the row says stored); returns None. Another disk: copy
    with fsync while hashing, then rename into place; returns (sha256, size). The caller removes the source
    only after the hash is committed, so a crash never loses the original."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        result = _copy_hashing(src, dest)
        fsync_dir(dest.parent)
        return result
    fsync_dir(dest.parent)
    return None


def _free_mb(path: Path) -> float:
    """Free space on the disk of a path (the nearest existing folder on the way to it)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free / (1024 * 1024)


def free_mb(settings: Settings) -> float:
    """Free space on the store's disk."""
    return _free_mb(settings.store_dir)


def source_free_mb(settings: Settings) -> float | None:
    """Free space where Asterisk writes the calls being recorded; None when the app does not know that folder."""
    folder = recordings_folder(settings)
    return None if folder is None else _free_mb(folder)
