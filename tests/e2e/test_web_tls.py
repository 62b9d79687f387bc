"""The web app's optional TLS listener: with a certificate and key in the settings it serves HTTPS only."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from app.ops.stack import PythonService, web_argv
from tests.e2e.conftest import Env
from tests.support.certs import make_certs
from tests.support.waiting import wait_until


def test_given_tls_files_in_the_settings_when_the_web_app_starts_then_health_answers_over_https_only(
        env: Env, tmp_path: Path) -> None:
    certs = make_certs(tmp_path / "certs")
    settings = env.settings.model_copy(update={"http_port": env.settings.http_port + 100,
                                               "web_tls_cert_file": str(certs.cert),
                                               "web_tls_key_file": str(certs.key)})
    # A second web process beside the fixture's (the app runs several; only one acts on AMI events).
    web = PythonService("web-tls", web_argv(settings), settings, settings.http_port)
    web.start()
    try:
        trusted = ssl.create_default_context(cafile=str(certs.ca))
        base = f"https://127.0.0.1:{settings.http_port}"

        def green() -> dict[str, object] | None:
            response = httpx.get(f"{base}/health", verify=trusted, timeout=10)
            body: dict[str, object] = response.json()
            return body if response.status_code == 200 and body["status"] == "ok" else None

        wait_until(green, "a green /health over HTTPS", timeout=60)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{base}/health", timeout=10)  # not signed by a CA the client knows
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{settings.http_port}/health", timeout=10)  # no plain HTTP on it
        assert env.stack.health()["status"] == "ok"
    finally:
        web.stop()
