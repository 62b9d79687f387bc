"""Call-backs from the console: ring the operator's own phone, then the citizen through the trunk; keep the result.

AMI Originate (Async) rings PJSIP/<extension>; when the operator picks up, the call-back context records the
call (MixMonitor, on the operator's leg) and dials the citizen. The outcome comes back as UserEvent TdCallback
with Dial's DIALSTATUS, or as the operator leg's Hangup when the operator never picked up. The operator then
records what happened (reached, no answer, busy, wrong number) and closes the request or keeps it open.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from app import names
from app.db.models import CallbackRequest, CallEvent
from app.services import cases, channels
from app.services.case_access import Who
from app.services.recording_links import attach_case
from app.services.transfer_errors import CallbackClosed, CallbackNotFound, NoCallbackNumber, NoVoiceMessage, PhoneBusy
from app.services.transfers import Desk, desk_extension, dial_number
from app.settings import Settings
from recordings import naming

# The operator leg's uniqueid (Originate ChannelId): "cb<request id>-<attempt>-<random>", so that its Hangup
# finds the request without any channel variable.
PREFIX = "cb"
CALLING = "calling"
RESULTS = ("reached", "no_answer", "busy", "wrong_number")
DIALSTATUS_RESULT = {"ANSWER": "answered", "BUSY": "busy", "NOANSWER": "no_answer", "CANCEL": "cancelled",
                     "CONGESTION": "failed", "CHANUNAVAIL": "failed"}
OPERATOR_NO_ANSWER = "operator_no_answer"
RING_OPERATOR_MS = 30_000


def to_out(r: CallbackRequest) -> dict[str, Any]:
    """CallbackOut: the list's fields plus the console's attempts and results."""
    return {"id": r.id, "uniqueid": r.uniqueid, "phone": r.phone, "reason": r.reason, "kind": r.kind,
            "voicemail_path": r.voicemail_path, "topic": r.topic, "status": r.status, "created_at": r.created_at,
            "attempts": r.attempts or 0, "last_result": r.last_result, "last_attempt_at": r.last_attempt_at,
            "handled_by": r.handled_by, "case_code": r.case_code}


def _get(session: Session, callback_id: int) -> CallbackRequest:
    request = session.get(CallbackRequest, callback_id)
    if request is None:
        raise CallbackNotFound(str(callback_id))
    return request


def recordings_dir(settings: Settings) -> str | None:
    """The recordings folder as Asterisk sees it (inside its root), or None when unknown."""
    return f"{settings.asterisk_instance_dir}/recordings" if settings.asterisk_instance_dir else None


async def call(desk: Desk, settings: Settings, who: Who, callback_id: int) -> dict[str, Any]:
    """Ring the operator's phone; once answered, Asterisk dials the citizen. Stored before Asterisk is asked."""
    def prepare() -> tuple[str, str]:
        with desk.sessions() as session:
            request = _get(session, callback_id)
            if request.status != "open":
                raise CallbackClosed(str(callback_id))
            number = dial_number(request.phone)
            if number is None:
                raise NoCallbackNumber(str(callback_id))
            return desk_extension(session, who, None), number

    extension, number = await asyncio.to_thread(prepare)
    snap = await channels.snapshot(desk.send)
    if any(channels.is_operator_leg(c, extension) for c in snap.channels):
        raise PhoneBusy(extension)

    def store() -> tuple[dict[str, Any], str, str | None]:
        with desk.sessions() as session:
            request = _get(session, callback_id)
            now = desk.clock()
            request.attempts = (request.attempts or 0) + 1
            request.last_attempt_at, request.last_result, request.handled_by = now, CALLING, who.actor[:64]
            leg = f"{PREFIX}{request.id}-{request.attempts}-{secrets.token_hex(3)}"
            folder = recordings_dir(settings)
            recording = naming.call_recording(folder, leg, now, kind="callback") if folder else None
            session.add(CallEvent(uniqueid=request.uniqueid, at=now, kind="callback_call",
                                  detail=f"#{request.id} {extension} -> {number} leg={leg}"[:256]))
            session.commit()
            return to_out(request), leg, recording

    out, leg, recording = await asyncio.to_thread(store)
    variables = f"{names.VAR_CALLBACK}={callback_id}"
    if recording:
        variables += f",{names.VAR_RECORDING}={recording}"
    try:
        await channels.act(desk.send, {
            "Action": "Originate", "Channel": f"PJSIP/{extension}", "Context": names.CTX_CALLBACK, "Exten": number,
            "Priority": "1", "Async": "true", "Timeout": str(RING_OPERATOR_MS), "ChannelId": leg,
            "CallerID": f'"Goi lai / Call back" <{number}>', "Variable": variables})
    except (channels.AmiUnavailable, channels.ActionRefused):
        await asyncio.to_thread(_set_result, desk, callback_id, "not_started")
        raise
    return {"callback": out, "status": CALLING}


def _set_result(desk: Desk, callback_id: int, result: str) -> None:
    with desk.sessions() as session:
        _get(session, callback_id).last_result = result
        session.commit()


async def record_result(desk: Desk, who: Who, callback_id: int, result: str, close: bool,
                        case_code: str | None) -> dict[str, Any]:
    """What the operator says happened; the request is closed or stays open for another try."""
    if result not in RESULTS:
        raise ValueError(f"unknown result {result!r}")

    def store() -> dict[str, Any]:
        with desk.sessions() as session:
            request = _get(session, callback_id)
            if request.status != "open":
                raise CallbackClosed(str(callback_id))
            if case_code:
                request.case_code = cases.find(session, case_code).code  # 404 for a mistyped code
                attach_case(session, cases.find(session, request.case_code))  # its call's and call-back's recordings
            request.last_result, request.handled_by = result, who.actor[:64]
            if close:
                request.status = "closed"
            session.add(CallEvent(uniqueid=request.uniqueid, at=desk.clock(), kind="callback_result",
                                  detail=f"#{request.id} {result}{' closed' if close else ''} by {who.actor}"[:256]))
            session.commit()
            return to_out(request)

    return await asyncio.to_thread(store)


def audio_file(session: Session, settings: Settings, callback_id: int) -> Path:
    """The voice message on this host; only files inside the instance's voicemail folder are ever served."""
    request = _get(session, callback_id)
    inside = request.voicemail_path
    if not inside or not settings.asterisk_instance_dir:
        raise NoVoiceMessage(str(callback_id))
    folder = PurePosixPath(settings.asterisk_instance_dir) / "recordings" / naming.VOICEMAIL_DIR
    root = Path(settings.asterisk_root or "/")
    host_folder = (root / str(folder).lstrip("/")).resolve()
    host = (root / inside.lstrip("/")).resolve()
    if not host.is_relative_to(host_folder) or host.suffix != ".wav" or not host.is_file():
        raise NoVoiceMessage(f"{callback_id}: {inside}")
    return host


def _request_of(raw: str, session: Session) -> CallbackRequest | None:
    return session.get(CallbackRequest, int(raw)) if raw.isdigit() else None


def apply_dial_result(session: Session, raw_id: str, dialstatus: str, now: datetime) -> None:
    """UserEvent TdCallback: Dial's status, unless the operator has already recorded the result."""
    request = _request_of(raw_id, session)
    if request is None or request.last_result != CALLING:
        return
    request.last_result = DIALSTATUS_RESULT.get(dialstatus, "failed")
    session.add(CallEvent(uniqueid=request.uniqueid, at=now, kind="callback_dial",
                          detail=f"#{request.id} {dialstatus or 'no dial'}"))
    session.commit()


def apply_hangup(session: Session, uniqueid: str, now: datetime) -> None:
    """The operator leg ended while the request still says calling: the operator never picked up."""
    if not uniqueid.startswith(PREFIX):
        return
    raw_id = uniqueid[len(PREFIX):].split("-", 1)[0]
    request = _request_of(raw_id, session)
    if request is None or request.last_result != CALLING:
        return
    request.last_result = OPERATOR_NO_ANSWER
    session.add(CallEvent(uniqueid=request.uniqueid, at=now, kind="callback_dial", detail=f"#{request.id} "
                          f"{OPERATOR_NO_ANSWER}"))
    session.commit()
