"""Spy sessions from Asterisk's events, fed through the app's AMI consumer as the lease holder feeds them:
ChanSpyStart marks a session live, ChanSpyStop or the leg's Hangup ends it once, 4/5/6 keyed on the supervisor's
phone switch its mode, and the supervisor's recording is linked to the spied call."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import names
from app.ami.consumer import WANTED, EventConsumer
from app.db.models_recordings import AuditChainEntry, Recording
from app.services import spy
from recordings import naming
from tests.unit import test_spy_services
from tests.unit.test_spy_services import NOW, OPERATOR, SUPERVISOR, UNIQUEID, Bench

bench = test_spy_services.bench  # a migrated SQLite database, a supervisor 1901, a call answered by 1001
LATER = NOW + timedelta(seconds=30)


def feed(b: Bench, **event: str) -> None:
    EventConsumer(b.spying.sessions)._apply(event, LATER, False)


def started(b: Bench, mode: str = "listen") -> str:
    spy_id: str = b.run(spy.start(b.spying, b.lead, b.lead.user_id, UNIQUEID, mode))["spy_id"]
    return spy_id


def test_given_spy_events_then_the_consumer_takes_them_in() -> None:
    assert {"ChanSpyStart", "ChanSpyStop", "DTMFEnd", "Hangup", "MixMonitorStart"} <= WANTED


def test_given_ringing_session_when_chanspy_starts_then_spying_with_supervisor_channel(bench: Bench) -> None:
    spy_id = started(bench)
    feed(bench, Event="ChanSpyStart", SpyerChannel=SUPERVISOR, SpyerUniqueid=spy_id, SpyeeChannel=OPERATOR)
    row = bench.row(spy_id)
    assert (row.state, row.supervisor_channel) == ("spying", SUPERVISOR)


def test_given_operator_leaves_when_chanspy_stops_and_leg_hangs_up_then_ended_once_with_spy_stop(
        bench: Bench) -> None:
    spy_id = started(bench, "barge")
    feed(bench, Event="ChanSpyStart", SpyerChannel=SUPERVISOR, SpyerUniqueid=spy_id, SpyeeChannel=OPERATOR)
    feed(bench, Event="ChanSpyStop", SpyerChannel=SUPERVISOR, SpyerUniqueid=spy_id, SpyeeChannel=OPERATOR)
    feed(bench, Event="Hangup", Channel=SUPERVISOR, Uniqueid=spy_id, Cause="16")
    row = bench.row(spy_id)
    assert (row.state, row.end_reason, row.ended_at) == ("ended", "chanspy_stop", LATER)
    [stop] = [detail for action, _, detail in bench.log() if action == "spy_stop"]
    assert (stop["reason"], stop["operator"], stop["supervisor"], stop["spyee"]) == (
        "chanspy_stop", "1001", "1901", OPERATOR)


def test_given_page_stopped_when_hangup_and_chanspy_stop_arrive_then_no_second_spy_stop(bench: Bench) -> None:
    spy_id = started(bench)
    bench.run(spy.stop(bench.spying, bench.lead, spy_id))
    feed(bench, Event="ChanSpyStop", SpyerChannel=SUPERVISOR, SpyerUniqueid=spy_id, SpyeeChannel=OPERATOR)
    feed(bench, Event="Hangup", Channel=SUPERVISOR, Uniqueid=spy_id, Cause="16")
    assert [a for a, _, _ in bench.log()] == ["spy_start", "spy_stop"]
    assert bench.row(spy_id).end_reason == "stopped"


def test_given_supervisor_hangs_up_when_event_then_ended_and_page_stop_adds_nothing(bench: Bench) -> None:
    spy_id = started(bench)
    feed(bench, Event="Hangup", Channel=SUPERVISOR, Uniqueid=spy_id, Cause="16")
    assert bench.row(spy_id).end_reason == "supervisor_hangup"
    assert bench.run(spy.stop(bench.spying, bench.lead, spy_id))["status"] == "stopped"
    assert [a for a, _, _ in bench.log()] == ["spy_start", "spy_stop"]


def test_given_supervisor_keys_5_then_4_on_phone_when_dtmf_read_then_mode_follows_and_each_switch_logged(
        bench: Bench) -> None:
    spy_id = started(bench)
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="5", Direction="Received")
    assert bench.row(spy_id).mode == "whisper"
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="4", Direction="Received")
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="4", Direction="Received")
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="6", Direction="Sent")
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="1", Direction="Received")
    assert bench.row(spy_id).mode == "listen"
    with bench.spying.sessions() as s:
        entries = [(e.action, e.actor, e.detail["mode"], e.detail.get("from"), e.detail.get("by"))
                   for e in s.scalars(select(AuditChainEntry).order_by(AuditChainEntry.seq))]
    assert entries == [("spy_start", "sup1", "listen", None, None), ("spy_mode", "sup1", "whisper", "listen", "phone"),
                       ("spy_mode", "sup1", "listen", "whisper", "phone")]


def test_given_page_switch_when_its_digit_is_read_back_then_logged_once(bench: Bench) -> None:
    spy_id = started(bench)
    bench.run(spy.switch(bench.spying, bench.lead, spy_id, "barge"))
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="6", Direction="Received")
    assert [(a, d.get("by")) for a, _, d in bench.log()] == [("spy_start", None), ("spy_mode", "page")]


def test_given_other_channels_when_their_events_arrive_then_no_session_changes(bench: Bench) -> None:
    spy_id = started(bench)
    feed(bench, Event="DTMFEnd", Channel=OPERATOR, Uniqueid="u-op", Digit="6", Direction="Received")
    feed(bench, Event="Hangup", Channel=OPERATOR, Uniqueid="u-op", Cause="16")
    feed(bench, Event="ChanSpyStop", SpyerChannel="PJSIP/1902-1", SpyerUniqueid="1700.5", SpyeeChannel=OPERATOR)
    row = bench.row(spy_id)
    assert (row.state, row.mode) == ("ringing", "listen") and len(bench.log()) == 1


def test_given_supervision_recording_starts_when_mixmonitor_event_then_row_linked_to_spied_call(
        bench: Bench) -> None:
    spy_id = started(bench, "barge")
    path = naming.call_recording("/rec", spy_id, NOW, kind=naming.KIND_SUPERVISION)
    feed(bench, Event="MixMonitorStart", Channel=SUPERVISOR, Uniqueid=spy_id, Linkedid=spy_id,
         **{f"ChanVariable({names.MIXMONITOR_FILENAME})": path})
    feed(bench, Event="Hangup", Channel=SUPERVISOR, Uniqueid=spy_id, Cause="16")
    with bench.spying.sessions() as s:
        [rec] = s.scalars(select(Recording)).all()
    assert (rec.kind, rec.uniqueid, rec.linkedid, rec.state) == ("supervision", spy_id, UNIQUEID, "ended")


def test_given_live_session_when_its_leg_is_gone_at_resync_then_ended_however_young(bench: Bench) -> None:
    spy_id = started(bench)
    feed(bench, Event="ChanSpyStart", SpyerChannel=SUPERVISOR, SpyerUniqueid=spy_id, SpyeeChannel=OPERATOR)
    bench.ami.bridges.pop(SUPERVISOR)  # hung up while no event reached the app
    assert bench.run(spy.reconcile(bench.restarted())) == [spy_id]
    assert bench.row(spy_id).end_reason == "gone"


def test_given_page_switches_twice_when_both_digits_are_read_back_late_then_no_phone_switch_logged(
        bench: Bench) -> None:
    spy_id = started(bench)
    bench.run(spy.switch(bench.spying, bench.lead, spy_id, "whisper"))
    bench.run(spy.switch(bench.spying, bench.lead, spy_id, "listen"))
    for digit in "54":
        feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit=digit, Direction="Received")
    assert bench.row(spy_id).mode == "listen" and bench.row(spy_id).page_digits == ""
    assert [(a, d["mode"], d.get("by")) for a, _, d in bench.log()] == [
        ("spy_start", "listen", None), ("spy_mode", "whisper", "page"), ("spy_mode", "listen", "page")]


def test_given_page_digit_lost_when_supervisor_keys_another_then_phone_switch_counts_and_lost_digit_forgotten(
        bench: Bench) -> None:
    spy_id = started(bench)
    bench.run(spy.switch(bench.spying, bench.lead, spy_id, "barge"))  # its DTMFEnd never reaches the app
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="5", Direction="Received")
    feed(bench, Event="DTMFEnd", Channel=SUPERVISOR, Uniqueid=spy_id, Digit="6", Direction="Received")
    assert bench.row(spy_id).mode == "barge" and bench.row(spy_id).page_digits == ""
    assert [(d["mode"], d.get("by")) for a, _, d in bench.log() if a == "spy_mode"] == [
        ("barge", "page"), ("whisper", "phone"), ("barge", "phone")]
