"""The Asterisk side of transfers and call-backs, as rendered: the Atxfer code, its timers, the contexts."""

from __future__ import annotations

import re

from app import names
from app.ami.link import SINGLE_RESPONSE
from app.settings import Settings


def _section(text: str, name: str) -> str:
    match = re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert match, f"[{name}] missing"
    return match.group(1)


def test_given_features_conf_then_atxfer_has_the_code_ami_needs_and_asterisk_waits_longer_than_dial(
        rendered: dict[str, str], settings: Settings) -> None:
    features = rendered["features.conf"]
    assert f"atxfer => {names.FEATURE_ATXFER}" in _section(features, "featuremap")
    general = _section(features, "general")
    timeout = int(re.search(r"^atxfernoanswertimeout = (\d+)$", general, re.M).group(1))  # type: ignore[union-attr]
    assert timeout > settings.transfer_ring_s
    assert re.search(r"^atxferabort = \*1$", general, re.M)
    codes = re.findall(r"^atxfer(?:abort|complete|threeway|swap) = (\S+)$", general, re.M)
    assert len(codes) == 4 and names.FEATURE_ATXFER not in codes


def test_given_dialplan_then_transfer_rings_agency_through_trunk_and_reports_answer_and_dial_status(
        rendered: dict[str, str], settings: Settings) -> None:
    text = rendered["extensions.conf"]
    assert f"{names.VAR_TRANSFER_RING} = {settings.transfer_ring_s}" in _section(text, "globals")
    transfer = _section(text, names.CTX_TRANSFER)
    assert (f"Dial(PJSIP/${{EXTEN}}@{names.TRUNK_ENDPOINT},${{{names.VAR_TRANSFER_RING}}},"
            f"U({names.CTX_TRANSFER_ANSWERED}^s^1))") in transfer
    assert f"exten => h,1,UserEvent({names.USEREVENT_TRANSFER},Id: ${{{names.VAR_TRANSFER}}},Status: ${{DIALSTATUS}})" \
        in transfer
    assert "Status: ANSWER" in _section(text, names.CTX_TRANSFER_ANSWERED)
    callback = _section(text, names.CTX_CALLBACK)
    assert f"Gosub({names.CTX_RECORD},s,1)" in callback and f"UserEvent({names.USEREVENT_CALLBACK}" in callback
    for context in (transfer, callback):
        assert 'Set(CALLERID(all)="1022" <02351022>)' in context  # never an operator's extension on the trunk


def test_given_actions_answered_successfully_queued_then_the_link_reads_them_as_one_response() -> None:
    assert {"atxfer", "cancelatxfer", "playdtmf", "originate"} <= SINGLE_RESPONSE
