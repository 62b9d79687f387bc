"""`python -m recordings.transcriber`: placeholder until issue 8's transcriber lands; idles until SIGTERM."""

from __future__ import annotations

import signal
import threading


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
