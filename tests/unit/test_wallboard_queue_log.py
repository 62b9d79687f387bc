"""Today's queue figures from app_queue's queue_log: CONNECT and ABANDON counted, older days skipped, read in steps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.services.wallboard_queue_log import QueueLogReader, queue_log_path
from app.settings import Settings

DAY = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # midnight in Vietnam
T = int(DAY.timestamp())
LINES = [
    f"{T - 10}|old.1|q-general|1001|CONNECT|3|old.2|1",  # yesterday
    f"{T + 1}|a.1|q-general|NONE|ENTERQUEUE||0905|1",
    f"{T + 5}|a.1|q-general|1001|CONNECT|4|a.2|2",
    f"{T + 6}|b.1|q-general|NONE|ABANDON|1|1|30",
    f"{T + 9}|c.1|q-urgent|1002|CONNECT|40|c.2|1",
]


def test_given_queue_log_when_read_then_today_answered_abandoned_and_waits(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("\n".join(LINES[:3]) + "\n" + LINES[3])  # the last line is still being written
    reader = QueueLogReader(path)
    days = reader.read(DAY)
    assert days is not None and (days["q-general"].answered, days["q-general"].abandoned) == (1, 0)
    with path.open("a") as f:
        f.write("\n" + LINES[4] + "\n")
    days = reader.read(DAY)
    assert days is not None
    assert (days["q-general"].answered, days["q-general"].abandoned, days["q-general"].waits) == (1, 1, [4])
    assert days["q-urgent"].waits == [40]


def test_given_no_asterisk_folder_when_reading_then_none() -> None:
    assert QueueLogReader(queue_log_path(Settings(asterisk_instance_dir=""))).read(DAY) is None
    settings = Settings(asterisk_root="/r", asterisk_instance_dir="/srv/tongdai/x")
    assert queue_log_path(settings) == Path("/r/srv/tongdai/x/log/queue_log")


def test_given_completed_calls_when_read_then_each_operator_handled_as_app_queue_counts(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("\n".join([*LINES,
                               f"{T - 5}|old.1|q-general|1001|COMPLETECALLER|3|20|1",  # yesterday
                               f"{T + 30}|a.1|q-general|1001|COMPLETEAGENT|4|25|1",
                               f"{T + 60}|c.1|q-urgent|1002|COMPLETECALLER|40|20|1",
                               f"{T + 70}|d.1|q-general|1002|BLINDTRANSFER|1099|default|2|30|1",
                               f"{T + 80}|e.1|q-general|NONE|EXITWITHTIMEOUT|1|1|60"]) + "\n")
    reader = QueueLogReader(path)
    reader.read(DAY)
    assert reader.handled == {"1001": 1, "1002": 2}
