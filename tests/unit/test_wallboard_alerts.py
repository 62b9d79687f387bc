"""Alert rules on a real (SQLite) database: nobody logged in during working hours, SLA breaches today, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import app.web.wallboard.strings  # noqa: F401  (registers the page's texts)
from app import names
from app.db.models import Alert, Case
from app.db.models_cases import CaseEventRecord
from app.domain.wallboard import LiveQueue
from app.services import operators, wallboard_alerts
from app.services.wallboard import STORED_ALERTS, alert_out
from app.services.wallboard_live import Live
from app.web.common import i18n
from tests.support.case_data import World, build_world

WEDNESDAY_10H = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, a working Wednesday (24th is a holiday)
SUNDAY_10H = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _world(tmp_path: Path) -> World:
    w = build_world(f"sqlite:///{tmp_path / 'alerts.db'}")
    with w.sessions() as s:
        operators.ensure_operators(s, ["1001"])
        case = Case(code="QN-0001", status="overdue", created_at=WEDNESDAY_10H - timedelta(days=20))
        s.add(case)
        s.flush()
        s.add(CaseEventRecord(case_id=case.id, seq=1, at=WEDNESDAY_10H - timedelta(hours=2), actor="sla",
                              action="mark_overdue", from_status="forwarded_to_focal_point", to_status="overdue",
                              data={}))
        s.commit()
    return w


def test_given_working_hours_nobody_logged_in_and_a_breach_when_checked_twice_then_stored_once(
        tmp_path: Path) -> None:
    w = _world(tmp_path)
    live = Live(ok=True, queues={"q-general": LiveQueue("q-general", 1, 10)})
    with w.sessions() as s:
        found = wallboard_alerts.drafts(s, live, 60, WEDNESDAY_10H)
        assert sorted(d.kind for d in found) == ["nobody_logged_in", "sla_breach"]
        assert len(wallboard_alerts.store_new(s, found, WEDNESDAY_10H)) == 2
        again = wallboard_alerts.drafts(s, live, 60, WEDNESDAY_10H + timedelta(minutes=1))
        assert wallboard_alerts.store_new(s, again, WEDNESDAY_10H + timedelta(minutes=1)) == []
        assert len(s.scalars(select(Alert)).all()) == 2


def test_given_sunday_or_someone_logged_in_when_checked_then_no_nobody_alert(tmp_path: Path) -> None:
    w = _world(tmp_path)
    with w.sessions() as s:
        assert "nobody_logged_in" not in {d.kind for d in wallboard_alerts.drafts(s, Live(ok=True), 60, SUNDAY_10H)}
        operators.set_state(s, "1001", WEDNESDAY_10H, logged_in=True)
        assert "nobody_logged_in" not in {d.kind for d in wallboard_alerts.drafts(s, Live(ok=True), 60, WEDNESDAY_10H)}


def test_given_ami_down_when_checked_then_no_queue_wait_alert_from_stale_figures(tmp_path: Path) -> None:
    w = _world(tmp_path)
    with w.sessions() as s:
        stale = Live(ok=False, queues={"q-general": LiveQueue("q-general", 3, 999)})
        assert "queue_wait" not in {d.kind for d in wallboard_alerts.drafts(s, stale, 60, WEDNESDAY_10H)}


def test_given_a_queue_wait_alert_before_local_midnight_when_checked_after_it_then_the_day_is_the_settings_zone(
        tmp_path: Path) -> None:
    w = _world(tmp_path)
    late = datetime(2026, 11, 25, 16, 50, tzinfo=UTC)  # 23:50 in Vietnam; 00:10 there is the next day, UTC's same day
    live = Live(ok=True, queues={"q-general": LiveQueue("q-general", 1, 999)})
    with w.sessions() as s:
        waits = [d for d in wallboard_alerts.drafts(s, live, 60, late) if d.kind == "queue_wait"]
        assert len(wallboard_alerts.store_new(s, waits, late)) == 1
        after = late + timedelta(minutes=20)
        assert wallboard_alerts.store_new(s, waits, after, ZoneInfo("UTC")) == []
        assert len(wallboard_alerts.store_new(s, waits, after, ZoneInfo("Asia/Ho_Chi_Minh"))) == 1


@pytest.mark.parametrize("kind", [*STORED_ALERTS, "something_new"])
def test_given_an_alert_stored_by_another_part_when_shown_then_it_has_its_own_words_and_a_page_label(
        kind: str) -> None:
    shown = alert_out(Alert(id=7, kind=kind, uniqueid="1700.1", detail="recording:12 x",
                            created_at=WEDNESDAY_10H))
    assert "recording:12 x" in shown["message_vi"] and "recording:12 x" in shown["message_en"]
    if kind != "something_new":
        assert "AGI" not in shown["message_en"] or kind == names.ALERT_AGI_FAILED
        label = f"wb.alert.{shown['kind']}"
        assert i18n.text("vi", label) != label and i18n.text("en", label) != label
