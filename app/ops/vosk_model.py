"""Install a Vosk model (zip or tar, local file or URL) into settings.vosk_model_dir, checked, swapped in whole."""

from __future__ import annotations

import shutil
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from app.errors import AppError
from recordings.transcribe import MODEL_NAME_FILE, is_model

Say = Callable[[str], None]


class ModelInstallError(AppError):
    error_id = "vosk_model_invalid"
    message_vi = "Không cài được mô hình Vosk: cần tệp zip/tar (hoặc URL) chứa conf/mfcc.conf và am/."
    message_en = "The Vosk model was not installed: give a zip/tar (or URL) holding conf/mfcc.conf and am/."


def _say(line: str) -> None:
    print(line, flush=True)


def _download(url: str, to: Path, say: Say) -> None:
    """urllib to a temporary file, printing progress about every 5 %% (or 10 MB when the size is unknown)."""
    with urllib.request.urlopen(url, timeout=60) as reply, to.open("wb") as out:  # http(s) only: checked by install()
        total = int(reply.headers.get("Content-Length") or 0)
        done, shown, started = 0, 0, time.monotonic()
        while chunk := reply.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            step = total // 20 if total else 10 << 20
            if done - shown >= step or (total and done == total):
                shown = done
                rate = done / max(time.monotonic() - started, 0.001) / 1e6
                pct = f"{100 * done / total:5.1f} %" if total else "       "
                say(f"[vosk-model] {pct} {done / 1e6:8.1f} MB  {rate:.1f} MB/s")


def _unpack(archive: Path, into: Path) -> None:
    name = archive.name.lower()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(into)  # zipfile drops absolute paths and ".." parts
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            tf.extractall(into, filter="data")  # refuses links and paths that leave the folder
    else:
        raise ModelInstallError(f"{name}: not a zip or tar archive (không phải tệp nén zip hoặc tar)")


def find_model_root(folder: Path) -> Path:
    """The folder holding conf/mfcc.conf and am/: the archive's top folder (vosk-model-small-vn-0.4/) or itself."""
    candidates = [folder, *sorted(p.parent.parent for p in folder.rglob("conf/mfcc.conf"))]
    for candidate in candidates:
        if is_model(candidate):
            return candidate
    raise ModelInstallError("the archive holds no Vosk model: conf/mfcc.conf and am/ are needed "
                            "(tệp nén không chứa mô hình Vosk)")


def install(source: str, dest: Path, say: Say = _say) -> Path:
    """Unpack `source` (a path or an http(s) URL) and put the model at `dest`; the previous one is replaced whole."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".vosk-install-", dir=dest.parent) as tmp_name:
        tmp = Path(tmp_name)
        if source.startswith(("http://", "https://")):
            archive = tmp / (source.rstrip("/").rsplit("/", 1)[-1] or "model.zip")
            say(f"[vosk-model] downloading {source}")
            _download(source, archive, say)
        else:
            archive = Path(source).expanduser()
            if not archive.is_file():
                raise ModelInstallError(f"no such file: {archive} (không có tệp)")
        say(f"[vosk-model] unpacking {archive.name}")
        unpacked = tmp / "unpacked"
        _unpack(archive, unpacked)
        root = find_model_root(unpacked)
        name = root.name if root != unpacked else archive.name.split(".")[0]
        (root / MODEL_NAME_FILE).write_text(name + "\n")
        # Swap folders so a transcriber never sees half a model; the old one goes only once the new one is in.
        old = tmp / "previous"
        if dest.exists():
            dest.rename(old)
        shutil.move(str(root), str(dest))
    say(f"[vosk-model] installed {name} at {dest}")
    return dest


def main(argv: list[str] | None = None) -> int:
    """`python -m app.ops.vosk_model SOURCE [DEST]` (the setup command's --vosk-model does the same)."""
    from app.settings import get_settings

    args = sys.argv[1:] if argv is None else argv
    install(args[0], Path(args[1]) if len(args) > 1 else get_settings().vosk_model_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
