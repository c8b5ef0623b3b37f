"""A background thread that runs one step every few hundred milliseconds until told to stop.

The stream worker and the outbox are both "poll, act, sleep" loops. A failing step is logged and
the loop carries on (backing off while failures repeat), so one bad record or a hiccup of the
emulator never stops the local stack and never floods the terminal with tracebacks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0


class PollingThread:
    def __init__(self, name: str, step: Callable[[], object], interval: float = 0.2) -> None:
        self.name = name
        self._step = step
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Let the step in progress finish, then return (waiting at most `timeout` seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._step()
                if failures:
                    log.info("%s: recovered after %d failed attempts", self.name, failures)
                failures = 0
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.exception("%s: step failed; retrying", self.name)
                else:
                    log.warning("%s: still failing (%d times): %s", self.name, failures, exc)
            delay = self._interval if not failures else min(self._interval * 2**failures, MAX_BACKOFF_SECONDS)
            self._stop.wait(delay)
