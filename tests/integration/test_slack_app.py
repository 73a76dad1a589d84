"""The real Bolt App over HTTP (waitress), signed requests in, a mock Slack Web API out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.desk.admin import AdminCommands, Previewer
from bot.desk.handoffs import BACK_WITH_BOT
from bot.policies import default_policy_book
from bot.settings import Settings
from bot.turns.processor import TurnOutcome
from db.uow import SqlUnitOfWork
from escalation.engine import Decision
from handlers.slack.cards import CLAIM, RESOLVE, RETURN
from tests.clock import Clock
from tests.integration.mock_slack import Fault, MockSlackAPI, SlackSender
from tests.integration.serving import serving

SECRET = "test-signing-secret"
AGENTS = "C0AGENTS"
CUSTOMER = "U0CUST"


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={
            "U0ADMIN": {"id": "U0ADMIN", "is_admin": True},
            "U0AGENT1": {"id": "U0AGENT1", "is_admin": False},
            "U0AGENT2": {"id": "U0AGENT2", "is_admin": False},
            CUSTOMER: {"id": CUSTOMER, "is_admin": False},
        }
    ).start()
    yield api
    api.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def product(slack: MockSlackAPI, clock: Clock, tmp_path: Path) -> Iterator[Product]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        SHOP="demo",
        TURN_SETTLE_SECONDS=0,  # the clock stands still here; settling has tests of its own
    )
    built = build_product(settings, clock=clock, agent=OfflineAgent())
    yield built
    built.stop()


@pytest.fixture
def sender(product: Product, slack: MockSlackAPI) -> Iterator[SlackSender]:
    with serving(product.app) as endpoint:
        yield SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")


def settle(product: Product) -> None:
    """Run the workers until nothing is left (what the background threads do in production)."""
    for _ in range(5):
        if not (product.inbox_worker.run_until_idle() + product.drainer.run_until_idle()):
            return


def configure(sender: SlackSender, product: Product) -> None:
    assert sender.command("U0ADMIN", f"channel <#{AGENTS}|agents>")[0] == 200
    settle(product)


def replies_to(slack: MockSlackAPI, user: str = CUSTOMER) -> list[str]:
    return [m["text"] for m in slack.messages_in(f"D{user}")]


def cards(slack: MockSlackAPI) -> list[dict]:
    return [m for m in slack.messages_in(AGENTS) if m.get("blocks")]


def button_value(card: dict, action_id: str) -> str:
    blocks = card["blocks"] if isinstance(card["blocks"], list) else json.loads(card["blocks"])
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


# --- requests and signatures ----------------------------------------------------------------


def test_forged_and_stale_signatures_are_rejected(sender: SlackSender, product: Product) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvX",
            "team_id": "T1",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "DX",
                "user": "UX",
                "text": "hi",
                "ts": "1.1",
            },
        }
    )
    forged = sender.post(body, "application/json", {}, signature="v0=" + "0" * 64)
    stale = sender.post(body, "application/json", {}, timestamp=int(time.time()) - 600)
    assert forged[0] == 401
    assert stale[0] == 401
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.inbox.counts() == {}


def test_the_url_verification_challenge_is_answered(sender: SlackSender) -> None:
    status, body = sender.post(
        json.dumps({"type": "url_verification", "challenge": "abc123"}), "application/json", {}
    )
    assert status == 200
    assert "abc123" in body


# --- the four seed scenarios in Slack form ---------------------------------------------------


def test_frustrated_customer_with_a_simple_issue_gets_the_fix_and_no_card(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    configure(sender, product)
    assert (
        sender.dm(
            CUSTOMER, "THIRD time my order arrives smashed!!! order 1042, j.smith@example.com"
        )
        == 200
    )
    settle(product)
    (reply,) = replies_to(slack)
    assert "1042" in reply
    assert "frustrat" in reply.lower() or "sorry" in reply.lower()
    assert cards(slack) == []


def test_a_policy_gap_posts_a_handoff_card(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    configure(sender, product)
    sender.dm(
        CUSTOMER,
        "Hi! Another shop sells the blender for 15 dollars less, could you "
        "match their price on order 4410?",
    )
    settle(product)
    (reply,) = replies_to(slack)
    assert "colleague" in reply
    (card,) = cards(slack)
    text = json.dumps(card["blocks"])
    for expected in (
        "policy_gap",
        "C-4",
        "Root cause",
        "Recommended action",
        "Attempts",
        "Policy cited",
        "Summary",
        CLAIM,
        RESOLVE,
        RETURN,
    ):
        assert expected in text


def test_an_explicit_request_escalates_at_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    configure(sender, product)
    sender.dm(CUSTOMER, "get me a real person please")
    settle(product)
    (reply,) = replies_to(slack)
    assert "person" in reply
    (card,) = cards(slack)
    assert "explicit_request" in json.dumps(card["blocks"])
    with SqlUnitOfWork(product.sessions) as uow:
        (conversation_id,) = [h.conversation_id for h in [uow.handoffs.get(1)]]
        (decision,) = uow.conversations.decisions(conversation_id)
    assert decision.investigation_steps == 0


def test_an_ambiguous_name_gets_a_question_not_a_guess(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    sender.dm(CUSTOMER, "John Smith here, where's my order?")
    settle(product)
    (reply,) = replies_to(slack)
    assert "email" in reply
    for other in ("john.smith@example.net", "jsmith77", "2051", "3307", "1042"):
        assert other not in reply


# --- agents and the card ---------------------------------------------------------------------


def escalate(sender: SlackSender, product: Product, slack: MockSlackAPI) -> str:
    configure(sender, product)
    sender.dm(CUSTOMER, "I want to talk to a human")
    settle(product)
    (card,) = cards(slack)
    return button_value(card, CLAIM)


def test_claim_relay_and_resolve_round_trip(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff_id = escalate(sender, product, slack)
    card_ts = cards(slack)[0]
    assert sender.action("U0AGENT1", CLAIM, handoff_id, AGENTS) == 200
    settle(product)
    assert "You have this conversation" in slack.to("chat.postEphemeral")[-1]["text"]
    update = slack.to("chat.update")[-1]
    assert "Claimed by <@U0AGENT1>" in json.dumps(update["blocks"])
    posted_ts = slack_ts_of(slack, card_ts)
    # the customer is told a person has the case (U0AGENT1 has no name in this Slack)
    assert replies_to(slack)[1:] == [
        "A person from our team has your case now and will reply here."
    ]

    sender.dm(CUSTOMER, "hello? are you there")
    settle(product)
    assert len(replies_to(slack)) == 2  # the bot stays silent while a human has it
    relayed = [m for m in slack.messages_in(AGENTS) if m.get("thread_ts") == posted_ts]
    assert relayed[-1]["text"] == "Customer: hello? are you there"

    sender.event(
        {
            "type": "message",
            "channel": AGENTS,
            "user": "U0AGENT1",
            "text": "Hi, I'm Sam from support. Let me look.",
            "ts": "1800000000.000001",
            "thread_ts": posted_ts,
        }
    )
    settle(product)
    assert replies_to(slack)[-1] == "Hi, I'm Sam from support. Let me look."

    assert sender.action("U0AGENT1", RESOLVE, handoff_id, AGENTS) == 200
    settle(product)
    assert "Resolved by <@U0AGENT1>" in json.dumps(slack.to("chat.update")[-1]["blocks"])
    sender.dm(CUSTOMER, "thanks! also where is order 1043? j.smith@example.com")
    settle(product)
    assert "1043" in replies_to(slack)[-1]  # the bot is back for a new request


def slack_ts_of(slack: MockSlackAPI, card: dict) -> str:
    """The ts Slack gave the card (chat.update addresses the card by it)."""
    assert card in slack.to("chat.postMessage")
    return str(slack.to("chat.update")[-1]["ts"])


def test_return_to_bot_hands_the_customer_back(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff_id = escalate(sender, product, slack)
    sender.action("U0AGENT1", RETURN, handoff_id, AGENTS)
    settle(product)
    assert replies_to(slack)[-1] == BACK_WITH_BOT
    sender.dm(CUSTOMER, "ok then: where is order 1043? j.smith@example.com")
    settle(product)
    assert "1043" in replies_to(slack)[-1]


def test_two_agents_claiming_at_once_one_wins_the_other_is_told(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff_id = escalate(sender, product, slack)
    barrier = threading.Barrier(2)

    def click(agent: str) -> None:
        barrier.wait()
        sender.action(agent, CLAIM, handoff_id, AGENTS)

    threads = [threading.Thread(target=click, args=(a,)) for a in ("U0AGENT1", "U0AGENT2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    told = sorted(m["text"] for m in slack.to("chat.postEphemeral"))
    assert len(told) == 2
    assert sum("You have this conversation" in t for t in told) == 1
    assert sum("already has this conversation" in t for t in told) == 1


def test_a_retried_delivery_gets_one_reply(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{CUSTOMER}",
        "user": CUSTOMER,
        "text": "where is order 1043? j.smith@example.com",
        "ts": "1700009999.000100",
    }
    assert sender.event(event, event_id="EvSAME") == 200
    assert sender.event(event, event_id="EvSAME", retry=1) == 200
    assert sender.event(event, event_id="EvSAME", retry=2) == 200
    settle(product)
    assert len(replies_to(slack)) == 1


@pytest.mark.parametrize(
    "subtype", ["message_changed", "message_deleted", "channel_join", "bot_message"]
)
def test_edits_deletes_joins_and_bots_are_not_turns(
    sender: SlackSender, product: Product, slack: MockSlackAPI, subtype: str
) -> None:
    sender.event(
        {
            "type": "message",
            "subtype": subtype,
            "channel_type": "im",
            "channel": f"D{CUSTOMER}",
            "user": CUSTOMER,
            "text": "human please",
            "ts": "1700000500.000100",
        }
    )
    sender.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{CUSTOMER}",
            "bot_id": "BOTHER",
            "user": "U0OTHERBOT",
            "text": "agent!",
            "ts": "1700000501.000100",
        }
    )
    settle(product)
    assert replies_to(slack) == []
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.inbox.counts() == {}


def test_a_mention_in_a_channel_is_answered_in_its_thread(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    sender.event(
        {
            "type": "app_mention",
            "channel": "C0GENERAL",
            "user": CUSTOMER,
            "text": "<@UBOT> where is order 1043? j.smith@example.com",
            "ts": "1700000600.000100",
        }
    )
    settle(product)
    (reply,) = slack.messages_in("C0GENERAL")
    assert reply["thread_ts"] == "1700000600.000100"
    assert "1043" in reply["text"]


# --- admins ------------------------------------------------------------------------------


def test_a_non_admin_cannot_change_settings(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    status, body = sender.command("U0AGENT1", f"channel <#{AGENTS}|agents>")
    assert status == 200
    assert "Only workspace admins" in body
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.workspaces.get("T1").handoff_channel is None
    assert sender.command("U0AGENT1", "policy list")[0] == 200  # reading is fine


def test_a_configured_admin_may_change_settings(sender: SlackSender, product: Product) -> None:
    sender.command("U0ADMIN", "admins add <@U0AGENT1|sam>")
    _status, body = sender.command("U0AGENT1", "support-channel add <#C0HELP|help>")
    assert "C0HELP" in body
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.workspaces.get("T1").support_channels == ("C0HELP",)


def test_an_unset_handoff_channel_holds_the_card_and_tells_admins(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    sender.command("U0ADMIN", "admins add <@U0ADMIN|boss>")
    sender.dm(CUSTOMER, "human please")
    settle(product)
    assert cards(slack) == []
    (notice,) = slack.messages_in("U0ADMIN")
    assert "no handoff channel is set" in notice["text"]
    _status, body = sender.command("U0ADMIN", f"channel <#{AGENTS}|agents>")
    assert "1 waiting handoff card" in body
    settle(product)
    assert len(cards(slack)) == 1


def test_a_channel_the_bot_is_not_in_holds_the_card_until_fixed(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    sender.command("U0ADMIN", "admins add <@U0ADMIN|boss>")
    configure(sender, product)
    slack.fail("chat.postMessage", Fault("not_in_channel", times=1, channel=AGENTS))
    sender.dm(CUSTOMER, "human please")
    settle(product)
    assert cards(slack) == []
    assert "not a member" in slack.messages_in("U0ADMIN")[-1]["text"]
    sender.command("U0ADMIN", f"channel <#{AGENTS}|agents>")
    settle(product)
    assert len(cards(slack)) == 1


def test_what_the_customer_says_while_the_card_is_held_is_relayed_once_it_is_posted(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("not_in_channel", times=1, channel=AGENTS))
    configure(sender, product)
    sender.dm(CUSTOMER, "human please")
    settle(product)
    sender.dm(CUSTOMER, "it is about order 1043")
    for _ in range(20):  # an hour passes before an admin fixes the channel
        clock.advance(180)
        settle(product)
    assert cards(slack) == []
    sender.command("U0ADMIN", f"channel <#{AGENTS}|agents>")
    settle(product)
    (card,) = cards(slack)
    relayed = [m["text"] for m in slack.messages_in(AGENTS) if m.get("thread_ts") == card["ts"]]
    assert relayed == ["Customer: it is about order 1043"]
    assert not any("given up" in m["text"] for m in slack.to("chat.postMessage"))


def test_a_relay_slack_refuses_for_good_holds_up_none_after_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    configure(sender, product)
    sender.dm(CUSTOMER, "human please")
    settle(product)
    (card,) = cards(slack)
    slack.fail("chat.postMessage", Fault("msg_too_long", times=1, channel=AGENTS))
    sender.dm(CUSTOMER, "first, refused")
    settle(product)
    sender.dm(CUSTOMER, "second")
    settle(product)
    relayed = [m["text"] for m in slack.messages_in(AGENTS) if m.get("thread_ts") == card["ts"]]
    assert relayed == ["Customer: second"]


def test_one_card_per_handoff_when_slack_posts_it_but_answers_500(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    configure(sender, product)
    slack.fail("chat.postMessage", Fault("posted_then_500", times=1, channel=AGENTS))
    sender.dm(CUSTOMER, "I want to talk to a person")
    settle(product)  # the card is posted, but the answer is a 500: its ts is not known yet
    sender.dm(CUSTOMER, "it is about order 1043")
    for _ in range(3):
        settle(product)
        clock.advance(30)
    (card,) = cards(slack)
    relayed = [m["text"] for m in slack.messages_in(AGENTS) if m.get("thread_ts") == card["ts"]]
    assert relayed == ["Customer: it is about order 1043"]  # relayed once the card's ts was found
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.outbox.counts() == {"sent": 3}  # the card, the reply, the relay: once each
    assert len(slack.to("chat.postMessage")) == 3


def test_a_rate_limited_channel_rests_for_retry_after_and_then_posts_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.fail(
        "chat.postMessage", Fault("ratelimited", times=1, channel=f"D{CUSTOMER}", retry_after=30)
    )
    sender.dm(CUSTOMER, "where is order 1043? j.smith@example.com")
    settle(product)
    assert replies_to(slack) == []  # no waiting in place: the channel rests
    clock.advance(29)
    settle(product)
    assert replies_to(slack) == []
    clock.advance(2)
    settle(product)
    assert len(replies_to(slack)) == 1
    assert slack.attempts("chat.postMessage") == 2  # the 429, then one post after Retry-After


def test_server_errors_leave_the_reply_in_the_outbox_until_it_posts(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("http_500", times=2, channel=f"D{CUSTOMER}"))
    sender.dm(CUSTOMER, "where is order 1043? j.smith@example.com")
    settle(product)
    assert replies_to(slack) == []
    with SqlUnitOfWork(product.sessions) as uow:
        (waiting,) = uow.outbox.pending()
        assert waiting.kind == "reply"
    for _ in range(2):
        clock.advance(60)
        settle(product)
    assert len(replies_to(slack)) == 1
    # a 500 may come after Slack posted: before each re-post the channel was looked through
    assert slack.attempts("conversations.history") == 2


@pytest.mark.parametrize(
    "event",
    [
        {"text": ""},
        {"text": "", "subtype": "file_share", "files": [{"id": "F1", "name": "photo.jpg"}]},
        {"text": "🔥🔥🔥 😡"},
        {"text": "y" * 40_000},
    ],
    ids=["empty", "file-without-text", "emoji-only", "40k"],
)
def test_odd_messages_get_a_clear_answer_and_are_kept(
    sender: SlackSender, product: Product, slack: MockSlackAPI, event: dict
) -> None:
    sender.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{CUSTOMER}",
            "user": CUSTOMER,
            "ts": "1700000700.000100",
            **event,
        }
    )
    settle(product)
    (reply,) = replies_to(slack)
    assert reply.strip()
    with SqlUnitOfWork(product.sessions) as uow:
        conversation = uow.conversations.get(1)
        history = uow.conversations.history(conversation.id)
    assert history[0].speaker == "customer"
    if event["text"]:
        assert history[0].text == event["text"]


# --- workers under failure -------------------------------------------------------------


def test_a_turn_whose_lease_expired_writes_nothing_the_second_time(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    from bot.turns.processor import InboxClaim  # noqa: PLC0415
    from bot.workers.loop import LEASE  # noqa: PLC0415
    from db.repositories import StaleState  # noqa: PLC0415

    sender.dm(CUSTOMER, "where is order 1043? j.smith@example.com")
    with SqlUnitOfWork(product.sessions) as uow:  # a slow worker takes the event ...
        (slow,) = uow.inbox.claim(worker="slow", now=clock(), lease=LEASE)
        uow.commit()
    clock.advance(LEASE.total_seconds() + 1)  # ... and outlives its lease
    settle(product)  # another worker takes it over and answers
    assert len(replies_to(slack)) == 1
    with pytest.raises(StaleState, match="no longer held"):
        product.inbox_worker._handle(slow, InboxClaim(slow.id, "slow"))
    settle(product)
    assert len(replies_to(slack)) == 1
    with SqlUnitOfWork(product.sessions) as uow:
        assert [u.speaker for u in uow.conversations.history(1)] == ["customer", "bot"]


class BrokenAgent:
    name = "broken"

    def take_turn(self, **_: object) -> object:
        raise RuntimeError("a bug in the agent")


def test_an_event_that_keeps_failing_backs_off_then_the_customer_is_told(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    from bot.workers.inbox import MAX_EVENT_ATTEMPTS, SORRY  # noqa: PLC0415

    product.processor.agent = BrokenAgent()  # type: ignore[assignment]
    sender.dm(CUSTOMER, "where is order 1043?")
    product.inbox_worker.run_until_idle()
    assert product.inbox_worker.run_until_idle() == 0  # waiting out its backoff, not spinning
    for _ in range(MAX_EVENT_ATTEMPTS):
        clock.advance(600)
        settle(product)
    assert replies_to(slack) == [SORRY]
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.inbox.counts() == {"failed": 1}
    (notice,) = slack.messages_in("U0ADMIN")  # the workspace's admin hears of it
    assert "could not be handled after 5 tries" in notice["text"]


def test_a_reply_in_a_mentions_thread_continues_without_a_new_mention(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    root = "1700000800.000100"
    sender.event(
        {
            "type": "app_mention",
            "channel": "C0GENERAL",
            "user": CUSTOMER,
            "text": "<@UBOT> where's my order?",
            "ts": root,
        }
    )
    settle(product)
    sender.event(
        {
            "type": "message",
            "channel": "C0GENERAL",
            "user": CUSTOMER,
            "text": "it's order 1043, j.smith@example.com",
            "ts": "1700000801.000100",
            "thread_ts": root,
        }
    )
    sender.event(
        {
            "type": "message",
            "channel": "C0GENERAL",
            "user": "U0OTHER",
            "text": "unrelated thread chatter",
            "ts": "1700000802.000100",
            "thread_ts": "1700000000.999999",
        }
    )
    settle(product)
    replies = [m["text"] for m in slack.messages_in("C0GENERAL")]
    assert len(replies) == 2
    assert "1043" in replies[-1]


def test_mentioning_the_bot_in_the_agents_channel_is_never_a_customer_turn(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    configure(sender, product)
    sender.event(
        {
            "type": "app_mention",
            "channel": AGENTS,
            "user": "U0AGENT1",
            "text": "<@UBOT> can you check order 1042?",
            "ts": "1700000900.000100",
        }
    )
    settle(product)
    assert slack.messages_in(AGENTS) == []


def lazy_answers(slack: MockSlackAPI, count: int) -> list[str]:
    deadline = time.monotonic() + 30
    while len(slack.to("respond")) < count:
        assert time.monotonic() < deadline, "no answer came after the ack"
        time.sleep(0.05)
    return [str(r["text"]) for r in slack.to("respond")]


def test_only_admins_may_run_a_dry_run_because_it_reads_customer_records(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    status, body = sender.command("U0AGENT1", "test where is my order? j.smith@example.com")
    assert status == 200
    assert "Running a dry run" in body  # acked at once; the answer follows
    (refused,) = lazy_answers(slack, 1)
    assert "Only workspace admins" in refused
    assert "1043" not in refused
    status, body = sender.command("U0ADMIN", "test I want to talk to a human")
    answer = lazy_answers(slack, 2)[-1]
    assert "Dry run" in answer
    assert "explicit_request" in answer
    assert "nothing was stored" in answer
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.stats.workspace("T1", since=datetime(2000, 1, 1, tzinfo=UTC)).conversations == 0


def test_on_a_fresh_install_the_workspace_admins_are_told(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    sender.dm(CUSTOMER, "human please")
    settle(product)
    (notice,) = slack.messages_in("U0ADMIN")  # a workspace admin; nobody configured yet
    assert "no handoff channel is set" in notice["text"]
    assert slack.messages_in("U0AGENT1") == []


def test_a_dry_run_of_a_request_that_would_move_money_carries_nothing_out(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    sender.command("U0ADMIN", "test please cancel order 2051, john.smith@example.net")
    answer = lazy_answers(slack, 1)[-1]
    assert "Dry run" in answer
    assert "cancel_order" in answer  # what it would do ...
    with SqlUnitOfWork(product.sessions) as uow:  # ... and nothing done
        order = uow.shop.order("2051", now=datetime.now(UTC))
        assert order is not None
        assert order.status == "processing"


# What Slack sends when a person types these characters: its client escapes &, < and >.
HOSTILE_TYPED = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<@U0AGENT1>", "&lt;@U0AGENT1&gt;"),
    ("<https://evil.example|your invoice>", "&lt;https://evil.example|your invoice&gt;"),
    ("<!subteam^S0ALL>", "&lt;!subteam^S0ALL&gt;"),
]


@pytest.mark.parametrize(("typed", "as_slack_sends_it"), HOSTILE_TYPED)
def test_markup_a_customer_types_reaches_the_card_and_relay_as_literal_text(
    sender: SlackSender, product: Product, slack: MockSlackAPI, typed: str, as_slack_sends_it: str
) -> None:
    configure(sender, product)
    sender.dm(CUSTOMER, f"I want to talk to a human now {as_slack_sends_it} please")
    settle(product)
    (card,) = cards(slack)
    posted = json.dumps(card["blocks"]) + card["text"]
    assert typed not in posted  # never read as a mention or a link ...
    assert as_slack_sends_it in posted  # ... but shown, as typed (in the summary)
    assert sender.action("U0AGENT1", CLAIM, button_value(card, CLAIM), AGENTS) == 200
    settle(product)
    sender.dm(CUSTOMER, f"still here {as_slack_sends_it}")
    settle(product)
    relayed = [m["text"] for m in slack.messages_in(AGENTS) if m.get("thread_ts")]
    assert relayed[-1] == f"Customer: still here {as_slack_sends_it}"


class QuotingPreview(Previewer):
    """A turn whose reply quotes the customer's words verbatim (as a model's reply may)."""

    def preview(self, text: str, *, workspace_id: str = "") -> TurnOutcome:
        reply = f"I've changed the delivery address to {text}."
        return TurnOutcome(0, Decision("resolve", reply, reason=f"asked: {text}"))


def test_a_dry_run_shows_the_words_it_quotes_as_literal_text(product: Product) -> None:
    admin = AdminCommands(
        sessions=product.sessions,
        book=default_policy_book(),
        processor=QuotingPreview(),
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    answer = admin.handle(
        workspace_id="T1", user_id="U0ADMIN", text="test 5 <!channel> Road", workspace_admin=True
    )
    assert "Dry run" in answer
    assert "<!channel>" not in answer
    assert "5 &lt;!channel&gt; Road" in answer


def test_a_claimed_handoff_is_closed_only_by_its_claimer_or_an_admin(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff_id = escalate(sender, product, slack)
    assert sender.action("U0AGENT1", CLAIM, handoff_id, AGENTS) == 200
    settle(product)
    claimed_card = json.dumps(slack.to("chat.update")[-1]["blocks"])
    assert "<@U0AGENT1> has this conversation. Only they or an admin" in claimed_card  # confirm
    assert sender.action("U0AGENT2", RESOLVE, handoff_id, AGENTS) == 200
    settle(product)
    told = slack.to("chat.postEphemeral")[-1]
    assert told["user"] == "U0AGENT2"
    assert "<@U0AGENT1> already has this conversation" in told["text"]
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.handoffs.get(int(handoff_id)).status == "claimed"  # nothing changed
    assert sender.action("U0ADMIN", RETURN, handoff_id, AGENTS) == 200  # an admin may
    settle(product)
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.handoffs.get(int(handoff_id)).status == "returned"


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"team": {"id": "T0OTHER"}},  # another workspace
        {"channel": {"id": "C0RANDOM"}},  # not the agents' channel
    ],
)
def test_a_button_pressed_from_elsewhere_changes_nothing(
    sender: SlackSender, product: Product, slack: MockSlackAPI, elsewhere: dict
) -> None:
    handoff_id = escalate(sender, product, slack)
    assert sender.action("U0AGENT1", CLAIM, handoff_id, AGENTS, elsewhere) == 200
    settle(product)
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.handoffs.get(int(handoff_id)).status == "open"
    assert "not on a card in this workspace" in slack.to("chat.postEphemeral")[-1]["text"]


@pytest.mark.parametrize(
    "broken",
    [
        {"actions": [{"action_id": CLAIM, "value": "not-a-number"}]},
        {"actions": [{"action_id": CLAIM}]},
        {"channel": None, "container": {}},
        {"user": {}},
    ],
)
def test_a_malformed_button_press_is_refused_and_changes_nothing(
    sender: SlackSender, product: Product, slack: MockSlackAPI, broken: dict
) -> None:
    handoff_id = escalate(sender, product, slack)
    status = sender.action("U0AGENT1", CLAIM, handoff_id, AGENTS, broken)
    assert status == 200
    settle(product)
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.handoffs.get(int(handoff_id)).status == "open"
    assert slack.to("chat.postEphemeral") == []
    (note,) = slack.to("respond")
    assert "could not be read" in note["text"]


@pytest.mark.parametrize(
    ("channel", "setup", "told"),
    [
        ("C0GONE", "missing", "I can't find <#C0GONE>"),
        ("C0NOTIN", {"is_member": False}, "invite me there"),
        ("C0OLD", {"is_member": True, "is_archived": True}, "is archived"),
        ("C0NOSCOPE", "missing_scope", "reinstall it from manifest.yml"),
    ],
)
def test_a_handoff_channel_the_bot_cannot_post_in_is_refused_with_what_to_do(
    sender: SlackSender,
    product: Product,
    *,
    slack: MockSlackAPI,
    channel: str,
    setup: object,
    told: str,
) -> None:
    if setup == "missing":
        slack.missing_channels.add(channel)
    elif setup == "missing_scope":
        slack.fail("conversations.info", Fault("missing_scope"))
    else:
        assert isinstance(setup, dict)
        slack.channels[channel] = setup
    status, body = sender.command("U0ADMIN", f"channel <#{channel}|somewhere>")
    assert status == 200
    assert told in body
    assert "Nothing was changed" in body
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.workspaces.get("T1").handoff_channel is None


@pytest.mark.parametrize("days", ["99999999999", "0", "-3", "lots", "²", "9" * 5000])
def test_stats_for_an_impossible_number_of_days_says_what_it_takes(
    sender: SlackSender, days: str
) -> None:
    status, body = sender.command("U0ADMIN", f"stats {days}")
    assert status == 200
    assert "days from 1 to 3650" in body


def test_stats_for_a_year_answers(sender: SlackSender) -> None:
    status, body = sender.command("U0ADMIN", "stats 365")
    assert status == 200
    assert "Last 365 days" in body


def test_the_card_names_an_identified_customer_and_what_they_gave(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    configure(sender, product)
    sender.dm(CUSTOMER, "where is order 4410? maria.garcia@example.com")
    settle(product)
    sender.dm(CUSTOMER, "thanks, but I want to talk to a human about it")
    settle(product)
    (card,) = cards(slack)
    posted = json.dumps(card["blocks"])
    assert "Maria Garcia (C-4)" in posted
    assert "maria.garcia@example.com" in posted  # what they gave


def test_a_dry_run_reads_the_message_as_a_customer_would_have_sent_it(
    sender: SlackSender, slack: MockSlackAPI
) -> None:
    sender.command("U0ADMIN", "test do you do gift wrap &amp; ribbons for order 2051?")
    answer = lazy_answers(slack, 1)[-1]
    assert "amp" not in answer.replace("&amp;", "&")  # "&" was read as "&", shown once


def test_the_name_stays_on_the_card_after_the_bot_had_the_case_back(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    configure(sender, product)
    sender.dm(CUSTOMER, "where is order 4410? maria.garcia@example.com")
    settle(product)
    sender.dm(CUSTOMER, "I want to talk to a human")
    settle(product)
    handoff_id = button_value(cards(slack)[0], RETURN)
    assert sender.action("U0ADMIN", RETURN, handoff_id, AGENTS) == 200
    settle(product)
    sender.dm(CUSTOMER, "a human please")
    settle(product)
    assert "Maria Garcia (C-4)" in json.dumps(cards(slack)[-1]["blocks"])


def test_a_reply_to_a_channel_the_bot_has_left_is_held_once_and_admins_told(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("not_in_channel", times=100, channel=f"D{CUSTOMER}"))
    sender.dm(CUSTOMER, "where is order 1043? j.smith@example.com")
    for _ in range(5):
        settle(product)
        clock.advance(600)
    tries = [
        c for m, c in slack.calls if m == "chat.postMessage" and c["channel"] == f"D{CUSTOMER}"
    ]
    assert len(tries) == 1  # not retried: it cannot heal
    (notice,) = slack.messages_in("U0ADMIN")
    assert "could not be posted" in notice["text"]
    assert "not_in_channel" in notice["text"] or "not a member" in notice["text"]
    with SqlUnitOfWork(product.sessions) as uow:
        (kept,) = [m for m in uow.outbox.pending() if m.kind == "reply"]
        assert kept.status == "held"


def test_a_reply_that_keeps_failing_is_given_up_after_twelve_tries_not_forever(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("http_500", times=1000, channel=f"D{CUSTOMER}"))
    sender.dm(CUSTOMER, "where is order 1043? j.smith@example.com")
    for _ in range(30):
        settle(product)
        clock.advance(600)
    tries = [
        c for m, c in slack.calls if m == "chat.postMessage" and c["channel"] == f"D{CUSTOMER}"
    ]
    assert len(tries) == 12  # 12 tries (no retry inside the client: the drainer decides); no more
    (notice,) = slack.messages_in("U0ADMIN")
    assert "given up after 12 tries" in notice["text"]


def test_admins_see_what_is_held_and_why(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("not_in_channel", times=100, channel=f"D{CUSTOMER}"))
    sender.dm(CUSTOMER, "where is order 1043? j.smith@example.com")
    settle(product)
    status, body = sender.command("U0ADMIN", "status")
    assert status == 200
    assert "Events: done 1" in body
    assert "held reply: gave up: I am not a member of that channel" in body
    assert "can run tests or see the status" in sender.command("U0AGENT1", "status")[1]
