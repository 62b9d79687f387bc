"""Transfers and call-backs on a migrated SQLite database, with a fake Asterisk moving channels like the real one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import names
from app.db.models import Call, CallbackRequest, CallEvent, Case
from app.db.models_auth import User
from app.db.models_cases import Agency, CaseEventRecord
from app.db.models_console import ConsoleEvent, Transfer
from app.domain.transfer import AgencyNotAnswered, Stimulus, TransferEnded
from app.services import callbacks, cases, operators, transfer_events, transfer_watch, transfers
from app.services.channels import AmiUnavailable, Channel, Snapshot
from app.services.transfer_errors import AgencyHasNoPhone, NotYourCall, NotYourTransfer, TransferInProgress
from app.services.transfers import Desk
from app.settings import Settings
from tests.support.case_data import WED_0900, World, build_world, new_case

CALLER, OPERATOR, LOCAL1, LOCAL2, AGENCY = ("PJSIP/td-trunk-00000001", "PJSIP/1001-00000002",
                                            "Local/02353812345@td-transfer-00000000;1",
                                            "Local/02353812345@td-transfer-00000000;2", "PJSIP/td-trunk-00000003")
UNIQUEID = "tongdai-1.1"


@dataclass(frozen=True)
class Person:
    role: str
    actor: str
    user_id: int | None = None


class FakeAsterisk:
    """CoreShowChannels from a dict of channel -> bridge; actions move channels as bridge_basic.c does."""

    def __init__(self) -> None:
        self.bridges: dict[str, str] = {CALLER: "b-call", OPERATOR: "b-call"}
        self.actions: list[dict[str, str]] = []
        self.down = False
        self.on: dict[str, Callable[[dict[str, str]], None]] = {
            "Atxfer": lambda a: self.bridges.update({OPERATOR: "b-xfer", LOCAL1: "b-xfer"}),
            "Hangup": lambda a: (self.bridges.pop(a["Channel"], None), self.bridges.update({LOCAL1: "b-call"})),
            "CancelAtxfer": lambda a: ([self.bridges.pop(c, None) for c in (LOCAL1, LOCAL2, AGENCY)],
                                       self.bridges.update({OPERATOR: "b-call"})),
        }

    def answer(self) -> None:
        self.bridges.update({LOCAL2: "b-dial", AGENCY: "b-dial"})

    async def send(self, action: dict[str, str]) -> Any:
        if self.down:
            raise ConnectionError("AMI is not connected")
        if action["Action"] == "CoreShowChannels":
            return [{"Event": "CoreShowChannel", "Channel": c, "BridgeId": b, "ChannelStateDesc": "Up",
                     "Uniqueid": UNIQUEID if c == CALLER else f"u-{c}", "Context": ""} for c, b in self.bridges.items()]
        self.actions.append(action)
        if action["Action"] in self.on:
            self.on[action["Action"]](action)
        return {"Response": "Success"}


@dataclass
class Bench:
    world: World
    ami: FakeAsterisk
    desk: Desk
    operator: Person
    agency_id: int
    case_code: str
    now: list[datetime] = field(default_factory=lambda: [WED_0900])

    def run(self, coro: Any) -> Any:
        return asyncio.run(coro)

    def transfer(self, transfer_id: int) -> Transfer:
        with self.world.sessions() as s:
            t = s.get(Transfer, transfer_id)
            assert t is not None
            return t

    def event(self, **event: str) -> list[ConsoleEvent]:
        with self.world.sessions() as s:
            rows = transfer_events.apply_ami_event(s, event, self.now[0])
            s.commit()
            return rows

    def case_events(self) -> list[CaseEventRecord]:
        with self.world.sessions() as s:
            case = s.scalar(select(Case).where(Case.code == self.case_code))
            assert case is not None
            return list(s.scalars(select(CaseEventRecord).where(CaseEventRecord.case_id == case.id)
                                  .order_by(CaseEventRecord.seq)))


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    world = build_world(f"sqlite:///{tmp_path / 'x.db'}")
    with world.sessions() as s:
        operators.ensure_operators(s, ["1001", "1002"])
        user = User(username="op1", display_name="Op 1", role="operator", extension="1001", password_hash="x",
                    created_at=WED_0900)
        s.add(user)
        s.add(Call(uniqueid=UNIQUEID, channel=CALLER, caller_number="0905999000", operator="1001"))
        agency = s.get(Agency, world.agency_id)
        assert agency is not None
        agency.phone = "0235.3812 345"
        s.commit()
        person = Person("operator", "op1", user.id)
        case = cases.create_case(s, new_case(call_uniqueid=UNIQUEID), who=person, now=WED_0900)
        code = case.code
    ami = FakeAsterisk()
    b = Bench(world, ami, Desk(world.sessions, ami.send), person, world.agency_id, code)
    b.desk.clock = lambda: b.now[0]
    return b


def start(b: Bench) -> dict[str, Any]:
    out: dict[str, Any] = b.run(transfers.start_warm(b.desk, b.operator, UNIQUEID, b.agency_id, b.case_code))
    return out


def test_given_ring_time_when_warm_transfer_starts_then_agency_leg_inherits_it(bench: Bench) -> None:
    bench.desk.ring_s = 7
    start(bench)
    assert {"Action": "Setvar", "Channel": OPERATOR, "Variable": "__TD_TRANSFER_RING", "Value": "7"} \
        in bench.ami.actions


def test_given_answered_call_when_warm_transfer_starts_then_row_first_then_setvar_and_atxfer(bench: Bench) -> None:
    out = start(bench)
    assert (out["state"], out["kind"], out["extension"], out["target_number"]) == ("dialing", "attended", "1001",
                                                                                  "02353812345")
    setvar, atxfer = bench.ami.actions
    assert setvar == {"Action": "Setvar", "Channel": OPERATOR, "Variable": "__TD_TRANSFER", "Value": str(out["id"])}
    assert atxfer == {"Action": "Atxfer", "Channel": OPERATOR, "Exten": "02353812345",
                      "Context": names.CTX_TRANSFER}
    t = bench.transfer(out["id"])
    assert (t.caller_channel, t.operator_channel) == (CALLER, OPERATOR)
    notes = [e for e in bench.case_events() if e.action == "note_transfer"]
    assert notes and notes[0].data["state"] == "dialing" and notes[0].to_status == "received"


def test_given_agency_answers_when_operator_completes_then_completed_and_case_noted(bench: Bench) -> None:
    out = start(bench)
    rows = bench.event(Event="UserEvent", UserEvent=names.USEREVENT_TRANSFER, Id=str(out["id"]), Status="ANSWER",
                       Channel=AGENCY)
    assert rows and rows[0].kind == "transfer" and rows[0].payload["state"] == "consulting"
    bench.ami.answer()
    done = bench.run(transfers.complete(bench.desk, bench.operator, out["id"]))
    assert (done["state"], done["outcome"]) == ("completed", "completed")
    assert bench.ami.actions[-1] == {"Action": "Hangup", "Channel": OPERATOR}
    # Asterisk's AttendedTransfer that follows changes nothing more
    assert bench.event(Event="AttendedTransfer", Result="Success", OrigTransfererChannel=OPERATOR) == []
    last = bench.case_events()[-1]
    assert (last.action, last.data["outcome"], last.to_status) == ("note_transfer", "completed", "received")
    with bench.world.sessions() as s:
        kinds = [e.kind for e in s.scalars(select(CallEvent).where(CallEvent.uniqueid == UNIQUEID))]
    assert kinds.count("transfer") == 2


def test_given_dialing_when_operator_asks_to_complete_then_409_and_nothing_sent(bench: Bench) -> None:
    out = start(bench)
    sent = len(bench.ami.actions)
    with pytest.raises(AgencyNotAnswered):
        bench.run(transfers.complete(bench.desk, bench.operator, out["id"]))
    assert len(bench.ami.actions) == sent


@pytest.mark.parametrize(("status", "outcome"), [("BUSY", "busy"), ("NOANSWER", "no_answer")])
def test_given_dialing_when_agency_busy_or_silent_then_failed_and_console_told(bench: Bench, status: str,
                                                                               outcome: str) -> None:
    out = start(bench)
    rows = bench.event(Event="UserEvent", UserEvent=names.USEREVENT_TRANSFER, Id=str(out["id"]), Status=status)
    assert rows[0].extension == "1001" and rows[0].payload["outcome"] == outcome
    assert bench.transfer(out["id"]).state == "failed"
    assert bench.case_events()[-1].data["outcome"] == outcome


def test_given_consulting_when_operator_cancels_then_cancelled_and_operator_back(bench: Bench) -> None:
    out = start(bench)
    bench.event(Event="UserEvent", UserEvent=names.USEREVENT_TRANSFER, Id=str(out["id"]), Status="ANSWER",
                Channel=AGENCY)
    bench.ami.answer()
    done = bench.run(transfers.cancel(bench.desk, bench.operator, out["id"]))
    assert (done["state"], done["outcome"]) == ("cancelled", "cancelled")
    assert bench.ami.actions[-1] == {"Action": "CancelAtxfer", "Channel": OPERATOR}
    with pytest.raises(TransferEnded):
        bench.run(transfers.cancel(bench.desk, bench.operator, out["id"]))


def test_given_events_lost_when_app_restarted_then_get_reads_answer_from_channels(bench: Bench) -> None:
    out = start(bench)
    bench.ami.answer()  # the ANSWER UserEvent arrived while no process consumed AMI
    bench.ami.bridges[LOCAL2] = "b-dial"
    seen = bench.run(transfers.show(bench.desk, bench.operator, out["id"]))
    assert seen["state"] == "consulting"


def test_given_operator_back_with_caller_long_after_start_when_get_then_failed(bench: Bench) -> None:
    out = start(bench)
    bench.ami.bridges.update({OPERATOR: "b-call"})
    bench.ami.bridges.pop(LOCAL1)
    assert bench.run(transfers.show(bench.desk, bench.operator, out["id"]))["state"] == "dialing"  # still settling
    bench.now[0] += timedelta(seconds=10)
    assert bench.run(transfers.show(bench.desk, bench.operator, out["id"]))["state"] == "failed"


def test_given_ami_down_when_starting_then_503_and_no_transfer(bench: Bench) -> None:
    bench.ami.down = True
    with pytest.raises(AmiUnavailable) as caught:
        start(bench)
    assert caught.value.status_code == 503
    with bench.world.sessions() as s:
        assert s.scalars(select(Transfer)).first() is None


def test_given_ami_down_when_cancelling_then_503_and_request_withdrawn(bench: Bench) -> None:
    out = start(bench)
    bench.event(Event="UserEvent", UserEvent=names.USEREVENT_TRANSFER, Id=str(out["id"]), Status="ANSWER")
    real = bench.ami.send

    async def dies_on_cancel(action: dict[str, str]) -> Any:
        if action["Action"] == "CancelAtxfer":
            raise ConnectionError("gone")
        return await real(action)

    bench.desk.send = dies_on_cancel
    with pytest.raises(AmiUnavailable):
        bench.run(transfers.cancel(bench.desk, bench.operator, out["id"]))
    t = bench.transfer(out["id"])
    assert t.state == "consulting" and [h["stimulus"] for h in t.history][-2:] == ["request_cancel",
                                                                                  "request_failed"]


def test_given_call_not_with_my_phone_when_transfer_then_409(bench: Bench) -> None:
    bench.ami.bridges[OPERATOR] = "b-other"
    with pytest.raises(NotYourCall) as caught:
        start(bench)
    assert "Nhấc máy" in caught.value.message_vi


def test_given_agency_without_phone_when_transfer_then_422(bench: Bench) -> None:
    with bench.world.sessions() as s:
        agency = s.get(Agency, bench.agency_id)
        assert agency is not None
        agency.phone = None
        s.commit()
    with pytest.raises(AgencyHasNoPhone):
        start(bench)


def test_given_transfer_under_way_when_another_starts_then_409(bench: Bench) -> None:
    start(bench)
    with pytest.raises(TransferInProgress):
        start(bench)


def test_given_other_operator_when_reading_transfer_then_403(bench: Bench) -> None:
    out = start(bench)
    with bench.world.sessions() as s:
        other = User(username="op2", display_name="Op 2", role="operator", extension="1002", password_hash="x",
                     created_at=WED_0900)
        s.add(other)
        s.commit()
        other_id = other.id
    with pytest.raises(NotYourTransfer):
        bench.run(transfers.show(bench.desk, Person("operator", "op2", other_id), out["id"]))
    lead = bench.run(transfers.show(bench.desk, Person("supervisor", "sup"), out["id"]))
    assert lead["id"] == out["id"]


def test_given_caller_hangs_up_while_consulting_then_failed(bench: Bench) -> None:
    out = start(bench)
    bench.event(Event="UserEvent", UserEvent=names.USEREVENT_TRANSFER, Id=str(out["id"]), Status="ANSWER")
    bench.event(Event="Hangup", Channel=CALLER, Uniqueid=UNIQUEID)
    t = bench.transfer(out["id"])
    assert (t.state, t.detail) == ("failed", "caller_hung_up")


def test_given_emergency_when_blind_transfer_then_redirect_and_case_referred(bench: Bench) -> None:
    out = bench.run(transfers.start_blind(bench.desk, bench.operator, UNIQUEID, "114", bench.case_code))
    assert (out["kind"], out["state"], out["target_number"]) == ("blind", "completed", "114")
    setvar, redirect = bench.ami.actions
    assert setvar == {"Action": "Setvar", "Channel": CALLER, "Variable": names.VAR_EMERGENCY, "Value": "114"}
    assert redirect["Action"] == "Redirect" and redirect["Context"] == names.CTX_EMERGENCY
    assert bench.case_events()[-1].action == "refer_emergency"
    with bench.world.sessions() as s:
        call = s.scalar(select(Call).where(Call.uniqueid == UNIQUEID))
        assert call is not None and call.outcome == "emergency_114"


def test_given_callback_dial_status_then_result_kept_until_operator_records_own(bench: Bench) -> None:
    with bench.world.sessions() as s:
        request = CallbackRequest(uniqueid="u9", phone="0905000111", reason="queue_timeout", kind="callback",
                                  status="open", created_at=WED_0900, last_result=callbacks.CALLING)
        s.add(request)
        s.commit()
        rid = request.id
    bench.event(Event="UserEvent", UserEvent=names.USEREVENT_CALLBACK, Id=str(rid), Status="BUSY")
    out = bench.run(callbacks.record_result(bench.desk, bench.operator, rid, "reached", True, bench.case_code))
    assert (out["last_result"], out["status"], out["case_code"]) == ("reached", "closed", bench.case_code)
    with bench.world.sessions() as s:
        kinds = [e.kind for e in s.scalars(select(CallEvent).where(CallEvent.uniqueid == "u9"))]
    assert kinds == ["callback_dial", "callback_result"]


def test_given_operator_never_answers_callback_then_operator_no_answer(bench: Bench) -> None:
    with bench.world.sessions() as s:
        request = CallbackRequest(uniqueid="u8", phone="0905000111", reason="queue_timeout", kind="callback",
                                  status="open", created_at=WED_0900, last_result=callbacks.CALLING)
        s.add(request)
        s.commit()
        rid = request.id
    bench.event(Event="Hangup", Channel="PJSIP/1001-0000000a", Uniqueid=f"cb{rid}-1-abcdef")
    with bench.world.sessions() as s:
        got = s.get(CallbackRequest, rid)
        assert got is not None and got.last_result == callbacks.OPERATOR_NO_ANSWER


def test_given_voicemail_path_outside_folder_then_not_served(bench: Bench, tmp_path: Path) -> None:
    settings = Settings(asterisk_root=str(tmp_path), asterisk_instance_dir="/srv/td")
    folder = tmp_path / "srv/td/recordings/voicemail"
    folder.mkdir(parents=True)
    (folder / "m1.wav").write_bytes(b"RIFF")
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    with bench.world.sessions() as s:
        good = CallbackRequest(uniqueid="v1", phone="1", reason="out_of_hours", kind="voicemail", status="open",
                               created_at=WED_0900, voicemail_path="/srv/td/recordings/voicemail/m1.wav")
        bad = CallbackRequest(uniqueid="v2", phone="1", reason="out_of_hours", kind="voicemail", status="open",
                              created_at=WED_0900, voicemail_path="/srv/td/recordings/voicemail/../../../secret.wav")
        s.add_all([good, bad])
        s.commit()
        assert callbacks.audio_file(s, settings, good.id) == (folder / "m1.wav").resolve()
        with pytest.raises(callbacks.NoVoiceMessage):
            callbacks.audio_file(s, settings, bad.id)


def test_given_directory_numbers_then_trunk_digits() -> None:
    assert transfers.dial_number("0235.3812 345") == "02353812345"
    assert transfers.dial_number("+84 235 3812345") == "00842353812345"
    assert transfers.dial_number("") is None and transfers.dial_number("12") is None


def test_given_sla_warning_sent_when_a_transfer_note_follows_then_warning_not_resent() -> None:
    from app.domain import sla
    from app.domain.workflow import CaseEvent, Status

    at = datetime(2026, 12, 2, 2, tzinfo=UTC)
    history = [CaseEvent(at, "x", "warn_head", Status.ESCALATED_TO_HEAD, Status.ESCALATED_TO_HEAD),
               CaseEvent(at, "x", "note_transfer", Status.ESCALATED_TO_HEAD, Status.ESCALATED_TO_HEAD,
                         data={"number": "1"})]
    assert sla._warned_since_last_change(history) == {"warn_head"}


def _snap(*chans: tuple[str, str, str]) -> Snapshot:
    return Snapshot(tuple(Channel(name, UNIQUEID if name == CALLER else f"u-{name}", bridge, state, "")
                          for name, bridge, state in chans))


def test_given_operator_gone_when_agency_still_rings_with_the_caller_then_not_yet_completed() -> None:
    t = Transfer(kind="attended", state="dialing", call_uniqueid=UNIQUEID, caller_channel=CALLER,
                 operator_channel=OPERATOR, created_at=WED_0900)
    ringing = _snap((CALLER, "b-call", "Up"), (LOCAL1, "b-call", "Ringing"))
    assert transfer_watch.observed(t, ringing, WED_0900) is None
    answered = _snap((CALLER, "b-call", "Up"), (LOCAL1, "b-call", "Up"))
    assert transfer_watch.observed(t, answered, WED_0900) == Stimulus.COMPLETED
    assert transfer_watch.observed(t, _snap(), WED_0900) == Stimulus.CALLER_HUNG_UP
