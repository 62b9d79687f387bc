"""Every string Asterisk sees is defined once in app/names.py, and the dialplan uses only those."""

from __future__ import annotations

import re

from agi.handlers import Handlers
from agi.routes import route_table
from app import names
from app.ops.render import templates


def _agi_routes(dialplan: str) -> set[str]:
    return set(re.findall(r"AGI\(agi://[^/]+/([^),?]+)", dialplan))


def test_given_rendered_dialplan_when_it_calls_agi_then_every_route_exists_in_the_table(
        rendered: dict[str, str]) -> None:
    used = _agi_routes(rendered["extensions.conf"])
    assert used, "the dialplan should call at least one AGI route"
    assert used <= set(route_table(Handlers(None, menu=None)))


def test_given_route_table_then_it_serves_exactly_the_declared_routes() -> None:
    assert set(route_table(Handlers(None, menu=None))) == set(names.AGI_ROUTES)


def test_given_rendered_dialplan_then_every_goto_target_context_exists(rendered: dict[str, str]) -> None:
    text = rendered["extensions.conf"]
    sections = set(re.findall(r"^\[([^\]]+)\]", text, re.M))
    targets = set(re.findall(r"Goto\(([a-z][\w-]*),", text))
    assert targets and targets <= sections


def test_given_rendered_dialplan_then_every_td_variable_is_declared_in_names(rendered: dict[str, str]) -> None:
    used = set(re.findall(r"\b(TD_[A-Z_]+)\b", rendered["extensions.conf"]))
    assert used <= set(names.CHANNEL_VARIABLES)


def test_given_templates_then_no_asterisk_name_is_hard_coded() -> None:
    """Names come in through {{PLACEHOLDERS}}; a literal copy would drift from Python."""
    literals = [v for k, v in vars(names).items()
                if k.isupper() and not k.startswith("SKILL_") and isinstance(v, str) and len(v) > 4]
    for template in templates():
        body = re.sub(r"\{\{[A-Z0-9_]+\}\}", "", template.read_text())
        body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(";"))
        for literal in literals:
            assert not re.search(rf"(?<![\w-]){re.escape(literal)}(?![\w-])", body), (template.name, literal)


def test_given_rendered_dialplan_then_every_mixmonitor_is_stereo_and_agency_leg_is_recorded(
        rendered: dict[str, str]) -> None:
    text = rendered["extensions.conf"]
    calls = [line for line in text.splitlines() if "MixMonitor(" in line]
    assert calls and all(line.rstrip().endswith(f",{names.MIXMONITOR_OPTIONS})") for line in calls)
    answered = text.split(f"[{names.CTX_TRANSFER_ANSWERED}]", 1)[1].split("\n[", 1)[0]
    assert names.RECORDING_AGENCY_LEG_NAME in answered and f"Gosub({names.CTX_RECORD},s,1)" in answered
    assert f"channelvars = {names.MIXMONITOR_FILENAME}" in rendered["manager.conf"]
