"""The Asterisk configuration rendered from asterisk-conf/ and dialplan/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from asterisk.config import Config

from app import names
from app.ops.render import TemplateError, render_text, templates
from app.settings import Settings


def test_given_all_templates_when_rendered_then_no_placeholder_is_left(rendered: dict[str, str]) -> None:
    assert set(rendered) == {t.name.removesuffix(".tmpl") for t in templates()}
    for name, text in rendered.items():
        assert "{{" not in text, name


def test_given_unknown_placeholder_when_rendering_then_error_names_it() -> None:
    with pytest.raises(TemplateError, match="NOPE"):
        render_text("x = {{NOPE}}", {}, source="t.conf")


def test_given_rendered_config_when_parsed_by_pyst2_then_every_file_parses(tmp_path: Path,
                                                                           rendered: dict[str, str]) -> None:
    for name, text in rendered.items():
        # pyst2 knows no #include/#tryinclude directives (the bans file); Asterisk's own parser takes them.
        plain = tmp_path / "plain" / name
        plain.parent.mkdir(exist_ok=True)
        plain.write_text(re.sub(r"^#(try)?include ", ";include ", text, flags=re.M))
        config = Config(str(plain))
        assert config is not None


def test_given_rendered_config_then_the_sip_acl_and_the_ami_user_include_the_bans(rendered: dict[str, str]) -> None:
    assert f"#tryinclude {names.BANS_FILE}" in rendered["pjsip.conf"]
    assert f"[{names.ACL_BANS}]\ntype = acl\n" in rendered["pjsip.conf"]
    assert f"[{names.ACL_BANS}]\n" in rendered["acl.conf"] and f"#tryinclude {names.BANS_FILE}" in rendered["acl.conf"]
    assert f"acl = {names.ACL_BANS}" in rendered["manager.conf"]
    assert re.search(r"^read = .*\bsecurity\b", rendered["manager.conf"], re.M)


def test_given_rendered_manager_conf_then_ami_is_bound_to_loopback_with_generated_secret(
        rendered: dict[str, str], secret_values: dict[str, Any]) -> None:
    text = rendered["manager.conf"]
    assert re.search(r"^bindaddr = 127\.0\.0\.1$", text, re.M)
    assert f"secret = {secret_values['ami_secret']}" in text
    assert len(secret_values["ami_secret"]) >= 20


def test_given_rendered_modules_conf_then_autoload_is_off_and_pjsip_agi_queue_load(
        rendered: dict[str, str]) -> None:
    text = rendered["modules.conf"]
    assert "autoload = no" in text
    for module in ("chan_pjsip.so", "res_agi.so", "app_queue.so", "app_mixmonitor.so", "res_pjsip_registrar.so"):
        assert f"load => {module}" in text
    assert "chan_sip.so" not in text


def test_given_operators_when_pjsip_rendered_then_each_registers_with_digest_auth(
        rendered: dict[str, str], settings: Settings, secret_values: dict[str, Any]) -> None:
    text = rendered["pjsip.conf"]
    for op in settings.operators:
        assert f"[{op}]\ntype = auth\nauth_type = digest\nusername = {op}\n" \
               f"password = {secret_values['operators'][op]}" in text
        assert f"[{op}]\ntype = aor\nmax_contacts = 1" in text


def test_given_trunk_address_when_pjsip_rendered_then_trunk_is_identified_by_it(rendered: dict[str, str],
                                                                               settings: Settings) -> None:
    text = rendered["pjsip.conf"]
    assert f"type = identify\nendpoint = {names.TRUNK_ENDPOINT}\nmatch = {settings.trunk_address}" in text
    assert f"context = {names.CTX_INBOUND}" in text


def test_given_dialplan_when_rendered_then_every_public_number_enters_the_ivr(rendered: dict[str, str]) -> None:
    text = rendered["extensions.conf"]
    inbound = text.split(f"[{names.CTX_INBOUND}]", 1)[1].split("\n[", 1)[0]
    for number in ("1022", "02351022", "842351022", "+842351022"):
        assert f"exten => {number},1,Set({names.VAR_DIALLED}=${{EXTEN}})" in inbound


def test_given_dialplan_when_agi_fails_then_fallback_announces_and_queues_general(rendered: dict[str, str]) -> None:
    ivr = rendered["extensions.conf"].split(f"[{names.CTX_IVR}]", 1)[1].split("\n[", 1)[0]
    fallback = ivr.split("(fallback)", 1)[1]
    assert '$["${AGISTATUS}" != "SUCCESS"]?fallback' in ivr
    assert f"Set({names.VAR_QUEUE}={names.QUEUE_GENERAL})" in fallback
    assert f"Playback(${{{names.VAR_SOUNDS}}}/{names.PROMPT_AGI_DOWN})" in fallback
    assert "Log(ERROR,ALERT" in fallback
    assert "Hangup" not in fallback
