"""The loop every background worker runs, and the lease its claims hold.

Workers claim rows with a lease, so several processes can share one database, and a crashed
worker's rows are taken again once its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

log = logging.getLogger(__name__)

# A claim lasts this long unless renewed: a live worker renews it every HEARTBEAT while its turn
# runs (a slow model turn keeps it); a dead process loses it within a minute.
LEASE = timedelta(seconds=60)
HEARTBEAT = LEASE / 3
# On SIGTERM a worker stops taking work and gets this long to finish what it holds.
GRACE = timedelta(seconds=20)


def worker_name(role: str) -> str:
    """Unique per worker object: a claim is released or finished only by its own holder."""
    return f"{role}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}:{os.getpid()}"


class Worker:
    """A loop that runs `work_once` until stopped; `wake` skips the wait after new work."""

    def __init__(self, *, name: str, interval: float) -> None:
        self.name = name
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def work_once(self) -> int:
        raise NotImplementedError

    def run_until_idle(self, *, limit: int = 100) -> int:
        """Work until nothing is left (tests and the console use this)."""
        done = 0
        for _ in range(limit):
            count = self.work_once()
            if not count:
                break
            done += count
        return done

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, *, grace: timedelta = GRACE) -> None:
        """Take no more work; let what is in hand finish within `grace`, then `abandon` it."""
        self.request_stop()
        self.finish(grace=grace)

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def finish(self, *, grace: timedelta) -> None:
        if self._thread is not None:
            self._thread.join(timeout=max(0.0, grace.total_seconds()))
            if self._thread.is_alive():
                self.abandon()

    def abandon(self) -> None:
        """Give back what this worker still holds (its process is going away)."""
        return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.work_once()
            except Exception:
                log.exception("%s: unexpected error; carrying on", self.name)
                busy = 0
            if not busy:
                self._wake.wait(self.interval)
                self._wake.clear()
