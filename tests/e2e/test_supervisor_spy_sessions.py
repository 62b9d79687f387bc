"""Spy sessions are rows, ended once: by Asterisk when the operator's leg goes (ChanSpy's E and S options), and,
after a web app restart, still switched and stopped from the page (the supervisor's leg found again by its uniqueid)
or ended when their leg went while the app was down. Real Asterisk, SIPp caller, operator and supervisor phones."""

from __future__ import annotations

import pytest

from tests.e2e import test_supervisor_spy
from tests.e2e.test_supervisor_spy import Lead, audit_of, session_row, spy, spy_leg
from tests.e2e.test_transfers import Desk
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
desk = test_supervisor_spy.desk  # the operator (1003, signed in, general queue)
lead = test_supervisor_spy.lead  # the supervisor's account and SIPp phone (1002)
answered = test_supervisor_spy.answered  # a caller answered by the operator's phone
supervising = test_supervisor_spy.supervising  # + the supervisor's phone ready to answer with a tone


def live(desk: Desk, spy_id: str) -> None:
    wait_until(lambda: session_row(desk, spy_id).state == "spying", "ChanSpyStart stored: the session is live")


@pytest.mark.parametrize("mode", ["listen", "barge"])
def test_given_spying_supervisor_when_operator_leg_hangs_up_then_chanspy_ends_and_page_sees_spy_ended(
        desk: Desk, lead: Lead, supervising: str, mode: str) -> None:
    started = spy(lead, supervising, mode)
    spy_leg(desk, started["spy_id"])
    desk.ami.wait_for("ChanSpyStart", Event="ChanSpyStart", SpyerUniqueid=started["spy_id"])
    desk.env.ami({"Action": "Hangup", "Channel": started["operator_channel"]})
    wait_until(lambda: desk.channel(started["spy_id"]) is None, "the supervisor's leg ended by ChanSpy's E option",
               timeout=30)
    switched = lead.api.post(f"/api/spy/{started['spy_id']}/mode", json={"mode": "listen"})
    assert switched.status_code == 409 and switched.json()["error_id"] == "spy_ended", switched.text
    wait_until(lambda: session_row(desk, started["spy_id"]).state == "ended",
               "the session ended from ChanSpyStop or the leg's Hangup")
    # Whichever comes first ends it, once: Asterisk's ChanSpyStop or the leg's Hangup, or the page's switch above
    # finding the leg already gone (when those events are still on their way through the journal on a busy box).
    assert session_row(desk, started["spy_id"]).end_reason in ("chanspy_stop", "supervisor_hangup", "gone")
    stopped = lead.api.post(f"/api/spy/{started['spy_id']}/stop")  # the page's stop after Asterisk's
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped", stopped.text
    assert [a for a, _, _ in audit_of(desk, started["spy_id"])] == ["spy_start", "spy_stop"]


def test_given_supervisor_answering_when_operator_leg_hangs_up_at_once_then_supervisor_not_left_in_silence(
        desk: Desk, lead: Lead, supervising: str) -> None:
    started = spy(lead, supervising, "whisper")
    spy_leg(desk, started["spy_id"])
    desk.env.ami({"Action": "Hangup", "Channel": started["operator_channel"]})  # ChanSpy may not have found it yet
    wait_until(lambda: desk.channel(started["spy_id"]) is None, "the supervisor's leg ended (ChanSpy's E or S option)")
    wait_until(lambda: session_row(desk, started["spy_id"]).state == "ended", "the session ended")


def test_given_live_session_when_web_app_restarts_then_page_switch_and_stop_still_reach_the_supervisor_leg(
        desk: Desk, lead: Lead, supervising: str) -> None:
    started = spy(lead, supervising, "listen")
    leg = spy_leg(desk, started["spy_id"])
    live(desk, started["spy_id"])
    desk.env.stack.web.stop()
    desk.env.stack.web.start()  # nothing of the session is left in any process's memory
    switched = lead.api.post(f"/api/spy/{started['spy_id']}/mode", json={"mode": "barge"})
    assert switched.status_code == 200 and switched.json()["mode"] == "barge", switched.text
    desk.ami.wait_for("DTMFEnd", Event="DTMFEnd", Channel=leg["Channel"], Digit="6", Direction="Received")
    stopped = lead.api.post(f"/api/spy/{started['spy_id']}/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped", stopped.text
    wait_until(lambda: desk.channel(started["spy_id"]) is None, "the supervisor's leg hung up by the restarted app")
    assert desk.together(supervising)  # the call goes on
    assert audit_of(desk, started["spy_id"]) == [("spy_start", "listen", None), ("spy_mode", "barge", "page"),
                                                 ("spy_stop", "barge", "stopped")]


def test_given_supervisor_hangs_up_while_web_app_down_when_it_restarts_then_session_ended_and_logged_once(
        desk: Desk, lead: Lead, supervising: str) -> None:
    started = spy(lead, supervising, "whisper")
    leg = spy_leg(desk, started["spy_id"])
    live(desk, started["spy_id"])
    desk.env.stack.web.stop()  # the leg's ChanSpyStop and Hangup now reach no process: they are lost
    try:
        desk.env.ami({"Action": "Hangup", "Channel": leg["Channel"]})
        wait_until(lambda: desk.channel(started["spy_id"]) is None, "the supervisor's leg gone")
        assert session_row(desk, started["spy_id"]).state == "spying"
    finally:
        desk.env.stack.web.start()
    wait_until(lambda: session_row(desk, started["spy_id"]).state == "ended", "ended by the resync at AMI connect")
    assert session_row(desk, started["spy_id"]).end_reason == "gone"
    assert audit_of(desk, started["spy_id"]) == [("spy_start", "whisper", None), ("spy_stop", "whisper", "gone")]
    switched = lead.api.post(f"/api/spy/{started['spy_id']}/mode", json={"mode": "listen"})
    assert switched.status_code == 409 and switched.json()["error_id"] == "spy_ended", switched.text
