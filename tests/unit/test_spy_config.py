"""The rendered Asterisk configuration for listen, whisper and barge: the supervisor's leg is recorded before ChanSpy
runs, and the app's AMI account receives the DTMF ChanSpy reads (its only trace of a mode keyed on the phone)."""

from __future__ import annotations

import re

from app import names
from app.services import spy
from recordings import naming


def _context(text: str, name: str) -> list[str]:
    body = text.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]
    return [line for line in body.splitlines() if line.strip() and not line.startswith(";")]


def test_given_rendered_dialplan_then_spy_context_records_the_supervisor_leg_then_runs_chanspy(
        rendered: dict[str, str]) -> None:
    lines = _context(rendered["extensions.conf"], names.CTX_SPY)
    assert names.RECORDING_SUPERVISION_NAME in lines[0] and names.VAR_RECORDING in lines[0]
    assert f"Gosub({names.CTX_RECORD},s,1)" in lines[1]
    assert f"ChanSpy(${{{names.VAR_SPY_CHANNEL}}},${{{names.VAR_SPY_OPTIONS}}})" in lines[2]
    assert naming.kind_of(f"/r/2026/11/24/{spy.PREFIX}0a1b2c3d4e5f-supervision.raw") == naming.KIND_SUPERVISION


def test_given_rendered_manager_conf_then_dtmf_end_reaches_the_app_and_dtmf_begin_does_not(
        rendered: dict[str, str]) -> None:
    text = rendered["manager.conf"]
    read = re.search(r"^read = (.+)$", text, re.M)
    assert read is not None and "dtmf" in read.group(1).split(",")
    drop = re.search(r"^eventfilter = !\^Event: \((.+)\)$", text, re.M)
    assert drop is not None and "DTMFBegin" in drop.group(1).split("|")
    assert "DTMFEnd" not in drop.group(1).split("|")
