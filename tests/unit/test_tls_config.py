"""TLS options: the web app's HTTPS flags, and the SIP TLS transport with SRTP for the chosen operators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app import names
from app.ops.render import InstancePaths, config_values, render_text
from app.ops.stack import health_url, web_argv
from app.settings import PROJECT_DIR, Settings

PATHS = InstancePaths(instance_dir="/srv/tongdai/unit", module_dir="/usr/lib/asterisk/modules")


def _pjsip(settings: Settings, secret_values: dict[str, Any]) -> str:
    template = (PROJECT_DIR / "asterisk-conf" / "pjsip.conf.tmpl").read_text()
    return render_text(template, config_values(settings, secret_values, PATHS))


def _section(text: str, name: str, kind: str) -> str:
    for block in text.split("\n["):
        if block.startswith(f"{name}]") and f"type = {kind}\n" in block:
            return block
    raise AssertionError(f"no [{name}] {kind}")


def test_given_no_tls_files_when_rendered_then_no_tls_transport_and_operators_on_udp(
        settings: Settings, secret_values: dict[str, Any]) -> None:
    text = _pjsip(settings, secret_values)
    assert "protocol = tls" not in text
    assert "media_encryption" not in text
    assert web_argv(settings)[-1] == "warning" and health_url(settings).startswith("http://")


def test_given_tls_files_and_one_tls_operator_when_rendered_then_only_that_phone_needs_tls_and_srtp(
        settings: Settings, secret_values: dict[str, Any]) -> None:
    tls = settings.model_copy(update={"sip_tls_cert_file": "/etc/ssl/x.crt", "sip_tls_key_file": "/etc/ssl/x.key",
                                      "sip_tls_port": 5161, "sip_tls_operators": ["1002"]})
    text = _pjsip(tls, secret_values)
    transport = _section(text, names.TRANSPORT_TLS, "transport")
    assert "protocol = tls\n" in transport and f"bind = {tls.sip_bind}:5161\n" in transport
    assert f"cert_file = {PATHS.instance_dir}/keys/sip-tls.crt\n" in transport  # copied in: Asterisk may be chrooted
    tls_phone, udp_phone = _section(text, "1002", "endpoint"), _section(text, "1001", "endpoint")
    assert f"transport = {names.TRANSPORT_TLS}\n" in tls_phone
    assert "media_encryption = sdes\n" in tls_phone and "media_encryption_optimistic = no\n" in tls_phone
    assert f"transport = {names.TRANSPORT_UDP}\n" in udp_phone and "media_encryption" not in udp_phone
    everyone = tls.model_copy(update={"sip_tls_operators": ["*"]})
    assert "media_encryption = sdes" in _section(_pjsip(everyone, secret_values), "1001", "endpoint")


def test_given_web_tls_files_when_the_web_app_is_started_then_uvicorn_serves_https(
        settings: Settings, tmp_path: Path) -> None:
    web = settings.model_copy(update={"web_tls_cert_file": str(tmp_path / "c.pem"),
                                      "web_tls_key_file": str(tmp_path / "k.pem")})
    argv = web_argv(web)
    assert argv[argv.index("--ssl-certfile") + 1] == str(tmp_path / "c.pem")
    assert argv[argv.index("--ssl-keyfile") + 1] == str(tmp_path / "k.pem")
    assert health_url(web).startswith("https://")
    half = settings.model_copy(update={"web_tls_cert_file": str(tmp_path / "c.pem")})
    assert "--ssl-certfile" not in web_argv(half)  # both files or none
