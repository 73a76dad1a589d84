"""Policy books per workspace (issue 16): `/escalation policy add|use|list|show` as admins type
them, through the real Bolt App and workers against the loopback Slack Web API, with the same
app in two workspaces, T1 and T2 (token mode: T1's token). Each workspace's turns, dry runs
and listings read its own book; an uploaded book is checked with the product's loader and a
bad one changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.policies import default_policy_book
from bot.workers.settings import WorkspaceBooks, WorkspaceSettingsCache
from bot.workers.wakeups import PostgresWakeups
from db.models import PolicyBookRow, WorkspacePolicyBook
from db.uow import SqlUnitOfWork
from tests.clock import Clock
from tests.integration.desk_world import ADMIN, AGENT1, Desk, desk
from tests.integration.test_workspace_isolation import T2, T2_ADMIN, dm, two_workspaces

# The demo shop's order 3307 was delivered 45 days ago: the shipped book's 30-day window says
# no to its return, a 90-day window yes.
RETURN_3307 = "I'd like to return the headphones from order 3307 for a refund, jsmith77@example.org"
LONG_RETURNS = b"""\
name: Long returns
rules:
  - id: returns-90-days
    title: Returns within 90 days
    covers: [refund, return]
    text: Items can be returned for a full refund within 90 days of delivery.
    when:
      status_in: [delivered]
      max_days_since_delivery: 90
"""
SHORT_RETURNS = {
    "name": "Short returns",
    "rules": [
        {
            "id": "returns-10-days",
            "title": "Returns within 10 days",
            "covers": ["refund", "return"],
            "text": "Items can be returned within 10 days of delivery.",
            "when": {"status_in": ["delivered"], "max_days_since_delivery": 10},
        }
    ],
}


def answered_later(world: Desk, user: str, text: str, *, team: str = "T1") -> str:
    """A command answered after the ack (a dry run, an upload): the answer that follows."""
    before = len(world.slack.to("respond"))
    acked = world.command_in(team, user, text)
    assert acked.endswith("..."), acked
    deadline = time.monotonic() + 30
    while len(world.slack.to("respond")) <= before:
        assert time.monotonic() < deadline, f"no answer came after the ack of {text!r}"
        time.sleep(0.05)
    return str(world.slack.to("respond")[before]["text"])


def share(world: Desk, name: str, content: bytes, *, user: str = ADMIN, team: str = "T1") -> str:
    """A file `user` shared in Slack; the link an admin copies ("Copy link")."""
    about = world.slack.share_file(name, content, team=team, user=user)
    return f"<https://acme.slack.com/files/{user}/{about['id']}/{name}>"


def dry_run(world: Desk, team: str, admin: str) -> str:
    return answered_later(world, admin, f"test {RETURN_3307}", team=team)


def books_stored(world: Desk) -> list[tuple[str, str, int]]:
    with SqlUnitOfWork(world.product.sessions) as uow:
        rows = uow.session.query(PolicyBookRow).order_by(PolicyBookRow.id).all()
        return [(r.workspace_id, r.name, r.revision) for r in rows]


def choices(world: Desk) -> list[tuple[str, int]]:
    with SqlUnitOfWork(world.product.sessions) as uow:
        rows = uow.session.query(WorkspacePolicyBook).order_by(WorkspacePolicyBook.workspace_id)
        return [(r.workspace_id, r.policy_book_id) for r in rows]


def test_each_workspace_decides_by_the_book_it_uses(tmp_path: Path, database_url: str) -> None:
    """T1 uploads a 90-day returns book and uses it: T1's dry runs and customers' turns are
    decided by it (the return at day 45 is refunded), T2's by the shipped book (declined);
    T2's own book of the same name is neither overwritten nor readable by T1; T2 cannot use
    T1's; listings and `show` each read their own workspace's."""
    with desk(tmp_path, Clock(), database_url=database_url) as world:
        two_workspaces(world)
        with SqlUnitOfWork(world.product.sessions) as uow:  # T2 uploaded a book of that name
            uow.policy_books.save(T2, "returns-90", SHORT_RETURNS, now=world.clock.now)
            uow.commit()
        assert "decline" in dry_run(world, "T1", ADMIN)

        link = share(world, "long-returns.yaml", LONG_RETURNS)
        added = answered_later(world, ADMIN, f"policy add returns-90 {link}")
        assert added == (
            "Policy book `returns-90` (Long returns, 1 rule) added. To use it: "
            "`/escalation policy use returns-90`."
        )
        assert "decline" in dry_run(world, "T1", ADMIN)  # added, not in use yet
        used = world.command(ADMIN, "policy use returns-90")
        assert used.startswith("Policy book changed from `default` to `returns-90`")

        t1_list = world.command(ADMIN, "policy list")
        assert "this workspace uses `returns-90`" in t1_list
        assert "• `returns-90` (in use)" in t1_list
        assert "returns-90-days" in t1_list
        assert "returns-10-days" not in t1_list
        t2_list = world.command_in(T2, T2_ADMIN, "policy list")
        assert "this workspace uses `default`" in t2_list
        assert "• `default`: shipped with the bot (in use)" in t2_list
        assert "returns-30-days" in t2_list
        assert "90 days" not in t2_list
        assert "Returns within 90" in world.command(ADMIN, "policy show returns-90-days")
        assert "No policy `returns-90-days`" in world.command_in(
            T2, T2_ADMIN, "policy show returns-90-days"
        )

        assert "resolve" in dry_run(world, "T1", ADMIN)
        assert "decline" in dry_run(world, T2, T2_ADMIN)
        world.sender.dm("U0T1CUST", RETURN_3307)
        assert world.as_workspace(T2, dm("U0T2CUST", RETURN_3307)) == 200
        world.settle()
        (t1_reply,) = world.slack.messages_in("DU0T1CUST")
        (t2_reply,) = world.slack.messages_in("DU0T2CUST")
        assert "refund" in t1_reply["text"].lower()
        assert "90 days" not in t2_reply["text"]
        assert "30 days" in t2_reply["text"]

        # T2 uses its own book of that name, never T1's; T1's stays T1's
        assert world.command_in(T2, T2_ADMIN, "policy use returns-90").startswith(
            "Policy book changed from `default` to `returns-90`"
        )
        assert "returns-10-days" in world.command_in(T2, T2_ADMIN, "policy list")
        assert "returns-90-days" in world.command(ADMIN, "policy list")
        assert "decline" in dry_run(world, T2, T2_ADMIN)
        assert "resolve" in dry_run(world, "T1", ADMIN)
        assert books_stored(world) == [(T2, "returns-90", 1), ("T1", "returns-90", 1)]

        # back to the shipped book: T1's next turn is decided by it
        assert world.command(ADMIN, "policy use default").startswith(
            "Policy book changed from `returns-90` to `default`"
        )
        assert "decline" in dry_run(world, "T1", ADMIN)


def test_policy_use_answers_what_it_did_and_refuses_what_it_cannot(
    tmp_path: Path, database_url: str
) -> None:
    with desk(tmp_path, Clock(), database_url=database_url) as world:
        two_workspaces(world)
        with SqlUnitOfWork(world.product.sessions) as uow:
            uow.policy_books.save(T2, "t2-only", SHORT_RETURNS, now=world.clock.now)
            uow.policy_books.save("T1", "Holidays", SHORT_RETURNS, now=world.clock.now)
            uow.commit()
        assert world.command(ADMIN, "policy use t2-only") == (
            "There is no policy book `t2-only` here. Books: `default`, `Holidays`. "
            "Nothing was changed."
        )
        assert world.command(ADMIN, "policy use default") == (
            "This workspace already uses `default`. Nothing was changed."
        )
        refused = world.command(AGENT1, "policy use holidays")  # not an admin
        assert refused.startswith("Only workspace admins or the bot's configured admins")
        assert choices(world) == []
        assert world.command(ADMIN, "policy use HOLIDAYS").startswith(
            "Policy book changed from `default` to `Holidays`"
        )
        assert [team for team, _ in choices(world)] == ["T1"]


BAD_BOOKS: list[tuple[str, bytes, list[str]]] = [
    (
        "broken.yaml",
        b"name: Broken\nrules:\n  - id: a\n    title: [unclosed\n",
        ["not valid YAML: line 5, column 1"],
    ),
    ("no-rules.yaml", b"name: Empty\nrules: []\n", ["line 2: `rules` is empty"]),
    ("no-list.yaml", b"name: Nothing\n", ["there is no `rules:` list"]),
    (
        "typos.yaml",
        b"name: Typos\nrule_set: 1\nrules:\n"
        b"  - {id: a, title: A, covers: [refund], text: Yes.}\n"
        b"  - {id: b, title: B, covers: [refund], text: Yes., amout: 5}\n"
        b"  - {id: c, title: C, covers: [], text: Yes.}\n"
        b"  - {id: a, title: D, covers: [refund], text: Yes.}\n",
        [
            "line 2: unknown field `rule_set`",
            "line 5, rule 2: unknown field 'amout'",
            "line 6, rule 3 (c): 'covers' must be a non-empty list",
            "line 7, rule 4: id `a` is used by the rule on line 4",
        ],
    ),
    ("junk.txt", b"lorem ipsum " * 3400, ["YAML but not a policy book"]),
    ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", ["not text (UTF-8)"]),
    ("huge.yaml", b"# " + b"x" * 70_000 + b"\n", ["at most 64 KB"]),
]


@pytest.mark.parametrize(("name", "content", "told"), BAD_BOOKS, ids=[b[0] for b in BAD_BOOKS])
def test_a_bad_book_is_told_problem_by_problem_and_nothing_is_stored(
    tmp_path: Path, name: str, content: bytes, told: list[str]
) -> None:
    with desk(tmp_path, Clock()) as world:
        before = world.command(ADMIN, "policy list")
        answer = answered_later(world, ADMIN, f"policy add mine {share(world, name, content)}")
        for problem in told:
            assert problem in answer, answer
        assert answer.endswith("Nothing was changed.")
        assert books_stored(world) == []
        assert world.command(ADMIN, "policy list") == before


def test_a_file_the_bot_cannot_have_is_said_and_nothing_is_stored(tmp_path: Path) -> None:
    with desk(tmp_path, Clock()) as world:
        two_workspaces(world)
        others = share(world, "theirs.yaml", LONG_RETURNS, user=AGENT1)
        answer = answered_later(world, ADMIN, f"policy add theirs {others}")
        assert "shared by someone else" in answer
        # a file of another organisation: Slack answers the download with its sign-in page
        foreign = share(world, "foreign.yaml", LONG_RETURNS, team=T2)
        assert "would not let me download" in answered_later(
            world, ADMIN, f"policy add foreign {foreign}"
        )
        missing = "<https://acme.slack.com/files/U0ADMIN/F0NOSUCH1/x.yaml>"
        assert "can't find that file" in answered_later(world, ADMIN, f"policy add x {missing}")
        link = share(world, "long.yaml", LONG_RETURNS)
        assert "one word of letters" in world.command(ADMIN, "policy add my/book")
        assert "shipped with the bot" in answered_later(world, ADMIN, f"policy add default {link}")
        assert world.command(ADMIN, "policy add mine").startswith("Usage:")
        refused = answered_later(world, AGENT1, f"policy add mine {link}")
        assert refused.startswith("Only workspace admins")
        assert books_stored(world) == []
        assert [c[0] for c in world.slack.calls if c[0] == "file_download"] == ["file_download"]


def test_a_book_uploaded_again_under_its_name_decides_the_next_turn(tmp_path: Path) -> None:
    with desk(tmp_path, Clock()) as world:
        link = share(world, "long.yaml", LONG_RETURNS)
        assert "added" in answered_later(world, ADMIN, f"policy add returns {link}")
        world.command(ADMIN, "policy use returns")
        assert "resolve" in dry_run(world, "T1", ADMIN)
        shorter = LONG_RETURNS.replace(b"90", b"10")
        link = share(world, "b.yaml", shorter)
        again = answered_later(world, ADMIN, f"policy add returns {link}")
        assert "replaced with the new file. This workspace uses it" in again
        assert "decline" in dry_run(world, "T1", ADMIN)
        assert books_stored(world) == [("T1", "returns", 2)]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no notifications: always read
def test_a_worker_keeps_a_workspaces_book_until_policy_use_elsewhere_tells_it(
    sessions: sessionmaker[Session], database_url: str, backend: str
) -> None:
    """A worker process hearing PostgreSQL's notifications keeps T1's book between turns (no
    query), forgets it when T1's admin runs `policy use` or uploads again in another process,
    and keeps T2's all along; not hearing, every read goes to the database."""
    cache = WorkspaceSettingsCache(keep_for=120)  # only a notification makes it read again
    books = WorkspaceBooks(sessions, default=default_policy_book(), cache=cache)
    wakeups = PostgresWakeups(
        database_url,
        on_inbox=lambda: None,
        on_outbox=lambda: None,
        on_settings=cache.changed,
        on_hearing=cache.hearing,
    )
    queries: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        queries.append(statement)

    def in_another_process(change: Callable[[SqlUnitOfWork], None]) -> None:
        with SqlUnitOfWork(sessions) as uow:
            change(uow)
            uow.commit()

    def rule_ids(team: str) -> list[str]:
        return [r.id for r in books(team).rules]

    def eventually(team: str, ids: list[str]) -> None:
        deadline = time.monotonic() + 10
        while rule_ids(team) != ids:
            assert time.monotonic() < deadline, f"{team} kept its old book"
            time.sleep(0.05)

    now = datetime(2026, 12, 5, tzinfo=UTC)
    in_another_process(lambda uow: uow.policy_books.save("T1", "short", SHORT_RETURNS, now=now))
    wakeups.start()
    try:
        assert wakeups.listening.wait(10)
        shipped = [r.id for r in default_policy_book().rules]
        assert rule_ids("T1") == rule_ids("T2") == shipped
        engine = sessions.kw["bind"]
        event.listen(engine, "before_cursor_execute", count)
        try:
            for _ in range(5):
                assert rule_ids("T1") == shipped
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert queries == []  # kept between turns

        def use_short(uow: SqlUnitOfWork) -> None:
            uow.policy_books.choose("T1", uow.policy_books.find("T1", "short"), now=now)

        in_another_process(use_short)
        eventually("T1", ["returns-10-days"])
        assert rule_ids("T2") == shipped
        longer = {**SHORT_RETURNS, "rules": [{**SHORT_RETURNS["rules"][0], "id": "returns-long"}]}
        in_another_process(lambda uow: uow.policy_books.save("T1", "short", longer, now=now))
        eventually("T1", ["returns-long"])
    finally:
        wakeups.stop()
    in_another_process(lambda uow: uow.policy_books.choose("T1", None, now=now))
    assert rule_ids("T1") == shipped  # nobody listens now: read from the database
