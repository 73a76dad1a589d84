"""The customer knows who has them: when an agent claims the handoff, the customer is told, in
their conversation, that a person from the team has their case (by the agent's Slack display
name unless the workspace turned names off). Once per won claim, through the outbox.

The real Bolt App over HTTP (signed requests in), the real workers, the loopback Slack Web API
(its users.info answers the agents' profiles, or fails as told), SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.composition import Product
from bot.turns.processor import BACK_WITH_BOT, BACK_WITH_BOT_ANSWERING
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM, RESOLVE, RETURN
from handlers.slack.sender import SlackSender as SlackPoster
from handlers.slack.sender import make_posting_client
from tests.clock import Clock
from tests.integration.desk_product import ADMIN
from tests.integration.mock_slack import Fault, MockSlackAPI, SlackSender

AGENTS = "C0AGENTS"
CUSTOMER = "U0CUST"
DANA = "U0AGENT1"  # display name "Dana"
SAM = "U0AGENT2"  # no display name; full name "Sam Okafor"
PROMISE = " from our team has your case now and will reply here."
GENERIC = "A person" + PROMISE


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={ADMIN: {"id": ADMIN, "is_admin": True}},
        channels={AGENTS: {"name": "agents"}},
    )
    api.set_name(DANA, display_name="Dana", real_name="Dana Whitfield")
    api.set_name(SAM, display_name="", real_name="Sam Okafor")
    api.start()
    yield api
    api.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def settle(product: Product, clock: Clock | None = None) -> None:
    for _ in range(8):
        if clock is not None:
            clock.advance(0.001)
        if not (product.inbox_worker.run_until_idle() + product.drainer.run_until_idle()):
            return


def command(sender: SlackSender, user: str, text: str) -> str:
    status, body = sender.command(user, text)
    assert status == 200
    return str(json.loads(body).get("text") if body.startswith("{") else body)


def cards(slack: MockSlackAPI) -> list[dict[str, Any]]:
    return [m for m in slack.messages_in(AGENTS) if m.get("blocks")]


def handoff_of(card: dict[str, Any]) -> str:
    blocks = card["blocks"] if isinstance(card["blocks"], list) else json.loads(card["blocks"])
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == CLAIM:
                return str(element["value"])
    raise AssertionError("no Claim button")


def escalate(sender: SlackSender, product: Product, slack: MockSlackAPI) -> str:
    """The customer asks for a person (in their DM); the handoff's card is posted."""
    if not cards(slack):
        assert "<#C0AGENTS>" in command(sender, ADMIN, "channel #agents")
    before = len(cards(slack))
    sender.dm(CUSTOMER, "I want to talk to a person")
    settle(product)
    assert len(cards(slack)) == before + 1
    return handoff_of(cards(slack)[-1])


def press(sender: SlackSender, product: Product, user: str, action: str, handoff: str) -> None:
    assert sender.action(user, action, handoff, AGENTS) == 200
    settle(product)


def said_to_customer(slack: MockSlackAPI) -> list[str]:
    return [m["text"] for m in slack.messages_in(f"D{CUSTOMER}")]


def notices(slack: MockSlackAPI, channel: str = f"D{CUSTOMER}") -> list[dict[str, Any]]:
    return [m for m in slack.messages_in(channel) if m["text"].endswith(PROMISE)]


def name_lookups(slack: MockSlackAPI) -> int:
    """users.info calls for anyone but the admin (whose commands and clicks check they are
    one)."""
    return sum(
        1 for method, p in list(slack.calls) if method == "users.info" and p["user"] != ADMIN
    )


def told_to(slack: MockSlackAPI, agent: str) -> list[str]:
    return [m["text"] for m in slack.to("chat.postEphemeral") if m.get("user") == agent]


# --- the notice --------------------------------------------------------------------------------


def test_the_customer_is_told_the_agents_name_once_after_the_claim(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = escalate(sender, product, slack)
    before = said_to_customer(slack)
    assert sender.action(DANA, CLAIM, handoff, AGENTS) == 200
    # The click's answer does not wait on a name: it is looked up when the notice is posted.
    assert name_lookups(slack) == 0
    settle(product)
    assert said_to_customer(slack)[len(before) :] == ["Dana" + PROMISE]
    assert name_lookups(slack) == 1
    # Pressed again (a double click), and the workers run again: nothing more is said.
    press(sender, product, DANA, CLAIM, handoff)
    settle(product)
    assert said_to_customer(slack)[len(before) :] == ["Dana" + PROMISE]
    (notice,) = notices(slack)
    assert notice.get("thread_ts") is None  # a DM: said in the conversation, as replies are
    assert name_lookups(slack) == 1


def test_without_a_display_name_the_full_name_is_said(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    press(sender, product, SAM, CLAIM, escalate(sender, product, slack))
    assert [m["text"] for m in notices(slack)] == ["Sam Okafor" + PROMISE]


def test_an_agent_with_no_name_at_all_is_a_person_from_the_team(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.set_name("U0NONAME", display_name="  ", real_name="")
    press(sender, product, "U0NONAME", CLAIM, escalate(sender, product, slack))
    assert [m["text"] for m in notices(slack)] == [GENERIC]
    assert all("U0NONAME" not in m["text"] for m in slack.to("chat.postMessage"))


def test_two_agents_racing_to_claim_make_one_notice_naming_the_winner(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = escalate(sender, product, slack)
    barrier = threading.Barrier(2, timeout=30)

    def click(agent: str) -> None:
        barrier.wait()
        assert sender.action(agent, CLAIM, handoff, AGENTS) == 200

    threads = [threading.Thread(target=click, args=(agent,)) for agent in (DANA, SAM)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    settle(product)
    (winner,) = [a for a in (DANA, SAM) if any("You have this" in t for t in told_to(slack, a))]
    (notice,) = notices(slack)
    assert notice["text"] == ("Dana" if winner == DANA else "Sam Okafor") + PROMISE
    assert name_lookups(slack) == 1


@pytest.mark.parametrize("first_post", ["posted", "failed"])
def test_the_notice_comes_before_the_agents_first_reply(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock, first_post: str
) -> None:
    handoff = escalate(sender, product, slack)
    before = said_to_customer(slack)
    if first_post == "failed":  # the notice waits for a retry; the reply waits behind it
        slack.fail("chat.postMessage", Fault("http_500", channel=f"D{CUSTOMER}"))
    assert sender.action(DANA, CLAIM, handoff, AGENTS) == 200
    card_ts = cards(slack)[-1]["ts"]
    sender.event(  # the agent answers at once, before any worker has run
        {"type": "message", "channel": AGENTS, "user": DANA, "text": "Hi, Dana here.",
         "ts": "1800000000.000100", "thread_ts": card_ts}
    )  # fmt: skip
    settle(product, clock)
    if first_post == "failed":
        assert said_to_customer(slack)[len(before) :] == []
        clock.advance(60)
        settle(product, clock)
    assert said_to_customer(slack)[len(before) :] == ["Dana" + PROMISE, "Hi, Dana here."]


def test_in_a_channel_the_notice_goes_into_the_customers_thread(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    assert "<#C0AGENTS>" in command(sender, ADMIN, "channel #agents")
    root = "1700000600.000100"
    sender.event(
        {"type": "app_mention", "channel": "C0GENERAL", "user": CUSTOMER,
         "text": "<@UBOT> I want to talk to a person", "ts": root}
    )  # fmt: skip
    settle(product)
    press(sender, product, DANA, CLAIM, handoff_of(cards(slack)[-1]))
    (notice,) = notices(slack, "C0GENERAL")
    assert notice["text"] == "Dana" + PROMISE
    assert notice["thread_ts"] == root
    assert notices(slack) == []  # not in a DM


def test_a_display_name_with_markup_is_shown_literally(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.set_name(DANA, display_name="<!channel> Dana & <@U0ADMIN>")
    press(sender, product, DANA, CLAIM, escalate(sender, product, slack))
    (notice,) = notices(slack)
    assert notice["text"] == "&lt;!channel&gt; Dana &amp; &lt;@U0ADMIN&gt;" + PROMISE
    assert "<" not in notice["text"]


def test_a_very_long_name_is_cut_at_a_word(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.set_name(DANA, display_name="Dana Whitfield-Montgomery, Senior Customer Happiness Lead")
    press(sender, product, DANA, CLAIM, escalate(sender, product, slack))
    (notice,) = notices(slack)
    assert notice["text"] == "Dana Whitfield-Montgomery, Senior" + PROMISE


@pytest.mark.parametrize(
    "fault",
    [Fault("http_500"), Fault("ratelimited", retry_after=30), Fault("missing_scope")],
    ids=lambda fault: fault.error,
)
def test_when_slack_cannot_say_the_name_the_notice_still_comes_once_without_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock, fault: Fault
) -> None:
    handoff = escalate(sender, product, slack)
    slack.fail("users.info", Fault(fault.error, times=100, retry_after=fault.retry_after))
    press(sender, product, DANA, CLAIM, handoff)
    clock.advance(120)  # long past any rest or backoff: nothing more comes
    settle(product, clock)
    assert [m["text"] for m in notices(slack)] == [GENERIC]
    assert name_lookups(slack) == 1
    with SqlUnitOfWork(product.sessions, read_only=True) as uow:
        assert uow.outbox.counts().get("pending", 0) == 0


def test_a_name_lookup_slower_than_the_timeout_gives_no_name(slack: MockSlackAPI) -> None:
    slack.fail("users.info", Fault("posted_then_hang", hang=3))
    client = make_posting_client(token="xoxb-test", base_url=slack.url, timeout=1)
    started = time.monotonic()
    assert SlackPoster(client).display_name(DANA) is None
    assert time.monotonic() - started < 2.5
    assert SlackPoster(client).display_name(DANA) == "Dana"  # answered in time: the name


def test_a_notice_slack_posted_before_answering_500_is_not_posted_again(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    handoff = escalate(sender, product, slack)
    slack.fail("chat.postMessage", Fault("posted_then_500", channel=f"D{CUSTOMER}"))
    press(sender, product, DANA, CLAIM, handoff)
    clock.advance(60)  # the retry looks in the channel first
    settle(product, clock)
    assert [m["text"] for m in notices(slack)] == ["Dana" + PROMISE]
    assert slack.attempts("conversations.history") >= 1


@pytest.mark.parametrize("action", [RETURN, RESOLVE])
def test_a_claim_undone_before_its_notice_is_posted_tells_no_one_has_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, action: str
) -> None:
    handoff = escalate(sender, product, slack)
    before = said_to_customer(slack)
    # Dana claims and at once returns or resolves it, before any worker has run: the notice
    # queued by the claim must not promise a reply from someone who no longer has the case.
    assert sender.action(DANA, CLAIM, handoff, AGENTS) == 200
    assert sender.action(DANA, action, handoff, AGENTS) == 200
    settle(product)
    assert notices(slack) == []
    # the customer's lane is not held by it: what comes after it is said
    assert said_to_customer(slack)[len(before) :] == ([BACK_WITH_BOT] if action == RETURN else [])
    with SqlUnitOfWork(product.sessions, read_only=True) as uow:
        assert uow.outbox.counts().get("pending", 0) == 0


def test_a_notice_for_a_claim_taken_over_since_is_not_posted_for_the_first_agent(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    first = escalate(sender, product, slack)
    assert sender.action(DANA, CLAIM, first, AGENTS) == 200
    assert sender.action(DANA, RETURN, first, AGENTS) == 200
    second = escalate(sender, product, slack)  # settles: Dana's notice is finished unposted
    press(sender, product, SAM, CLAIM, second)
    assert [m["text"] for m in notices(slack)] == ["Sam Okafor" + PROMISE]


# --- names off ---------------------------------------------------------------------------------


def test_with_names_off_the_customer_is_told_a_person_has_their_case(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    assert "without the agent's name" in command(sender, ADMIN, "names off")
    press(sender, product, DANA, CLAIM, escalate(sender, product, slack))
    assert [m["text"] for m in notices(slack)] == [GENERIC]
    assert name_lookups(slack) == 0  # no name is even looked up

    assert "display name" in command(sender, ADMIN, "names on")
    press(sender, product, DANA, RETURN, handoff_of(cards(slack)[-1]))
    press(sender, product, SAM, CLAIM, escalate(sender, product, slack))
    assert [m["text"] for m in notices(slack)] == [GENERIC, "Sam Okafor" + PROMISE]


def test_names_turned_off_after_a_claim_cover_its_notice_not_yet_posted(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = escalate(sender, product, slack)
    assert sender.action(DANA, CLAIM, handoff, AGENTS) == 200  # queued with names on
    assert "without the agent's name" in command(sender, ADMIN, "names off")
    settle(product)
    assert [m["text"] for m in notices(slack)] == [GENERIC]
    assert name_lookups(slack) == 0


def test_names_alone_says_which_and_changes_nothing(sender: SlackSender, product: Product) -> None:
    assert "display name" in command(sender, ADMIN, "names")
    command(sender, ADMIN, "names off")
    answer = command(sender, ADMIN, "names")
    assert "without the agent's name" in answer
    assert "`/escalation names on`" in answer
    assert names_on(product) is False


@pytest.mark.parametrize("typed", ["maybe", "off please", "0", "on off"])
def test_names_with_bad_input_gives_the_usage_and_changes_nothing(
    sender: SlackSender, product: Product, typed: str
) -> None:
    answer = command(sender, ADMIN, f"names {typed}")
    assert answer.startswith("Usage: `/escalation names off`")
    assert answer.endswith("Nothing was changed.")
    assert names_on(product) is True


def test_only_admins_turn_names_off(sender: SlackSender, product: Product) -> None:
    answer = command(sender, DANA, "names off")
    assert "Only workspace admins" in answer
    assert "Nothing was changed." in answer
    assert names_on(product) is True


def test_help_lists_names(sender: SlackSender) -> None:
    assert "`names off` / `names on`" in command(sender, ADMIN, "help")


def names_on(product: Product) -> bool:
    with SqlUnitOfWork(product.sessions, read_only=True) as uow:
        return uow.desk.config("T1").agent_names


# --- claims again, closes without a claim --------------------------------------------------------


def test_each_claim_tells_the_customer_again_a_returned_card_tells_nothing(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    first = escalate(sender, product, slack)
    press(sender, product, DANA, CLAIM, first)
    press(sender, product, DANA, RETURN, first)
    assert said_to_customer(slack)[-1] == BACK_WITH_BOT
    press(sender, product, SAM, CLAIM, first)  # the old card: already returned
    assert told_to(slack, SAM)[-1] == "This handoff is already returned."
    assert [m["text"] for m in notices(slack)] == ["Dana" + PROMISE]

    second = escalate(sender, product, slack)  # the customer asks for a person again
    press(sender, product, SAM, CLAIM, second)
    assert [m["text"] for m in notices(slack)] == ["Dana" + PROMISE, "Sam Okafor" + PROMISE]


@pytest.mark.parametrize("action", [RESOLVE, RETURN])
def test_an_admin_closing_an_unclaimed_handoff_tells_no_one_has_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, action: str
) -> None:
    handoff = escalate(sender, product, slack)
    before = said_to_customer(slack)
    press(sender, product, ADMIN, action, handoff)
    after = said_to_customer(slack)[len(before) :]
    assert after == ([] if action == RESOLVE else [BACK_WITH_BOT])
    assert notices(slack) == []
    assert name_lookups(slack) == 0


def test_the_notice_is_not_an_answer_to_what_the_customer_wrote(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    handoff = escalate(sender, product, slack)
    sender.dm(CUSTOMER, "where is my order 1042?")  # while waiting; nobody answers it
    settle(product, clock)
    press(sender, product, DANA, CLAIM, handoff)
    before = said_to_customer(slack)
    press(sender, product, DANA, RETURN, handoff)
    settle(product, clock)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    (answer,) = after[1:]
    assert "1042" in answer
