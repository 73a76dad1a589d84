"""Worker processes run beside the front (`serve --workers N`): started with it, restarted if
one dies, stopped with it. Each is `escalation-bot worker --parent PID`, which also stops by
itself when its parent is gone, so a front killed outright leaves no workers behind for long."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from bot.workers.loop import GRACE

log = logging.getLogger(__name__)

RESTART_AFTER = 1.0  # seconds before a worker that died is started again


class WorkerProcesses:
    """Keeps `count` worker processes running until `stop`."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_running, name="workers", daemon=True)

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.count)]
        self._watch.start()
        log.info("started %d worker processes", self.count)

    def stop(self) -> None:
        """SIGTERM each (they finish or give back their turns), then wait; kill stragglers."""
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE.total_seconds() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %s did not stop in time: killed", process.pid)
                process.kill()
                process.wait()

    @staticmethod
    def _spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--parent", str(os.getpid())]
        )

    def _keep_running(self) -> None:
        while not self._stopping.wait(RESTART_AFTER):
            for index, process in enumerate(self.processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log.error(
                        "worker %s exited (%s): starting another", process.pid, process.returncode
                    )
                    self.processes[index] = self._spawn()


def parent_gone(parent: int | None) -> bool:
    """True once the process that started this one has exited (this one was re-parented)."""
    return parent is not None and os.getppid() != parent
