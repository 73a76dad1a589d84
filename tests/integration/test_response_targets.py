"""Response targets and business hours as the desk meets them: the real Bolt App over HTTP,
the loopback Slack Web API, the test clock, and both databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.composition import Product
from bot.desk.targets import DeskTargets, describe_duration, parse_duration
from db.models import DeskSettings
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM
from tests.clock import Clock
from tests.integration.desk_product import ADMIN, command
from tests.integration.mock_slack import MockSlackAPI, SlackSender

AGENTS = "C0AGENTS"
CUSTOMER = "U0CUST"
# Wednesday 2 December 2026, 10:00 in Berlin (09:00 UTC)
WEDNESDAY_MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={
            ADMIN: {"id": ADMIN, "is_admin": True},
            "U0AGENT1": {"id": "U0AGENT1", "is_admin": False},
            CUSTOMER: {"id": CUSTOMER, "is_admin": False},
        }
    ).start()
    yield api
    api.stop()


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = WEDNESDAY_MORNING
    return clock


def settle(product: Product) -> None:
    """What the background threads do: turns, timers, posts, until nothing is left."""
    assert product.timers is not None
    for _ in range(6):
        done = product.inbox_worker.run_until_idle() + product.timers.run_until_idle()
        if not done + product.drainer.run_until_idle():
            return


def escalate(sender: SlackSender, product: Product, slack: MockSlackAPI) -> tuple[str, str]:
    """A customer asks for a person: the handoff's id (the Claim button) and the card's ts."""
    sender.dm(CUSTOMER, "I want to talk to a human")
    settle(product)
    (card,) = [m for m in slack.messages_in(AGENTS) if m.get("blocks")]
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


def admin_dms(slack: MockSlackAPI) -> list[str]:
    return [m["text"] for m in slack.messages_in(ADMIN)]


def replies(slack: MockSlackAPI) -> list[str]:
    return [m["text"] for m in slack.messages_in(f"D{CUSTOMER}")]


def at(clock: Clock, product: Product, moment: datetime) -> None:
    clock.now = moment
    settle(product)


# --- response targets -------------------------------------------------------------------------


def test_an_unclaimed_card_is_reminded_once_at_the_target_and_the_admins_told_once_at_twice(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    assert "10 minutes" in command(sender, "sla 10m")
    _, card_ts = escalate(sender, product, slack)
    posted = clock.now

    at(clock, product, posted + timedelta(minutes=9, seconds=59))
    assert in_thread(slack, card_ts) == []  # not before the target

    at(clock, product, posted + timedelta(minutes=10))
    (reminder,) = in_thread(slack, card_ts)
    assert "Still unclaimed after 10 minutes" in reminder
    assert admin_dms(slack) == []

    at(clock, product, posted + timedelta(minutes=19))
    assert len(in_thread(slack, card_ts)) == 1  # once
    assert admin_dms(slack) == []

    at(clock, product, posted + timedelta(minutes=20))
    (notice,) = admin_dms(slack)
    assert "still unclaimed after 20 minutes" in notice
    assert "twice the time-to-claim target" in notice

    at(clock, product, posted + timedelta(hours=5))
    assert len(in_thread(slack, card_ts)) == 1
    assert len(admin_dms(slack)) == 1


def test_a_claimed_card_gets_no_reminder_and_no_notice(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "sla 10m")
    handoff_id, card_ts = escalate(sender, product, slack)
    clock.now += timedelta(minutes=3)
    assert sender.action("U0AGENT1", CLAIM, handoff_id, AGENTS) == 200
    at(clock, product, clock.now + timedelta(hours=1))
    assert in_thread(slack, card_ts) == []
    assert admin_dms(slack) == []


def test_without_a_target_no_card_is_reminded(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    _, card_ts = escalate(sender, product, slack)
    at(clock, product, clock.now + timedelta(days=2))
    assert in_thread(slack, card_ts) == []
    assert admin_dms(slack) == []


def test_the_target_counts_only_business_hours(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    command(sender, "sla 1h")
    clock.now = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Friday 17:00 in Berlin
    _, card_ts = escalate(sender, product, slack)
    # 30 minutes on Friday; the other 30 after 09:00 on Monday (08:00 UTC)
    at(clock, product, datetime(2026, 12, 6, 12, 0, tzinfo=UTC))
    assert in_thread(slack, card_ts) == []
    at(clock, product, datetime(2026, 12, 7, 8, 29, tzinfo=UTC))
    assert in_thread(slack, card_ts) == []
    at(clock, product, datetime(2026, 12, 7, 8, 30, tzinfo=UTC))
    assert len(in_thread(slack, card_ts)) == 1


def test_time_to_first_agent_reply_is_measured(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    assert "Median time to first agent reply: n/a" in command(sender, "stats")
    handoff_id, card_ts = escalate(sender, product, slack)
    clock.now += timedelta(minutes=4)
    sender.action("U0AGENT1", CLAIM, handoff_id, AGENTS)
    clock.now += timedelta(minutes=2)
    for text in ("Hi, Sam here. Looking now.", "Found it."):
        sender.event(
            {
                "type": "message",
                "channel": AGENTS,
                "user": "U0AGENT1",
                "text": text,
                "ts": f"18000000{len(text):02d}.000001",
                "thread_ts": card_ts,
            }
        )
        settle(product)
        clock.now += timedelta(minutes=5)
    assert replies(slack)[-1] == "Found it."
    assert "Median time to claim: 4.0 min" in command(sender, "stats")
    # the first reply, not the last
    assert "Median time to first agent reply: 6.0 min" in command(sender, "stats")


# --- business hours, told honestly -------------------------------------------------------------


def test_out_of_hours_the_customer_hears_when_a_person_is_back(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    clock.now = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)  # Wednesday 22:00 in Berlin
    escalate(sender, product, slack)
    reply = replies(slack)[-1]
    assert "Our team is back at 09:00 (CET) tomorrow, in about 11 hours" in reply
    assert "your case is first in the queue" in reply
    assert [m for m in slack.messages_in(AGENTS) if m.get("blocks")]  # the card is posted
    # no promise of now before the notice says tomorrow, and "reply right here" said once
    before_notice = reply.split("Our team is back")[0]
    assert " now" not in before_notice
    assert reply.count("reply right here") == 1


def test_the_queue_place_counts_the_cases_still_waiting(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    command(sender, "holidays add 2026-12-24 2026-12-25")
    clock.now = datetime(2026, 12, 23, 20, 0, tzinfo=UTC)  # Wednesday night before Christmas
    escalate(sender, product, slack)
    sender.dm("U0OTHER", "get me a real person")
    settle(product)
    (second,) = [m["text"] for m in slack.messages_in("DU0OTHER")]
    assert "Our team is back at 09:00 (CET) on Monday" in second  # 24th and 25th are holidays
    assert "one case is ahead of yours" in second


def test_inside_hours_the_reply_names_no_reopening(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    escalate(sender, product, slack)  # Wednesday 10:00 in Berlin
    reply = replies(slack)[-1]
    assert "back at" not in reply
    assert "person" in reply


# --- the commands as admins type them ------------------------------------------------------------


def targets(product: Product) -> DeskTargets:
    return DeskTargets(sessions=product.sessions, clock=lambda: WEDNESDAY_MORNING)


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [
        ("10m", 600),
        ("10 m", 600),
        ("10min", 600),
        ("10 minutes", 600),
        ("2h", 7200),
        ("2 hours", 7200),
        ("90s", 90),
        ("90 seconds", 90),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1 hour and 30 minutes", 5400),
        ("1H30M", 5400),
        ("1d", 86400),
    ],
)
def test_a_target_is_read_however_it_is_typed(typed: str, seconds: int) -> None:
    assert parse_duration(typed) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "typed",
    ["10", "ten minutes", "10 parsecs", "-5m", "1.5h", "10m!", "m10", "0m", "8d", "0"],
)
def test_a_target_that_cannot_be_used_is_answered_with_the_usage_and_nothing_changes(
    sender: SlackSender, product: Product, typed: str
) -> None:
    command(sender, "sla 15m")
    answer = command(sender, f"sla {typed}")
    assert "Usage: `/escalation sla" in answer
    assert "Nothing was changed" in answer
    assert targets(product).config("T1").claim_target == timedelta(minutes=15)


def test_a_target_is_turned_off_and_shown(sender: SlackSender, product: Product) -> None:
    command(sender, "sla 2h")
    assert "Time-to-claim target: 2 hours" in command(sender, "sla")
    assert "off" in command(sender, "sla off")
    assert targets(product).config("T1").claim_target is None
    assert "Time-to-claim target: off" in command(sender, "sla")


def test_only_admins_set_targets_and_hours(sender: SlackSender, product: Product) -> None:
    for text in ("sla 10m", "hours Mon-Fri 09:00-17:00 UTC", "holidays add 2026-12-24"):
        status, body = sender.command("U0AGENT1", text)
        assert status == 200
        assert "Only workspace admins" in body
    config = targets(product).config("T1")
    assert (config.claim_target, config.week, config.holidays) == (None, None, frozenset())


def test_setting_hours_says_whether_the_team_is_in_right_now(sender: SlackSender) -> None:
    # Wednesday 09:00 UTC is 10:00 in Berlin: in. New York is still at 04:00: out.
    assert command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin").endswith(
        "The team is in now."
    )
    answer = command(sender, "hours Mon-Fri 09:00-17:00 America/New_York")
    assert answer.endswith("Right now: our team is back at 09:00 (EST), in about 5 hours.")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Mon-Fri 09:00-17:30 Europe/Berlin", "Mon-Fri 09:00-17:30 Europe/Berlin"),
        (
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00 europe/berlin",
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00 Europe/Berlin",
        ),
        ("weekdays 9am-5pm America/New_York", "Mon-Fri 09:00-17:00 America/New_York"),
    ],
)
def test_hours_are_set_as_typed_and_said_back(
    sender: SlackSender, product: Product, typed: str, shown: str
) -> None:
    answer = command(sender, f"hours {typed}")
    assert f"Business hours: {shown}." in answer
    week = targets(product).config("T1").week
    assert week is not None
    assert week.describe() == shown
    assert "Business hours are off" in command(sender, "hours off")
    assert targets(product).config("T1").week is None


@pytest.mark.parametrize(
    "typed",
    [
        "Mon-Fri 09:00-17:30",
        "Mon-Fri 09:00-17:30 Berlin",
        "Mon-Fri 9-5pm-ish Europe/Berlin",
        "Someday 09:00-17:00 UTC",
        "Mon-Fri 17:00-17:00 UTC",
    ],
)
def test_hours_that_cannot_be_read_change_nothing(
    sender: SlackSender, product: Product, typed: str
) -> None:
    answer = command(sender, f"hours {typed}")
    assert "Usage: `/escalation hours" in answer
    assert "Nothing was changed" in answer
    assert targets(product).config("T1").week is None


def test_holidays_are_added_listed_and_removed(sender: SlackSender, product: Product) -> None:
    assert "Holidays: none." in command(sender, "holidays")
    assert "2026-12-24, 2026-12-31" in command(sender, "holidays add 2026-12-31 2026-12-24")
    assert "Holidays: 2026-12-24, 2026-12-31" in command(sender, "holidays list")
    assert "Holidays: 2026-12-31" in command(sender, "holidays remove 2026-12-24")
    for bad in ("holidays add 24.12.2026", "holidays add 2026-02-30", "holidays add", "holidays x"):
        answer = command(sender, bad)
        assert "Nothing was changed" in answer
    dates: Any = targets(product).config("T1").holidays
    assert sorted(d.isoformat() for d in dates) == ["2026-12-31"]


def test_durations_are_said_as_a_person_would() -> None:
    assert describe_duration(timedelta(minutes=10)) == "10 minutes"
    assert describe_duration(timedelta(seconds=5400)) == "1 hour 30 minutes"
    assert describe_duration(timedelta(seconds=1)) == "1 second"


# --- stored hours this host cannot use -------------------------------------------------------


def store_hours_document(product: Product, document: dict[str, Any]) -> None:
    """What another host (another tz database) or an older version may have stored."""
    with SqlUnitOfWork(product.sessions) as uow:
        uow.session.execute(update(DeskSettings).values(hours=document))
        uow.commit()


UNUSABLE_HOURS = [
    {
        "zone": "Europe/Gone",
        "ranges": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30"}],
    },
    {"zone": "UTC", "ranges": [{"days": [0]}]},
    {"zone": "UTC", "ranges": []},
    {"ranges": [{"days": [0], "start": "09:00", "end": "10:00"}]},
]


@pytest.mark.parametrize("document", UNUSABLE_HOURS)
def test_hours_this_host_cannot_use_still_post_the_card_and_answer_the_customer(
    sender: SlackSender, product: Product, slack: MockSlackAPI, document: dict[str, Any]
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    store_hours_document(product, document)
    _, card_ts = escalate(sender, product, slack)
    assert card_ts
    assert "bringing in a person" in replies(slack)[-1]


@pytest.mark.parametrize("document", UNUSABLE_HOURS)
def test_hours_this_host_cannot_use_do_not_stop_the_reminders(
    sender: SlackSender,
    product: Product,
    slack: MockSlackAPI,
    clock: Clock,
    document: dict[str, Any],
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "sla 1m")
    _, card_ts = escalate(sender, product, slack)
    store_hours_document(product, document)
    clock.now += timedelta(minutes=5)
    settle(product)
    assert len(in_thread(slack, card_ts)) == 1
