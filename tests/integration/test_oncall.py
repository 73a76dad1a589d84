"""On-call routing as the desk meets it: `/escalation oncall`, cards and reminders that mention
the group, and round robin's offers, through the real Bolt App over HTTP, the loopback Slack
Web API (user groups and presence), the test clock, and both databases."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.composition import Product
from bot.workers.offers import OncallOffers
from db.desk import DeskConfig, OncallGroup
from db.models import HandoffRow, OutboxMessage
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM
from handlers.slack.sender import SlackSender as PostingSender
from handlers.slack.sender import make_posting_client
from tests.clock import Clock
from tests.integration.desk_product import ADMIN, command
from tests.integration.mock_slack import Fault, MockSlackAPI, SlackSender

AGENTS = "C0AGENTS"
AGENT = "U0AGENT1"
CUSTOMERS = ("U0CUST1", "U0CUST2", "U0CUST3")
GROUP = "S0ONCALL"
PICKED = f"<!subteam^{GROUP}|@support-oncall>"
AMY, BEN, CAL = "U0AMY", "U0BEN", "U0CAL"
# Wednesday 2 December 2026, 10:00 in Berlin (09:00 UTC)
WEDNESDAY_MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={
            ADMIN: {"id": ADMIN, "is_admin": True},
            AGENT: {"id": AGENT, "is_admin": False},
            **{c: {"id": c, "is_admin": False} for c in CUSTOMERS},
        },
        usergroups=[
            {"id": GROUP, "handle": "support-oncall", "name": "Support on call"},
            {"id": "S0OTHER", "handle": "billing", "name": "Billing"},
        ],
        usergroup_members={GROUP: [AMY, BEN, CAL]},
        active={BEN, CAL},
    ).start()
    yield api
    api.stop()


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = WEDNESDAY_MORNING
    return clock


def settle(product: Product) -> None:
    assert product.timers is not None
    for _ in range(8):
        done = product.inbox_worker.run_until_idle() + product.timers.run_until_idle()
        if not done + product.drainer.run_until_idle():
            return


def config(product: Product) -> DeskConfig:
    with SqlUnitOfWork(product.sessions) as uow:
        return uow.desk.config("T1")


def cards(slack: MockSlackAPI) -> list[dict[str, Any]]:
    return [m for m in slack.messages_in(AGENTS) if m.get("blocks")]


def escalate(
    sender: SlackSender, product: Product, slack: MockSlackAPI, customer: str = CUSTOMERS[0]
) -> tuple[str, str]:
    """A customer asks for a person: the handoff's id (the Claim button) and the card's ts."""
    sender.dm(customer, "I want to talk to a human")
    settle(product)
    card = cards(slack)[-1]
    blocks = card["blocks"] if isinstance(card["blocks"], list) else json.loads(card["blocks"])
    claim = next(
        str(e["value"])
        for b in blocks
        for e in b.get("elements", [])
        if e.get("action_id") == CLAIM
    )
    with SqlUnitOfWork(product.sessions) as uow:
        card_ts = uow.handoffs.get(int(claim)).card_ts
    assert card_ts
    return claim, card_ts


def in_thread(slack: MockSlackAPI, ts: str) -> list[str]:
    return [m["text"] for m in slack.messages_in(AGENTS) if m.get("thread_ts") == ts]


def offers_in(slack: MockSlackAPI, ts: str) -> list[str]:
    """The thread's round robin posts: an offer (a person mentioned) or the group's call."""
    return [t for t in in_thread(slack, ts) if ":raising_hand:" in t or ":rotating_light:" in t]


def offered(product: Product, handoff_id: str) -> list[str]:
    with SqlUnitOfWork(product.sessions) as uow:
        return uow.desk.offers(int(handoff_id))


def at(clock: Clock, product: Product, moment: datetime) -> None:
    clock.now = moment
    settle(product)


# --- the command -----------------------------------------------------------------------------


def test_a_group_picked_from_slacks_suggestions_is_set_without_a_lookup(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    answer = command(sender, f"oncall {PICKED}")
    assert "On-call group: `@support-oncall`" in answer
    assert "New handoff cards mention it" in answer
    assert config(product).oncall == OncallGroup(GROUP, "support-oncall", False)
    assert slack.attempts("usergroups.list") == 0
    assert "`@support-oncall` (new cards and their reminders mention it)" in command(
        sender, "oncall"
    )


@pytest.mark.parametrize("typed", ["@support-oncall", "support-oncall", "@Support-Oncall"])
def test_a_typed_handle_is_looked_up(
    sender: SlackSender, product: Product, slack: MockSlackAPI, typed: str
) -> None:
    assert "On-call group: `@support-oncall`" in command(sender, f"oncall {typed}")
    assert config(product).oncall == OncallGroup(GROUP, "support-oncall", False)
    assert slack.attempts("usergroups.list") == 1


def test_round_robin_with_a_typed_handle_asks_for_the_groups_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    """The lookup itself proved the app may read user groups: no second usergroups.list in
    the ack (Slack gives the ack 3 seconds)."""
    answer = command(sender, "oncall @support-oncall round-robin")
    assert "round robin" in answer
    assert config(product).oncall == OncallGroup(GROUP, "support-oncall", True)
    assert slack.attempts("usergroups.list") == 1


def test_round_robin_without_a_target_says_how_long_an_offer_waits(
    sender: SlackSender, product: Product
) -> None:
    answer = command(sender, f"oncall {PICKED} round-robin")
    assert "round robin" in answer
    assert "next member of the group who is active in Slack" in answer
    assert "No time-to-claim target is set, so an offer waits 10 minutes" in answer
    assert config(product).oncall == OncallGroup(GROUP, "support-oncall", True)
    command(sender, "sla 1h")
    answer = command(sender, "oncall @support-oncall round-robin")
    assert "within 1 hour, it passes to the next active member" in answer
    assert "No time-to-claim target" not in answer
    assert "passed on after 1 hour" in command(sender, "oncall")


@pytest.mark.parametrize(
    ("fault", "told"),
    [
        (None, "I can't find a user group with the handle @nobody-here"),
        ("missing_scope", "the app lacks usergroups:read"),
        ("http_500", "I couldn't look user groups up just now"),
    ],
)
def test_a_group_that_cannot_be_found_changes_nothing(
    sender: SlackSender, product: Product, slack: MockSlackAPI, fault: str | None, told: str
) -> None:
    command(sender, f"oncall {PICKED}")
    if fault is not None:
        slack.fail("usergroups.list", Fault(fault, times=5))
    answer = command(sender, "oncall @nobody-here")
    assert told in answer
    assert answer.endswith("Nothing was changed.")
    assert config(product).oncall == OncallGroup(GROUP, "support-oncall", False)


def test_round_robin_is_refused_when_the_app_may_not_read_the_group(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.fail("usergroups.list", Fault("missing_scope"))
    answer = command(sender, f"oncall {PICKED} round-robin")
    assert "lacks usergroups:read" in answer
    assert answer.endswith("Nothing was changed.")
    assert config(product).oncall is None


@pytest.mark.parametrize(
    "text", ["oncall", f"oncall {PICKED}", "oncall @support-oncall round-robin", "oncall off"]
)
def test_only_admins_may_see_or_change_the_on_call_group(
    sender: SlackSender, product: Product, slack: MockSlackAPI, text: str
) -> None:
    command(sender, f"oncall {PICKED}")
    answer = command(sender, text, user=AGENT)
    assert answer.startswith("Only workspace admins or the bot's configured admins")
    assert "Nothing was changed." in answer
    assert config(product).oncall == OncallGroup(GROUP, "support-oncall", False)


def test_off_clears_the_group_and_bad_words_get_the_usage(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    command(sender, f"oncall {PICKED} round-robin")
    looked_up = slack.attempts("usergroups.list")  # round robin checked it may read the group
    assert "Usage: `/escalation oncall @group`" in command(sender, "oncall @a @b")
    assert "Usage" in command(sender, "oncall <!here>")
    assert "Round robin needs the group" in command(sender, "oncall round-robin")
    assert slack.attempts("usergroups.list") == looked_up  # none of these asked Slack
    assert config(product).oncall is not None
    assert "On-call routing is off" in command(sender, "oncall off")
    assert config(product).oncall is None
    assert "On-call group: none" in command(sender, "oncall")
    assert "`oncall @group`" in command(sender, "help")


# --- cards and reminders mention the group ----------------------------------------------------


def test_a_new_card_mentions_the_on_call_group_and_its_reminder_at_the_target(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "sla 10m")
    command(sender, f"oncall {PICKED}")
    _, card_ts = escalate(sender, product, slack)
    (card,) = cards(slack)
    assert card["text"].startswith(f"<!subteam^{GROUP}> ")
    assert f"<!subteam^{GROUP}>" in json.dumps(card["blocks"])
    posted = clock.now

    at(clock, product, posted + timedelta(minutes=9, seconds=59))
    assert in_thread(slack, card_ts) == []  # not before the target
    at(clock, product, posted + timedelta(minutes=10))
    (reminder,) = in_thread(slack, card_ts)
    assert reminder.startswith(f"<!subteam^{GROUP}> :alarm_clock: Still unclaimed after 10 min")
    assert slack.attempts("users.getPresence") == 0  # no round robin: nobody's presence read


def test_without_a_group_nothing_is_mentioned(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "sla 10m")
    _, card_ts = escalate(sender, product, slack)
    (card,) = cards(slack)
    assert "subteam" not in card["text"] + json.dumps(card["blocks"])
    at(clock, product, clock.now + timedelta(minutes=10))
    (reminder,) = in_thread(slack, card_ts)
    assert reminder.startswith(":alarm_clock: Still unclaimed after 10 minutes")


def test_what_a_customer_types_that_looks_like_a_mention_stays_text(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, f"oncall {PICKED}")
    handoff_id, card_ts = escalate(sender, product, slack)
    assert sender.action(AGENT, CLAIM, handoff_id, AGENTS) == 200
    settle(product)
    sender.dm(CUSTOMERS[0], "still here &lt;!subteam^S1&gt; &lt;@U0BEN&gt;")  # as Slack sends it
    settle(product)
    (relayed,) = [t for t in in_thread(slack, card_ts) if t.startswith("Customer:")]
    assert "<!subteam^S1>" not in relayed
    assert "&lt;!subteam^S1&gt;" in relayed
    assert "<@U0BEN>" not in relayed


def test_only_the_posts_own_mention_comes_through(slack: MockSlackAPI) -> None:
    posting = PostingSender(make_posting_client(token="xoxb-test", base_url=slack.url))
    posting.post_message(channel=AGENTS, text="<!subteam^S1> hi <!channel>", mention={"user": "U1"})
    posting.post_message(channel=AGENTS, text="x", mention={"group": "S1|@all> <!channel"})
    posting.post_message(channel=AGENTS, text="y", mention={"user": "U1", "group": "S1"})
    texts = [m["text"] for m in slack.messages_in(AGENTS)]
    assert texts == ["<@U1> &lt;!subteam^S1&gt; hi &lt;!channel&gt;", "x", "y"]


# --- round robin ------------------------------------------------------------------------------


def round_robin(sender: SlackSender, *, target: str | None = "10m") -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    if target:
        command(sender, f"sla {target}")
    command(sender, f"oncall {PICKED} round-robin")


def test_round_robin_offers_the_next_active_member_and_passes_on_after_the_target(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    handoff_id, card_ts = escalate(sender, product, slack)
    (card,) = cards(slack)
    assert "subteam" not in card["text"]  # with round robin the card pings nobody itself
    posted = clock.now
    (offer,) = offers_in(slack, card_ts)  # Amy is away: Ben
    assert offer.startswith(f"<@{BEN}> :raising_hand: You're next on call")
    assert "within 10 minutes, it passes to the next active member of @support-oncall" in offer
    assert offered(product, handoff_id) == [BEN]

    at(clock, product, posted + timedelta(minutes=9, seconds=59))
    assert len(offers_in(slack, card_ts)) == 1  # not before the target
    at(clock, product, posted + timedelta(minutes=10))
    assert offers_in(slack, card_ts)[1].startswith(f"<@{CAL}> :raising_hand:")
    assert offered(product, handoff_id) == [BEN, CAL]
    # the reminder at the target mentions nobody: the offers do the asking
    reminders = [t for t in in_thread(slack, card_ts) if ":alarm_clock:" in t]
    assert reminders
    assert reminders[0].startswith(":alarm_clock:")

    at(clock, product, posted + timedelta(minutes=20))  # Amy still away: the whole group
    last = offers_in(slack, card_ts)[2]
    assert last.startswith(f"<!subteam^{GROUP}> :rotating_light: Everyone active in @support")
    at(clock, product, posted + timedelta(hours=3))
    assert len(offers_in(slack, card_ts)) == 3  # once; the chain has stopped
    assert offered(product, handoff_id) == [BEN, CAL]

    # the next handoff starts after the one offered last (Cal): round to Amy (away), then Ben
    second, second_ts = escalate(sender, product, slack, CUSTOMERS[1])
    assert offered(product, second) == [BEN]
    assert offers_in(slack, second_ts)[0].startswith(f"<@{BEN}> ")


def test_an_offer_waits_in_business_time(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    round_robin(sender, target="1h")
    clock.now = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Friday 17:00 in Berlin
    handoff_id, card_ts = escalate(sender, product, slack)
    assert offered(product, handoff_id) == [BEN]  # offered at once: the team is in
    assert "within 1 hour of business hours" in offers_in(slack, card_ts)[0]
    # 30 minutes on Friday; the other 30 after 09:00 on Monday (08:00 UTC)
    at(clock, product, datetime(2026, 12, 7, 8, 29, tzinfo=UTC))
    assert offered(product, handoff_id) == [BEN]
    at(clock, product, datetime(2026, 12, 7, 8, 30, tzinfo=UTC))
    assert offered(product, handoff_id) == [BEN, CAL]


def test_round_robin_goes_round_the_group_across_handoffs(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.active.add(AMY)
    round_robin(sender)
    firsts = [offered(product, escalate(sender, product, slack, c)[0]) for c in CUSTOMERS]
    assert firsts == [[AMY], [BEN], [CAL]]


def test_handoffs_due_in_one_sweep_go_round_and_ask_slack_little(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.active.add(AMY)
    round_robin(sender)
    for customer in CUSTOMERS:
        sender.dm(customer, "I want to talk to a human")
    product.inbox_worker.run_until_idle()
    product.drainer.run_until_idle()  # the cards: a step is made only in a posted card's thread
    assert product.timers is not None
    assert product.timers.work_once() == 3  # one sweep makes all three first offers
    with SqlUnitOfWork(product.sessions) as uow:
        handoffs = sorted(uow.session.scalars(select(HandoffRow.id)))
    assert [offered(product, str(h)) for h in handoffs] == [[AMY], [BEN], [CAL]]
    # the group's members read once, each person's presence once (kept a little)
    assert slack.attempts("usergroups.users.list") == 1
    assert slack.attempts("users.getPresence") == 3


def test_when_nobody_is_active_the_group_is_mentioned_at_the_target_and_only_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.active.clear()
    round_robin(sender, target=None)  # no target: an offer would wait 10 minutes
    start = clock.now
    handoff_id, card_ts = escalate(sender, product, slack)
    assert offers_in(slack, card_ts) == []  # nobody active: looked again, the group not paged
    presence_reads = slack.attempts("users.getPresence")
    at(clock, product, start + timedelta(minutes=9, seconds=59))
    assert offers_in(slack, card_ts) == []
    assert slack.attempts("users.getPresence") > presence_reads  # looked again meanwhile
    at(clock, product, start + timedelta(minutes=10))
    (call,) = offers_in(slack, card_ts)
    assert call.startswith(f"<!subteam^{GROUP}> :rotating_light: Nobody in @support-oncall is")
    at(clock, product, clock.now + timedelta(hours=2))
    assert len(offers_in(slack, card_ts)) == 1
    assert offered(product, handoff_id) == []


def test_someone_active_before_the_target_is_offered_it_and_the_group_not_paged(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.active.clear()
    round_robin(sender)
    start = clock.now
    handoff_id, card_ts = escalate(sender, product, slack)
    slack.active.add(CAL)
    at(clock, product, start + timedelta(minutes=5))
    (offer,) = offers_in(slack, card_ts)
    assert offer.startswith(f"<@{CAL}> :raising_hand:")
    assert offered(product, handoff_id) == [CAL]


def test_outside_hours_nobody_is_paged_and_the_first_offer_comes_at_the_opening(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    round_robin(sender, target="1h")
    slack.active.clear()
    clock.now = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # Saturday 03:00 in Berlin
    handoff_id, card_ts = escalate(sender, product, slack)
    at(clock, product, datetime(2026, 12, 6, 22, 0, tzinfo=UTC))  # Sunday 23:00
    assert offers_in(slack, card_ts) == []
    assert slack.attempts("users.getPresence") == 0  # nobody even looked at
    slack.active.add(BEN)
    at(clock, product, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday 09:00 in Berlin
    assert offered(product, handoff_id) == [BEN]
    assert not any("subteam" in t for t in offers_in(slack, card_ts))


def test_a_step_due_in_hours_but_made_after_closing_waits_for_the_opening(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    """The workers were down from Friday afternoon: the pass-on due at 16:10 is made Monday."""
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    round_robin(sender)
    clock.now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 16:00 in Berlin
    handoff_id, card_ts = escalate(sender, product, slack)
    assert offered(product, handoff_id) == [BEN]
    at(clock, product, datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # Saturday 03:00
    assert offered(product, handoff_id) == [BEN]
    assert len(offers_in(slack, card_ts)) == 1
    at(clock, product, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday 09:00
    assert offered(product, handoff_id) == [BEN, CAL]


def test_a_held_card_is_offered_to_nobody_until_it_is_posted(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, "sla 10m")
    command(sender, f"oncall {PICKED} round-robin")  # no handoff channel yet: the card waits
    sender.dm(CUSTOMERS[0], "I want to talk to a human")
    settle(product)
    start = clock.now
    for minutes in (10, 20, 30):
        at(clock, product, start + timedelta(minutes=minutes))
    with SqlUnitOfWork(product.sessions) as uow:
        (handoff_id,) = uow.session.scalars(select(HandoffRow.id))
        assert uow.desk.last_offered("T1") is None  # the pointer has not moved
    assert offered(product, str(handoff_id)) == []
    command(sender, f"channel <#{AGENTS}|agents>")
    settle(product)
    (card,) = cards(slack)
    (offer,) = offers_in(slack, card["ts"])  # offered now, in the card's thread
    assert offer.startswith(f"<@{BEN}> :raising_hand:")
    at(clock, product, clock.now + timedelta(minutes=10))
    assert offered(product, str(handoff_id)) == [BEN, CAL]  # and the chain goes on


def test_a_group_round_robin_cannot_read_is_mentioned_whole_with_why(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    round_robin(sender)
    slack.fail("usergroups.users.list", Fault("missing_scope"))
    _, card_ts = escalate(sender, product, slack)
    (call,) = offers_in(slack, card_ts)
    assert call.startswith(f"<!subteam^{GROUP}> :rotating_light: I couldn't read who is in")
    assert "lacks usergroups:read" in call


def test_a_moment_of_slack_trouble_delays_the_offer_and_does_not_skip_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    slack.fail("users.getPresence", Fault("ratelimited", retry_after=30))
    handoff_id, card_ts = escalate(sender, product, slack)
    assert offers_in(slack, card_ts) == []
    at(clock, product, clock.now + timedelta(seconds=31))
    (offer,) = offers_in(slack, card_ts)
    assert offer.startswith(f"<@{BEN}> ")
    assert offered(product, handoff_id) == [BEN]


def test_a_step_overdue_after_a_restart_waits_out_one_rate_limit(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    """The give-up counts from the step's first failure, not from its due time."""
    round_robin(sender)
    sender.dm(CUSTOMERS[0], "I want to talk to a human")
    product.inbox_worker.run_until_idle()  # the timers worker is down
    product.drainer.run_until_idle()
    clock.now += timedelta(minutes=6)  # it comes back
    slack.fail("users.getPresence", Fault("ratelimited", retry_after=30))
    settle(product)
    (card,) = cards(slack)
    assert offers_in(slack, card["ts"]) == []
    at(clock, product, clock.now + timedelta(seconds=31))
    (offer,) = offers_in(slack, card["ts"])
    assert offer.startswith(f"<@{BEN}> ")


def test_a_hung_slack_is_waited_on_once_per_sweep(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    round_robin(sender)
    slack.fail("usergroups.users.list", Fault("posted_then_hang", times=3, hang=7))
    for customer in CUSTOMERS:
        sender.dm(customer, "I want to talk to a human")
    product.inbox_worker.run_until_idle()
    product.drainer.run_until_idle()
    assert product.timers is not None
    started = time.monotonic()
    product.timers.work_once()
    assert time.monotonic() - started < 6.5  # one read timeout (5 s), not one per step
    assert slack.attempts("usergroups.users.list") == 1


def test_slack_failing_for_minutes_has_the_whole_group_mentioned(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    slack.fail("usergroups.users.list", Fault("internal_error", times=1000))  # HTTP 200
    start = clock.now
    handoff_id, card_ts = escalate(sender, product, slack)
    for seconds in range(0, 300, 10):
        at(clock, product, start + timedelta(seconds=seconds))
    assert offers_in(slack, card_ts) == []
    # asked at 0, 30, 60 ... 270 seconds (not at every sweep)
    assert slack.attempts("usergroups.users.list") == 10
    at(clock, product, start + timedelta(minutes=5))
    (call,) = offers_in(slack, card_ts)
    assert call.startswith(f"<!subteam^{GROUP}> :rotating_light: I couldn't read who is in")
    assert "(Slack answered internal_error)" in call
    assert offered(product, handoff_id) == []


def test_an_offer_queued_before_a_claim_is_not_posted_after_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    handoff_id, card_ts = escalate(sender, product, slack)
    clock.now += timedelta(minutes=10)
    slack.fail("chat.postMessage", Fault("ratelimited", retry_after=30, channel=AGENTS))
    settle(product)  # the pass-on to Cal and the reminder are queued; the channel rests
    assert offered(product, handoff_id) == [BEN, CAL]
    assert sender.action(AMY, CLAIM, handoff_id, AGENTS) == 200
    at(clock, product, clock.now + timedelta(seconds=31))
    assert len(offers_in(slack, card_ts)) == 1  # only Ben's, from before
    assert not [t for t in in_thread(slack, card_ts) if ":alarm_clock:" in t]
    with SqlUnitOfWork(product.sessions) as uow:
        left = uow.session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == "card_thread")
        ).all()
    assert left
    assert all(status == "sent" for status in left)  # finished, not left pending


def test_a_customers_words_still_reach_a_claimed_handoffs_thread(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    handoff_id, card_ts = escalate(sender, product, slack)
    assert sender.action(AMY, CLAIM, handoff_id, AGENTS) == 200
    sender.dm(CUSTOMERS[0], "are you there?")
    settle(product)
    assert any("are you there?" in t for t in in_thread(slack, card_ts))


def test_the_last_possible_offer_says_the_group_is_called_next(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.active.add(AMY)
    round_robin(sender)
    _, card_ts = escalate(sender, product, slack)
    start = clock.now
    for minutes in (10, 20):
        at(clock, product, start + timedelta(minutes=minutes))
    first, second, last = offers_in(slack, card_ts)
    assert "it passes to the next active member of @support-oncall" in first
    assert "the whole group is called" in second
    assert last.startswith(f"<@{CAL}> ")
    assert "within 10 minutes, the whole of @support-oncall is called." in last
    assert "next active member" not in last


def test_a_member_past_the_first_forty_presence_reads_is_still_offered(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    class BigRoster:
        def __init__(self, members: tuple[str, ...], active: set[str]) -> None:
            self.group, self.active, self.asked = members, active, 0

        def members(self, group_id: str) -> tuple[str, ...]:
            return self.group

        def is_active(self, user_id: str) -> bool:
            self.asked += 1
            return user_id in self.active

    round_robin(sender)
    members = tuple(f"U{i:03d}" for i in range(50))
    roster = BigRoster(members, {members[44]})
    sender.dm(CUSTOMERS[0], "I want to talk to a human")
    product.inbox_worker.run_until_idle()
    product.drainer.run_until_idle()
    offers = OncallOffers(sessions=product.sessions, rosters=lambda _: roster, clock=clock)
    offers.work_once()
    assert roster.asked == 40
    assert offer_posts(product) == []  # not "nobody is active": the rest are read next
    clock.now += timedelta(minutes=1)
    offers.work_once()
    (post,) = offer_posts(product)
    assert post["mention"] == {"user": members[44]}
    assert roster.asked == 45


def test_a_claim_stops_the_offers(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    handoff_id, card_ts = escalate(sender, product, slack)
    assert offered(product, handoff_id) == [BEN]
    clock.now += timedelta(minutes=4)
    assert sender.action(CAL, CLAIM, handoff_id, AGENTS) == 200
    at(clock, product, clock.now + timedelta(hours=1))
    assert len(offers_in(slack, card_ts)) == 1
    assert offered(product, handoff_id) == [BEN]
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.desk.timers(int(handoff_id))["oncall_offer"] == "skipped"


def test_round_robin_turned_off_ends_a_chain_in_progress(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    handoff_id, card_ts = escalate(sender, product, slack)
    command(sender, f"oncall {PICKED}")
    at(clock, product, clock.now + timedelta(hours=1))
    assert len(offers_in(slack, card_ts)) == 1
    assert offered(product, handoff_id) == [BEN]


# --- several sweepers at once ---------------------------------------------------------------


class GatedRoster:
    """Everyone active; the first `gated` reads of the group wait for `release`, so sweepers
    that have each read the same due steps race to make them."""

    def __init__(self, gated: int, members: tuple[str, ...] = (AMY, BEN, CAL)) -> None:
        self.gated = gated
        self.group = members
        self.reads = 0
        self.release = threading.Event()
        self.read = threading.Condition()

    def members(self, group_id: str) -> tuple[str, ...]:
        with self.read:
            self.reads += 1
            gated = self.reads <= self.gated
            self.read.notify_all()
        if gated:
            assert self.release.wait(timeout=10)
        return self.group

    def is_active(self, user_id: str) -> bool:
        return True


def race(product: Product, clock: Clock, roster: GatedRoster, sweepers: int) -> None:
    """`sweepers` sweep at once: each has read the due steps (and let go of them) before the
    next starts, then all make them together; then each sweeps until nothing is left."""
    racing = [
        OncallOffers(sessions=product.sessions, rosters=lambda _: roster, clock=clock)
        for _ in range(sweepers)
    ]
    threads = [threading.Thread(target=sweeper.work_once) for sweeper in racing]
    for started, thread in enumerate(threads, start=1):
        thread.start()
        with roster.read:
            assert roster.read.wait_for(lambda n=started: roster.reads >= n, timeout=10)
    roster.release.set()
    for thread in threads:
        thread.join(timeout=30)
    for sweeper in racing:  # a step that lost the group's pointer to another is made again
        while sweeper.work_once():
            pass


def offer_posts(product: Product) -> list[dict[str, Any]]:
    with SqlUnitOfWork(product.sessions) as uow:
        return list(
            uow.session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.kind == "card_thread")
                .order_by(OutboxMessage.id)
            )
        )


def test_sweepers_at_once_make_each_step_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    round_robin(sender)
    sender.dm(CUSTOMERS[0], "I want to talk to a human")
    sender.dm(CUSTOMERS[1], "I want to talk to a human")
    product.inbox_worker.run_until_idle()  # two handoffs, their first offers due, none made
    product.drainer.run_until_idle()  # their cards posted
    race(product, clock, GatedRoster(3), sweepers=3)
    with SqlUnitOfWork(product.sessions) as uow:
        handoffs = sorted(uow.session.scalars(select(HandoffRow.id)))
        made = [uow.desk.offers(h) for h in handoffs]
    assert made == [[AMY], [BEN]]  # each handoff offered once, to different members
    assert sorted(p["mention"]["user"] for p in offer_posts(product)) == [AMY, BEN]


def test_sweepers_at_once_offer_a_one_member_group_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    """The pointer does not move (Amy after Amy): only the timer's own compare-and-set keeps
    a second sweeper from offering the same step again."""
    round_robin(sender)
    sender.dm(CUSTOMERS[0], "I want to talk to a human")
    product.inbox_worker.run_until_idle()
    product.drainer.run_until_idle()
    race(product, clock, GatedRoster(0, members=(AMY,)), sweepers=1)  # Amy was offered last
    sender.dm(CUSTOMERS[1], "I want to talk to a human")
    product.inbox_worker.run_until_idle()
    product.drainer.run_until_idle()
    race(product, clock, GatedRoster(3, members=(AMY,)), sweepers=3)
    with SqlUnitOfWork(product.sessions) as uow:
        handoffs = sorted(uow.session.scalars(select(HandoffRow.id)))
        made = [uow.desk.offers(h) for h in handoffs]
    assert made == [[AMY], [AMY]]
    assert [p["mention"] for p in offer_posts(product)] == [{"user": AMY}, {"user": AMY}]
