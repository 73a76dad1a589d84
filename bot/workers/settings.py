"""Workspace settings kept between turns by a worker process, for as long as it can hear when
they change: PostgreSQL notifies every save (`SETTINGS_NOTICE`), and the process forgets what
it kept. Without notifications (SQLite, or the listener down) every read goes to the database.
Kept settings are read again after `keep_for` seconds all the same: a listening connection
whose link died without a word is only noticed by its keepalives, a minute later."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from db.repositories import WorkspaceSettings


class WorkspaceSettingsCache:
    def __init__(
        self, *, keep_for: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.keep_for = keep_for
        self.clock = clock
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[WorkspaceSettings, float]] = {}
        self._changes = 0  # a read that began before a change must not keep what it read
        self._hearing = False

    def read(
        self, workspace_id: str, load: Callable[[str], WorkspaceSettings]
    ) -> WorkspaceSettings:
        """The workspace's settings: kept ones while changes are heard, else `load`ed."""
        with self._lock:
            kept = self._kept.get(workspace_id)
            if self._hearing and kept is not None and kept[1] > self.clock():
                return kept[0]
            changes, hearing = self._changes, self._hearing
        settings = load(workspace_id)
        with self._lock:
            if hearing and self._hearing and changes == self._changes:
                self._kept[workspace_id] = (settings, self.clock() + self.keep_for)
        return settings

    def changed(self, workspace_id: str = "") -> None:
        """A workspace's settings were saved (all workspaces' when `workspace_id` is empty)."""
        with self._lock:
            self._changes += 1
            if workspace_id:
                self._kept.pop(workspace_id, None)
            else:
                self._kept.clear()

    def hearing(self, heard: bool) -> None:
        """Changes are (or are no longer) heard: either way, nothing kept is trusted."""
        with self._lock:
            self._hearing = heard
            self._changes += 1
            self._kept.clear()
