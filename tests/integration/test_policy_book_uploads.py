"""Per-workspace policy books (issue 16, item 2): what an admin's upload cannot do to the bot,
through the real Bolt App, workers and the loopback Slack Web API."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.integration.desk_world import ADMIN, Desk, desk
from tests.integration.test_policy_books import (
    LONG_RETURNS,
    answered_later,
    books_stored,
    share,
)


@contextmanager
def other_host(content: bytes) -> Iterator[tuple[str, list[str | None]]]:
    """An HTTP server that is not Slack's (named `localhost`, not the loopback Slack's
    127.0.0.1): its base URL and the Authorization header of every request it was sent."""
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_download_redirected_to_another_host_never_carries_the_bot_token(
    tmp_path: Path,
) -> None:
    """Slack's file host answers the download with a redirect to another host: the bot's token
    (xoxb-test) must stay with Slack; the other host gets no Authorization."""
    with other_host(LONG_RETURNS) as (elsewhere, seen), desk(tmp_path, Clock()) as world:
        about = world.slack.share_file(
            "long.yaml", LONG_RETURNS, user=ADMIN, redirect_to=f"{elsewhere}long.yaml"
        )
        link = f"<https://acme.slack.com/files/{ADMIN}/{about['id']}/long.yaml>"
        answered_later(world, ADMIN, f"policy add long {link}")
        assert [h for h in seen if h and "xoxb-test" in h] == [], seen


BAD_NUMBERS: list[tuple[str, bytes, str]] = [
    ("amount-1e30", b"    amount: 1.0e+30\n", "amount"),
    ("amount-29-digits", b"    amount: " + b"9" * 29 + b"\n", "amount"),
    ("amount-infinite", b"    amount: .inf\n", "amount"),
    ("amount-nan", b"    amount: .nan\n", "amount"),
    ("days-5000-digits", b"    when: {max_days_since_delivery: " + b"9" * 5000 + b"}\n", "number"),
]
ONE_RULE = b"name: X\nrules:\n  - id: a\n    title: A\n    covers: [refund]\n    text: Yes.\n"


def answer_or_silence(world: Desk, text: str, *, seconds: float = 10) -> str | None:
    """The answer that follows a command's ack, or None when none came."""
    before = len(world.slack.to("respond"))
    acked = world.command(ADMIN, text)
    assert acked.endswith("..."), acked
    deadline = time.monotonic() + seconds
    while len(world.slack.to("respond")) <= before:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    return str(world.slack.to("respond")[before]["text"])


@pytest.mark.parametrize(
    ("extra", "told"), [(b[1], b[2]) for b in BAD_NUMBERS], ids=[b[0] for b in BAD_NUMBERS]
)
def test_a_book_with_numbers_the_engine_cannot_hold_is_answered_and_not_stored(
    tmp_path: Path, extra: bytes, told: str
) -> None:
    """An amount no cents can hold, or a number Python will not read: the admin is told which
    field, as for any other bad book, instead of 'Checking that policy book...' and silence."""
    with desk(tmp_path, Clock()) as world:
        link = share(world, "numbers.yaml", ONE_RULE + extra)
        answer = answer_or_silence(world, f"policy add numbers {link}")
        assert answer is not None, "the admin was never answered"
        assert told in answer, answer
        assert answer.endswith("Nothing was changed."), answer
        assert books_stored(world) == []


def test_a_deeply_nested_file_is_answered_and_not_stored(tmp_path: Path) -> None:
    """40 KB of `[[[[...]]]]` (under the 64 KB limit): the YAML reader recurses once per
    level; the admin must still be told the file is not a book."""
    with desk(tmp_path, Clock()) as world:
        content = b"name: X\nrules: " + b"[" * 20_000 + b"]" * 20_000 + b"\n"
        link = share(world, "deep.yaml", content)
        answer = answer_or_silence(world, f"policy add deep {link}")
        assert answer is not None, "the admin was never answered"
        assert answer.endswith("Nothing was changed."), answer
        assert books_stored(world) == []


def test_aliases_cannot_make_a_small_file_a_book_of_megabytes(tmp_path: Path) -> None:
    """A 40 KB file whose 200 rules each repeat one 30 000-character text through a YAML
    alias (`text: *t`) is a 6 MB book once read: stored, kept by every worker and sent as the
    Claude agent's system prompt every turn (far beyond the model's context). The 64 KB limit
    is the book's, not only the file's: refused, nothing stored."""
    text = "x" * 30_000
    lines = [
        "name: Aliased",
        "rules:",
        f"  - {{id: r0, title: T, covers: [refund], text: &t {text}}}",
    ]
    lines += [f"  - {{id: r{i}, title: T, covers: [refund], text: *t}}" for i in range(1, 200)]
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) < 64 * 1024
    with desk(tmp_path, Clock()) as world:
        answer = answered_later(
            world, ADMIN, f"policy add aliased {share(world, 'a.yaml', content)}"
        )
        assert answer.endswith("Nothing was changed."), answer[:300]
        assert books_stored(world) == []


def test_two_uploads_of_one_new_name_at_once_are_both_answered(
    tmp_path: Path, database_url: str
) -> None:
    """Two admins (or one, twice) add a book under the same new name at the same moment: one
    adds it, the other replaces it, and both are told so. On PostgreSQL both found no row
    (nothing to lock yet), both inserted, and the second was refused by the unique name:
    that admin got 'Checking that policy book...' and then nothing."""
    rounds = 8
    with desk(tmp_path, Clock(), database_url=database_url) as world:
        links = [share(world, f"b{i}.yaml", LONG_RETURNS) for i in range(rounds)]
        before = len(world.slack.to("respond"))
        for i, link in enumerate(links):
            start = threading.Barrier(2)

            def add(link: str = link, name: str = f"race-{i}", start=start) -> None:
                start.wait()
                assert world.command(ADMIN, f"policy add {name} {link}").endswith("...")

            threads = [threading.Thread(target=add) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        deadline = time.monotonic() + 20
        while len(world.slack.to("respond")) < before + 2 * rounds:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        answers = [str(r["text"]) for r in world.slack.to("respond")[before:]]
        for i in range(rounds):
            mine = [a for a in answers if f"`race-{i}`" in a]
            assert len(mine) == 2, (i, mine)
            assert sorted("replaced" in a for a in mine) == [False, True], mine


def test_a_file_that_names_no_sharer_is_not_taken_as_the_admins(tmp_path: Path) -> None:
    """files.info lists the file with nobody as its sharer: it is not the admin's own upload."""
    with desk(tmp_path, Clock()) as world:
        about = world.slack.share_file("long.yaml", LONG_RETURNS, user="")
        link = f"<https://acme.slack.com/files/{ADMIN}/{about['id']}/long.yaml>"
        told = answered_later(world, ADMIN, f"policy add long {link}")
        assert "shared by someone else" in told
        assert books_stored(world) == []
