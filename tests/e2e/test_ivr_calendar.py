"""Real calls on a public holiday and on a make-up Saturday: the IVR opens and closes by the stored working calendar.

The AGI server is started with the test-only TD_TEST_CLOCK_AT, so "now" is that day at 09:00 for its open/closed
decision. The administrator's edit in the middle of each test reaches the running AGI server without a restart.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest

from app import names
from tests.e2e.conftest import Env
from tests.e2e.helpers import ended_call, events_of, new_caller
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk

OFFICE = "mon-fri 07:00-11:30,13:30-17:00"
CACHE_S = 1.0
NATIONAL_DAY = "2027-09-02"  # a Thursday; a public holiday seeded from the holidays package
MAKE_UP_SATURDAY = "2027-01-09"
CALENDAR = "/api/admin/calendar"


@contextlib.contextmanager
def office_hours_on(env: Env, day: str) -> Iterator[None]:
    """Weekday office hours in the calendar, and the AGI server's clock at 09:00 on `day`, for one test."""
    before = env.api.get(f"{CALENDAR}/weekly").json()["spec"]
    assert env.api.put(f"{CALENDAR}/weekly", json={"spec": OFFICE}).status_code == 200
    restored = False
    try:
        with env.agi_settings(test_clock_at=f"{day}T09:00:00+07:00", calendar_cache_s=CACHE_S):
            try:
                yield
            finally:
                # Restored before the AGI server restarts with its usual settings, so it starts on the usual calendar.
                restored = env.api.put(f"{CALENDAR}/weekly", json={"spec": before}).status_code == 200
    finally:
        if not restored:
            env.api.put(f"{CALENDAR}/weekly", json={"spec": before})


def _call_and_first_menu(env: Env) -> tuple[str, str | None]:
    """A real call that keys 0: returns the menu node the key was pressed in, and the queue the call reached.

    0 is keyed three times, 1.2 s apart: a key that arrives before the first prompt starts is not heard, and
    a second one changes nothing (0 is the general queue in the main menu, a wrong key out of hours).
    """
    caller = new_caller()
    run = env.sipp.call("1022", caller, dtmf="0 0 0", hold_ms=8000)
    assert run.wait(90) == 0, run.output()
    call = ended_call(env, caller)
    choices = wait_until(lambda: [e.detail for e in events_of(env, call.uniqueid) if e.kind == "ivr_choice"],
                         f"the IVR choices of {caller}")
    return choices[0].split("=")[0], call.queue


def _let_the_agi_reread_the_calendar() -> None:
    # Not an assertion on time: the AGI server rereads the calendar every CACHE_S; this only lets that pass.
    time.sleep(CACHE_S * 2.5)


def test_given_a_public_holiday_when_called_then_out_of_hours_menu_until_an_admin_opens_the_day(env: Env) -> None:
    with office_hours_on(env, NATIONAL_DAY):
        try:
            assert _call_and_first_menu(env) == ("out_of_hours", None)
            assert env.api.delete(f"{CALENDAR}/holidays/{NATIONAL_DAY}").status_code == 204
            _let_the_agi_reread_the_calendar()
            assert _call_and_first_menu(env) == ("main", names.QUEUE_GENERAL)
        finally:
            env.api.post(f"{CALENDAR}/holidays", json={"day": NATIONAL_DAY, "name": "Quốc khánh"})


def test_given_a_make_up_saturday_when_called_then_normal_menu_once_an_admin_adds_the_day(env: Env) -> None:
    with office_hours_on(env, MAKE_UP_SATURDAY):
        try:
            assert _call_and_first_menu(env) == ("out_of_hours", None)
            response = env.api.post(f"{CALENDAR}/extra-working-days",
                                    json={"day": MAKE_UP_SATURDAY, "windows": "07:00-11:30,13:30-17:00",
                                          "reason": "Làm bù cho nghỉ Tết"})
            assert response.status_code == 201, response.text
            _let_the_agi_reread_the_calendar()
            assert _call_and_first_menu(env) == ("main", names.QUEUE_GENERAL)
        finally:
            env.api.delete(f"{CALENDAR}/extra-working-days/{MAKE_UP_SATURDAY}")
