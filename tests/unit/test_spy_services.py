"""Listen, whisper and barge services on a migrated SQLite database with a fake Asterisk's channel list: sessions
are rows written before the API answers, and a fresh Spying (a restarted web app) serves them from the database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import names
from app.db.models import Call
from app.db.models_auth import User
from app.db.models_recordings import AuditChainEntry
from app.db.models_spy import SpySessionRow
from app.services import audit_chain, operators, spy
from app.services.channels import ActionRefused, AmiUnavailable
from app.services.spy import Spying
from tests.support.case_data import build_world

CALLER, OPERATOR, SUPERVISOR = "PJSIP/td-trunk-00000001", "PJSIP/1001-00000002", "PJSIP/1901-00000003"
UNIQUEID = "tongdai-1.1"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    role: str
    actor: str
    user_id: int | None = None


class FakeAsterisk:
    def __init__(self) -> None:
        self.bridges: dict[str, str] = {CALLER: "b-call", OPERATOR: "b-call"}
        self.actions: list[dict[str, str]] = []
        self.spy_leg: str | None = None
        self.down = False
        self.refuse: set[str] = set()

    async def send(self, action: dict[str, str]) -> Any:
        if self.down:
            raise ConnectionError("AMI is not connected")
        if action["Action"] == "CoreShowChannels":
            return [{"Event": "CoreShowChannel", "Channel": c, "BridgeId": b, "ChannelStateDesc": "Up",
                     "Uniqueid": UNIQUEID if c == CALLER else (self.spy_leg if c == SUPERVISOR else f"u-{c}"),
                     "Context": ""} for c, b in self.bridges.items()]
        self.actions.append(action)
        if action["Action"] in self.refuse:
            return {"Response": "Error", "Message": "no"}
        if action["Action"] == "Originate":
            self.spy_leg = action["ChannelId"]
            self.bridges[SUPERVISOR] = ""
        if action["Action"] == "Hangup":
            self.bridges.pop(action["Channel"], None)
        return {"Response": "Success"}


@dataclass
class Bench:
    spying: Spying
    ami: FakeAsterisk
    lead: Person

    def run(self, coro: Any) -> Any:
        return asyncio.run(coro)

    def log(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self.spying.sessions() as s:
            return [(e.action, e.subject, e.detail) for e in s.scalars(select(AuditChainEntry)
                                                                        .order_by(AuditChainEntry.seq))]

    def row(self, spy_id: str) -> SpySessionRow:
        with self.spying.sessions() as s:
            found = s.get(SpySessionRow, spy_id)
            assert found is not None
            return found

    def restarted(self) -> Spying:
        """What a web app started again gets: the same database and Asterisk, nothing in memory."""
        return Spying(self.spying.sessions, self.ami.send, clock=self.spying.clock)


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    world = build_world(f"sqlite:///{tmp_path / 'x.db'}")
    with world.sessions() as s:
        operators.ensure_operators(s, ["1001", "1901"])
        user = User(username="sup1", display_name="Sup 1", role="supervisor", extension="1901", password_hash="x",
                    created_at=NOW)
        s.add(user)
        s.add(Call(uniqueid=UNIQUEID, linkedid=UNIQUEID, channel=CALLER, caller_number="0905999000", operator="1001"))
        s.commit()
        lead = Person("supervisor", "sup1", user.id)
    ami = FakeAsterisk()
    return Bench(Spying(world.sessions, ami.send, clock=lambda: NOW), ami, lead)


def test_given_modes_when_chanspy_data_built_then_exact_channel_and_options() -> None:
    assert spy.chanspy_data(OPERATOR, "listen") == f"{OPERATOR},qdES"
    assert spy.chanspy_data(OPERATOR, "whisper") == f"{OPERATOR},qwdES"
    assert spy.chanspy_data(OPERATOR, "barge") == f"{OPERATOR},qBdES"
    with pytest.raises(ValueError):
        spy.chanspy_data(OPERATOR, "shout")


def test_given_live_call_when_supervisor_barges_then_own_phone_rings_into_spy_context_and_session_stored(
        bench: Bench) -> None:
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "barge"))
    originate = bench.ami.actions[0]
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == ("PJSIP/1901", names.CTX_SPY, "s")
    # Two variables: AMI splits an Originate's Variable header at commas, and ChanSpy's argument has one.
    assert originate["Variable"] == f"{names.VAR_SPY_CHANNEL}={OPERATOR},{names.VAR_SPY_OPTIONS}=qBdES"
    assert originate["ChannelId"] == out["spy_id"] and out["spy_id"].startswith(spy.PREFIX)
    assert (out["operator"], out["supervisor"], out["mode"], out["status"]) == ("1001", "1901", "barge", "ringing")
    row = bench.row(out["spy_id"])
    assert (row.supervisor_user_id, row.supervisor, row.operator, row.operator_channel, row.call_uniqueid,
            row.call_linkedid, row.mode, row.state, row.started_at, row.ended_at) == (
        bench.lead.user_id, "1901", "1001", OPERATOR, UNIQUEID, UNIQUEID, "barge", "ringing", NOW, None)
    [(action, subject, detail)] = bench.log()
    assert (action, subject, detail["operator"], detail["supervisor"], detail["mode"]) == (
        "spy_start", UNIQUEID, "1001", "1901", "barge")


def test_given_spy_when_mode_switched_then_stored_and_logged_then_digit_received_on_supervisor_leg(
        bench: Bench) -> None:
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    switched = bench.run(spy.switch(bench.spying, bench.lead, out["spy_id"], "whisper"))
    assert bench.ami.actions[-1] == {"Action": "PlayDTMF", "Channel": SUPERVISOR, "Digit": "5", "Duration": "200",
                                     "Receive": "true"}
    assert switched["mode"] == "whisper" and bench.row(out["spy_id"]).mode == "whisper"
    assert [(a, d["mode"], d.get("from"), d.get("by")) for a, _, d in bench.log()] == [
        ("spy_start", "listen", None, None), ("spy_mode", "whisper", "listen", "page")]


def test_given_digit_not_sent_when_mode_switched_then_mode_back_and_both_steps_logged(bench: Bench) -> None:
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    bench.ami.refuse.add("PlayDTMF")
    with pytest.raises(ActionRefused):
        bench.run(spy.switch(bench.spying, bench.lead, out["spy_id"], "barge"))
    assert (bench.row(out["spy_id"]).mode, bench.row(out["spy_id"]).page_digits) == ("listen", "")
    assert [(a, d["mode"]) for a, _, d in bench.log()] == [("spy_start", "listen"), ("spy_mode", "barge"),
                                                           ("spy_mode", "listen")]


def test_given_spy_when_stopped_then_ended_logged_once_then_supervisor_leg_hung_up_call_untouched(
        bench: Bench) -> None:
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    stopped = bench.run(spy.stop(bench.spying, bench.lead, out["spy_id"]))
    assert bench.ami.actions[-1] == {"Action": "Hangup", "Channel": SUPERVISOR}
    assert set(bench.ami.bridges) == {CALLER, OPERATOR}
    assert (stopped["status"], stopped["end_reason"]) == ("stopped", "stopped")
    row = bench.row(out["spy_id"])
    assert (row.state, row.end_reason, row.ended_at) == ("ended", "stopped", NOW)
    again = bench.run(spy.stop(bench.spying, bench.lead, out["spy_id"]))  # a second click, or another page
    assert again["status"] == "stopped"
    assert [a for a, _, _ in bench.log()] == ["spy_start", "spy_stop"]
    with pytest.raises(spy.SpyNotFound):
        bench.run(spy.stop(bench.spying, bench.lead, "spy000000000000"))
    with bench.spying.sessions() as s:
        assert audit_chain.verify(s, None)["ok"] is True


def test_given_supervisor_hung_up_when_mode_switched_then_spy_ended_and_nothing_sent(bench: Bench) -> None:
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    bench.ami.bridges.pop(SUPERVISOR)
    sent = len(bench.ami.actions)
    with pytest.raises(spy.SpyEnded):
        bench.run(spy.switch(bench.spying, bench.lead, out["spy_id"], "barge"))
    assert len(bench.ami.actions) == sent and [a for a, _, _ in bench.log()] == ["spy_start"]


def test_given_unanswered_or_ended_call_when_spy_asked_then_refused_and_nothing_stored(bench: Bench) -> None:
    bench.ami.bridges = {CALLER: ""}
    with pytest.raises(spy.SpyCallNotLive):
        bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    bench.ami.bridges = {}
    with pytest.raises(spy.SpyCallNotLive):
        bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    bench.ami.down = True
    with pytest.raises(AmiUnavailable):
        bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    assert bench.ami.actions == [] and bench.log() == []
    with bench.spying.sessions() as s:
        assert s.scalars(select(SpySessionRow)).all() == []


def test_given_asterisk_refuses_originate_when_spy_asked_then_session_ended_as_originate_failed(
        bench: Bench) -> None:
    bench.ami.refuse.add("Originate")
    with pytest.raises(ActionRefused):
        bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    with bench.spying.sessions() as s:
        [row] = s.scalars(select(SpySessionRow)).all()
    assert (row.state, row.end_reason) == ("ended", "originate_failed")
    assert [(a, d.get("reason")) for a, _, d in bench.log()] == [("spy_start", None), ("spy_stop", "originate_failed")]


def test_given_supervisor_hung_up_long_ago_when_another_spy_starts_then_old_session_ended_and_end_logged(
        bench: Bench) -> None:
    clock = [NOW]
    bench.spying.clock = lambda: clock[0]
    first = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    bench.ami.bridges.pop(SUPERVISOR)
    clock[0] = NOW + timedelta(seconds=spy.REAP_AFTER_S + 1)
    second = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "whisper"))
    assert (bench.row(first["spy_id"]).state, bench.row(first["spy_id"]).end_reason) == ("ended", "gone")
    assert bench.row(second["spy_id"]).state == "ringing"
    assert [(a, d["spy_id"]) for a, _, d in bench.log()] == [("spy_start", first["spy_id"]),
                                                            ("spy_stop", first["spy_id"]),
                                                            ("spy_start", second["spy_id"])]


def test_given_web_app_restarted_when_page_switches_and_stops_then_live_leg_found_again_from_asterisk(
        bench: Bench) -> None:
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    fresh = bench.restarted()
    assert bench.run(spy.reconcile(fresh)) == []
    assert bench.row(out["spy_id"]).supervisor_channel == SUPERVISOR  # learned from CoreShowChannels
    assert bench.run(spy.switch(fresh, bench.lead, out["spy_id"], "barge"))["mode"] == "barge"
    assert bench.ami.actions[-1]["Channel"] == SUPERVISOR and bench.ami.actions[-1]["Digit"] == "6"
    bench.run(spy.stop(fresh, bench.lead, out["spy_id"]))
    assert bench.ami.actions[-1] == {"Action": "Hangup", "Channel": SUPERVISOR}
    assert [a for a, _, _ in bench.log()] == ["spy_start", "spy_mode", "spy_stop"]


def test_given_leg_gone_while_app_down_when_app_resyncs_then_session_ended_and_logged_once(bench: Bench) -> None:
    clock = [NOW]
    bench.spying.clock = lambda: clock[0]
    out = bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "whisper"))
    bench.ami.bridges.pop(SUPERVISOR)
    clock[0] = NOW + timedelta(minutes=3)
    fresh = bench.restarted()
    assert bench.run(spy.reconcile(fresh)) == [out["spy_id"]]
    assert bench.run(spy.reconcile(fresh)) == []
    row = bench.row(out["spy_id"])
    assert (row.state, row.end_reason, row.ended_at) == ("ended", "gone", NOW + timedelta(minutes=3))
    assert [(a, subject) for a, subject, _ in bench.log()] == [("spy_start", UNIQUEID), ("spy_stop", UNIQUEID)]
    with pytest.raises(spy.SpyEnded):
        bench.run(spy.switch(fresh, bench.lead, out["spy_id"], "listen"))


def test_given_supervisor_without_extension_when_spy_asked_then_no_phone_error_and_nothing_sent(
        bench: Bench) -> None:
    with pytest.raises(spy.NoSupervisorPhone):
        bench.run(spy.start(bench.spying, Person("admin", "token:x"), None, UNIQUEID, "listen"))
    assert bench.ami.actions == [] and bench.log() == []


def test_given_supervisor_already_listening_when_second_spy_asked_then_phone_busy_and_one_originate(
        bench: Bench) -> None:
    bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "listen"))
    with pytest.raises(spy.SupervisorPhoneBusy):
        bench.run(spy.start(bench.spying, bench.lead, bench.lead.user_id, UNIQUEID, "barge"))
    assert [a["Action"] for a in bench.ami.actions] == ["Originate"] and len(bench.log()) == 1
