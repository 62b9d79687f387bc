"""Shared steps of the real-call tests: callers, operators, queue state seen through AMI."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from app.db.models import Call, CallEvent
from tests.e2e.conftest import Env
from tests.support.sipp import PHONE_IP, SippRun, register_scenario
from tests.support.waiting import wait_until


def new_caller() -> str:
    return "09" + "".join(random.choices("0123456789", k=8))


def call_of(env: Env, caller: str) -> Call | None:
    with env.sessions() as session:
        return session.scalar(select(Call).where(Call.caller_number == caller).order_by(Call.id.desc()))


def ended_call(env: Env, caller: str, timeout: float = 60) -> Call:
    return wait_until(lambda: (c := call_of(env, caller)) and c.ended_at and c, f"call from {caller} ended",
                      timeout=timeout)


def events_of(env: Env, uniqueid: str) -> list[CallEvent]:
    with env.sessions() as session:
        return list(session.scalars(select(CallEvent).where(CallEvent.uniqueid == uniqueid).order_by(CallEvent.id)))


def queue_entries(env: Env, queue: str) -> list[dict[str, Any]]:
    """Callers waiting in a queue, as app_queue reports them over AMI (QueueStatus)."""
    response = env.ami({"Action": "QueueStatus", "Queue": queue})
    items = response if isinstance(response, list) else [response]
    return [dict(m) for m in items if m.get("Event") == "QueueEntry"]


def queue_members(env: Env, queue: str) -> list[dict[str, Any]]:
    response = env.ami({"Action": "QueueStatus", "Queue": queue})
    items = response if isinstance(response, list) else [response]
    return [dict(m) for m in items if m.get("Event") == "QueueMember"]


def waiting_in(env: Env, queue: str, caller: str, timeout: float = 60) -> dict[str, Any]:
    return wait_until(lambda: next((e for e in queue_entries(env, queue) if e.get("CallerIDNum") == caller), None),
                      f"{caller} waiting in {queue}", timeout=timeout)


class OperatorPhone:
    """A softphone that registers with its generated password, then answers calls (SIPp UAS)."""

    def __init__(self, env: Env, extension: str, port: int) -> None:
        self.env, self.extension, self.port = env, extension, port
        self.uas: SippRun | None = None

    def register(self) -> OperatorPhone:
        secret = self.env.stack.secrets["operators"][self.extension]
        run = self.env.sipp.scenario(register_scenario(self.extension, secret, "200"), [], ip=PHONE_IP,
                                     port=self.port)
        assert run.wait() == 0, run.output()
        return self

    def answer(self, calls: int = 1, timeout_s: int = 90) -> SippRun:
        self.uas = self.env.sipp.answer(PHONE_IP, self.port, calls=calls, timeout_s=timeout_s)
        return self.uas

    def api(self, action: str, **body: Any) -> dict[str, Any]:
        response = self.env.api.post(f"/api/operators/{self.extension}/{action}", json=body or None)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def skills(self, skills: dict[str, int]) -> None:
        response = self.env.api.put(f"/api/operators/{self.extension}/skills", json={"skills": skills})
        assert response.status_code == 200, response.text

    def stop(self) -> None:
        if self.uas is not None:
            self.uas.stop()
        self.api("logout")
