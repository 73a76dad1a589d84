"""Worker processes run beside the front (`serve --workers N`): started with it, restarted if
one dies (with backoff; not at all after a bad setting), stopped with it. Each is
`escalation-bot worker --parent PID` in a session of its own (a terminal's Ctrl-C reaches the
front, which stops them in order), and stops by itself when its parent is gone."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from bot.workers.loop import GRACE

log = logging.getLogger(__name__)

RESTART_AFTER = 1.0  # seconds before a worker that died is started again, doubling ...
RESTART_AFTER_AT_MOST = 60.0  # ... while workers keep dying within
SHORT_LIFE = 30.0  # seconds of their start
BAD_SETTING = 2  # a worker's exit status for a bad setting: restarting cannot help
# Workers started beside the front run at a lower CPU priority: an ack has Slack's 3 s
# deadline, a turn has none, so on a busy machine the front goes first.
WORKER_NICENESS = 10


@dataclass
class _Slot:
    process: subprocess.Popen[bytes]
    started: float
    delay: float = RESTART_AFTER
    due: float = 0.0  # when a dead worker is started again


class WorkerProcesses:
    """Keeps `count` worker processes running until `stop`."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_running, name="workers", daemon=True)

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        with self._lock:
            return [slot.process for slot in self.slots]

    def start(self) -> None:
        with self._lock:
            self.slots = [_Slot(_spawn(self.count), time.monotonic()) for _ in range(self.count)]
        self._watch.start()
        log.info("started %d worker processes", self.count)

    def stop(self) -> None:
        """SIGTERM each (they finish or give back their turns), then wait; kill stragglers."""
        self._stopping.set()
        if self._watch.is_alive():
            self._watch.join(timeout=5)
        processes = self.processes
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE.total_seconds() + 10
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %s did not stop in time: killed", process.pid)
                process.kill()
                process.wait()

    def _keep_running(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for slot in self.slots:
                    if not self._stopping.is_set():
                        self._look_after(slot)

    def _look_after(self, slot: _Slot) -> None:
        code = slot.process.poll()
        if code is None or (code == BAD_SETTING and slot.due < 0):
            return
        now = time.monotonic()
        if code == BAD_SETTING:
            log.critical(
                "worker %s stopped on a bad setting (see its log): not restarted", slot.process.pid
            )
            slot.due = -1.0
            return
        if not slot.due:
            short = now - slot.started < SHORT_LIFE
            slot.delay = min(slot.delay * 2, RESTART_AFTER_AT_MOST) if short else RESTART_AFTER
            slot.due = now + slot.delay
            log.error(
                "worker %s exited (%s): another in %.0f s", slot.process.pid, code, slot.delay
            )
        elif now >= slot.due:
            slot.process, slot.started, slot.due = _spawn(self.count), now, 0.0


def _spawn(count: int) -> subprocess.Popen[bytes]:
    """One of `count` workers: each paces its Slack calls at 1/count of the budgets."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "bot.cli", "worker"),
            *("--parent", str(os.getpid()), "--nice", str(WORKER_NICENESS)),
            *("--one-of", str(count)),
        ],
        start_new_session=True,
    )


def parent_gone(parent: int | None) -> bool:
    """True once the process that started this one has exited (this one was re-parented)."""
    return parent is not None and os.getppid() != parent


def default_worker_count(*, sqlite: bool) -> int:
    """One per core this process may use, at most 4; one on SQLite (a single writer)."""
    if sqlite:
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0))))
