"""A worker keeps a workspace's settings only while it hears when they change."""

from __future__ import annotations

from bot.workers.settings import WorkspaceSettingsCache
from db.repositories import WorkspaceSettings


class Database:
    """Settings as saved, and how often they were read."""

    def __init__(self) -> None:
        self.channel = "C1"
        self.reads = 0
        self.during_read = lambda: None

    def load(self, workspace_id: str) -> WorkspaceSettings:
        self.reads += 1
        channel = self.channel
        self.during_read()
        return WorkspaceSettings(workspace_id=workspace_id, handoff_channel=channel)


def test_without_hearing_changes_every_read_goes_to_the_database() -> None:
    cache, database = WorkspaceSettingsCache(), Database()
    for _ in range(3):
        assert cache.read("T1", database.load).handoff_channel == "C1"
    assert database.reads == 3


def test_while_changes_are_heard_a_workspace_is_read_once_until_it_changes() -> None:
    cache, database = WorkspaceSettingsCache(), Database()
    cache.hearing(True)
    for _ in range(3):
        cache.read("T1", database.load)
        cache.read("T2", database.load)
    assert database.reads == 2
    database.channel = "C2"
    cache.changed("T1")
    assert cache.read("T1", database.load).handoff_channel == "C2"
    assert cache.read("T2", database.load).handoff_channel == "C1"  # T2 did not change
    assert database.reads == 3


def test_a_change_heard_while_reading_is_not_overwritten_by_the_older_read() -> None:
    cache, database = WorkspaceSettingsCache(), Database()
    cache.hearing(True)

    def saved_meanwhile() -> None:
        database.channel = "C2"
        cache.changed("T1")

    database.during_read = saved_meanwhile
    assert cache.read("T1", database.load).handoff_channel == "C1"  # read before the save
    database.during_read = lambda: None
    assert cache.read("T1", database.load).handoff_channel == "C2"  # not kept: read again


def test_losing_the_listener_forgets_everything_and_stops_keeping() -> None:
    cache, database = WorkspaceSettingsCache(), Database()
    cache.hearing(True)
    cache.read("T1", database.load)
    cache.hearing(False)
    database.channel = "C2"  # saved while nobody listened
    assert cache.read("T1", database.load).handoff_channel == "C2"
    assert cache.read("T1", database.load).handoff_channel == "C2"
    assert database.reads == 3
    cache.hearing(True)  # back: whatever was missed is read afresh
    cache.changed()  # (the reconnection's wake-up says "everything")
    database.channel = "C3"
    assert cache.read("T1", database.load).handoff_channel == "C3"


def test_kept_settings_are_read_again_after_a_while_even_if_no_change_was_heard() -> None:
    now = [0.0]
    cache, database = WorkspaceSettingsCache(keep_for=10, clock=lambda: now[0]), Database()
    cache.hearing(True)
    cache.read("T1", database.load)
    database.channel = "C2"  # saved, but the notification was lost with a dead link
    now[0] = 9.0
    assert cache.read("T1", database.load).handoff_channel == "C1"
    now[0] = 10.5
    assert cache.read("T1", database.load).handoff_channel == "C2"


def test_what_changes_with_the_settings_is_kept_by_kind_and_forgotten_with_them() -> None:
    """A workspace's policy book is kept beside its settings, each under its own kind, and
    `policy use` (a settings notification for the workspace) forgets both, only for it."""
    cache, database = WorkspaceSettingsCache(), Database()
    books = {"T1": "shipped", "T2": "shipped"}
    read_books: list[str] = []

    def load_book(workspace_id: str) -> str:
        read_books.append(workspace_id)
        return books[workspace_id]

    cache.hearing(True)
    for _ in range(3):
        assert cache.kept("T1", load_book, kind="policy_book") == "shipped"
        assert cache.read("T1", database.load).handoff_channel == "C1"
        cache.kept("T2", load_book, kind="policy_book")
    assert (read_books, database.reads) == (["T1", "T2"], 1)
    books["T1"] = "holidays"
    cache.changed("T1")
    assert cache.kept("T1", load_book, kind="policy_book") == "holidays"
    assert cache.kept("T2", load_book, kind="policy_book") == "shipped"
    cache.read("T1", database.load)
    assert (read_books, database.reads) == (["T1", "T2", "T1"], 2)
