"""`python -m app.notify`: run the outbox dispatcher as its own process until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from app.db.session import engine_for, session_factory
from app.notify import adapters
from app.notify.dispatcher import Dispatcher, Policy
from app.settings import get_settings

log = logging.getLogger("app.notify")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    if settings.notify_timeout_s >= settings.notify_lease_s:
        log.warning("TD_NOTIFY_TIMEOUT_S >= TD_NOTIFY_LEASE_S: a slow send may be taken over and sent twice")
    sessions = session_factory(engine_for(settings.effective_database_url))
    dispatcher = Dispatcher(sessions, adapters.from_settings(settings), Policy.from_settings(settings))
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    dispatcher.run_forever(stop, settings.notify_poll_s)


if __name__ == "__main__":
    main()
