"""bench/calls' counting: a caller is served only when an operator answered that caller's own call."""

from __future__ import annotations

from bench.calls import caller_numbers
from bench.served import Tracker, parse_events, percentile


def event(name: str, uid: str, at: float, **fields: str) -> dict[str, str]:
    return {"Event": name, "Uniqueid": uid, "Linkedid": fields.pop("Linkedid", uid), "Timestamp": str(at), **fields}


def served_call(tracker: Tracker, number: str, uid: str, t0: float) -> None:
    tracker.feed(event("Newchannel", uid, t0, CallerIDNum=number))
    tracker.feed(event("QueueCallerJoin", uid, t0 + 4, Queue="q-general"))
    tracker.feed(event("AgentConnect", uid, t0 + 5, MemberName="3001"))
    tracker.feed(event("Hangup", uid, t0 + 40))


def test_given_agent_connect_on_the_callers_channel_when_folded_then_the_caller_is_served_with_times() -> None:
    tracker = Tracker(["0910000001"])
    served_call(tracker, "0910000001", "1.1", 100.0)
    [caller] = tracker.served
    assert caller.operator == "3001"
    assert tracker.to_operator_s() == [5.0]
    assert tracker.in_ivr_s() == [4.0]
    assert not tracker.unserved()


def test_given_an_operator_leg_carrying_the_callers_number_when_folded_then_it_is_not_taken_for_the_caller() -> None:
    tracker = Tracker(["0910000001"])
    # The operator's leg shows the caller's number but belongs to the caller's call (its linkedid).
    tracker.feed(event("Newchannel", "1.2", 100.0, CallerIDNum="0910000001", Linkedid="1.1"))
    tracker.feed(event("AgentConnect", "1.2", 101.0, MemberName="3001"))
    assert tracker.served == []
    assert tracker.unserved() == {"never reached Asterisk (SIP failure)": 1}


def test_given_another_callers_answer_when_folded_then_it_does_not_serve_this_caller() -> None:
    tracker = Tracker(["0910000001", "0910000002"])
    served_call(tracker, "0910000001", "1.1", 100.0)
    tracker.feed(event("Newchannel", "1.3", 100.0, CallerIDNum="0910000002"))
    tracker.feed(event("QueueCallerJoin", "1.3", 104.0, Queue="q-general"))
    tracker.feed(event("AgentConnect", "1.1", 106.0, MemberName="3002"))  # a second connect of the first caller
    tracker.feed(event("QueueCallerAbandon", "1.3", 130.0, Queue="q-general"))
    tracker.feed(event("Hangup", "1.3", 130.0))
    assert [c.number for c in tracker.served] == ["0910000001"]
    assert tracker.unserved() == {"abandoned in queue q-general": 1}


def test_given_unserved_callers_when_grouped_then_each_says_where_it_ended() -> None:
    tracker = Tracker(["a", "b", "c", "d", "e"])
    tracker.feed(event("Newchannel", "2.1", 1.0, CallerIDNum="a"))
    tracker.feed(event("Hangup", "2.1", 9.0))
    tracker.feed(event("Newchannel", "2.2", 1.0, CallerIDNum="b"))
    tracker.feed(event("QueueCallerJoin", "2.2", 2.0, Queue="q-legal"))
    tracker.feed(event("QueueCallerLeave", "2.2", 9.0, Queue="q-legal"))
    tracker.feed(event("Newchannel", "2.3", 1.0, CallerIDNum="c"))
    tracker.feed(event("Newchannel", "2.4", 1.0, CallerIDNum="d"))
    tracker.feed(event("QueueCallerJoin", "2.4", 2.0, Queue="q-general"))
    assert tracker.unserved() == {
        "hung up in the IVR": 1, "left queue q-legal unanswered": 1, "still in the IVR": 1,
        "still waiting in queue q-general": 1, "never reached Asterisk (SIP failure)": 1}


def test_given_a_caller_who_overflowed_when_answered_in_the_second_queue_then_served_and_ivr_time_is_the_first_join(
) -> None:
    tracker = Tracker(["a"])
    tracker.feed(event("Newchannel", "3.1", 0.0, CallerIDNum="a"))
    tracker.feed(event("QueueCallerJoin", "3.1", 3.0, Queue="q-legal"))
    tracker.feed(event("QueueCallerLeave", "3.1", 20.0, Queue="q-legal"))
    tracker.feed(event("QueueCallerJoin", "3.1", 21.0, Queue="q-general"))
    tracker.feed(event("AgentConnect", "3.1", 22.0, MemberName="3001"))
    assert tracker.in_ivr_s() == [3.0]
    assert tracker.to_operator_s() == [22.0]
    assert len(tracker.served) == 1


def test_given_ami_text_split_in_blocks_when_parsed_then_one_dict_per_event() -> None:
    text = "Event: Newchannel\r\nUniqueid: 1.1\r\nTimestamp: 5.5\r\n\r\nEvent: Hangup\r\nUniqueid: 1.1\r\n\r\n"
    assert parse_events(text) == [{"Event": "Newchannel", "Uniqueid": "1.1", "Timestamp": "5.5"},
                                  {"Event": "Hangup", "Uniqueid": "1.1"}]


def test_given_values_when_percentiles_taken_then_nearest_rank_and_zero_for_none() -> None:
    assert percentile([], 0.99) == 0.0
    assert percentile([float(v) for v in range(1, 101)], 0.5) == 51.0
    assert percentile([float(v) for v in range(1, 101)], 0.99) == 100.0


def test_given_two_phases_and_routes_when_numbering_callers_then_every_number_is_distinct() -> None:
    numbers = [n for digit in (1, 2) for route in range(5) for n in caller_numbers(digit, route, 200)]
    assert len(numbers) == len(set(numbers)) == 2000
