"""Today's answered and abandoned calls per queue, and calls per operator, from app_queue's queue_log, read in steps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.domain.wallboard import QueueDay, add_queue_log
from app.settings import Settings


def queue_log_path(settings: Settings) -> Path | None:
    """Where Asterisk writes queue_log, as this host sees it (None when the app does not know Asterisk's folders)."""
    return settings.asterisk_path("log/queue_log")


class QueueLogReader:
    """Keeps the day's figures and the file offset; a new day or a rotated (shorter) file starts again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset = 0
        self.since = 0
        self.days: dict[str, QueueDay] = {}
        self.handled: dict[str, int] = {}  # calls each agent (member name = extension) completed today

    def read(self, day_start: datetime) -> dict[str, QueueDay] | None:
        """The day's figures, or None when there is no readable queue_log (the database's figures are used)."""
        if self.path is None or not self.path.exists():
            return None
        since = int(day_start.timestamp())
        size = self.path.stat().st_size
        if since != self.since or size < self.offset:
            self.offset, self.since, self.days, self.handled = 0, since, {}, {}
        with self.path.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read(size - self.offset)
        complete = chunk.rfind(b"\n") + 1  # a line still being written is read next time
        add_queue_log(self.days, chunk[:complete].decode("utf-8", "replace").splitlines(), since, self.handled)
        self.offset += complete
        return self.days
