"""Repositories on SQLite and PostgreSQL: round trips, audit, handoffs, inbox, outbox, bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db.repositories import (
    ConversationKey,
    StaleState,
    UnknownConversation,
    UnknownHandoff,
    WorkspaceSettings,
    backoff_delay,
)
from db.uow import SqlUnitOfWork
from escalation.engine import Proposal, decide, screen_message
from escalation.handoff import Handoff
from escalation.identifiers import Identifiers
from escalation.ledger import Attempt, AttemptLedger
from escalation.records import Customer, Order
from escalation.state import ConversationState, NotedSignal, PolicyCheck

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEY = ConversationKey("slack", "T1", "D1", "U1")


def new_conversation(sessions: sessionmaker[Session], key: ConversationKey = KEY) -> int:
    with SqlUnitOfWork(sessions) as uow:
        record = uow.conversations.get_or_create(key, now=NOW)
        uow.commit()
    return record.id


def test_a_conversation_is_found_again_by_its_key(sessions: sessionmaker[Session]) -> None:
    first = new_conversation(sessions)
    again = new_conversation(sessions)
    other = new_conversation(sessions, ConversationKey("slack", "T1", "C9", "U1", "1700.1"))
    assert first == again
    assert other != first
    with SqlUnitOfWork(sessions) as uow:
        record = uow.conversations.get(first)
    assert record.key == KEY
    assert record.status == "bot"


def test_the_cores_state_round_trips_whole(sessions: sessionmaker[Session]) -> None:
    conversation_id = new_conversation(sessions)
    state = ConversationState(
        status="bot",
        turn=3,
        customer_id="C-1",
        identifiers=Identifiers(("ana@example.org",), ("15550101",), ("1042", "A-7")),
        signals=(NotedSignal(1, "implicit", "are you a bot"),),
        resolution_offered=True,
        last_offer_turn=2,
        person_offered_turn=3,
        ledger=AttemptLedger(
            (
                Attempt("get_order", 2, 1, "error", "timeout", "slow", final=False),
                Attempt("get_order", 2, 2, "ok"),
                Attempt("model", 3, 1, "error", "unavailable", "529"),
            )
        ),
        policy_checks=(PolicyCheck(2, "refund", "violation", "returns-30-days", "No."),),
        pending_disambiguation=("email", "phone"),
        asked_for=("order_number",),
    )
    with SqlUnitOfWork(sessions) as uow:
        loaded = uow.conversations.load_state(conversation_id)
        assert loaded.state == ConversationState()
        uow.conversations.save_state(conversation_id, state, version=loaded.version, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.conversations.load_state(conversation_id).state == state
        assert uow.conversations.get(conversation_id).customer_id == "C-1"


def test_a_stale_copy_of_the_state_is_refused(sessions: sessionmaker[Session]) -> None:
    conversation_id = new_conversation(sessions)
    with SqlUnitOfWork(sessions) as uow:
        loaded = uow.conversations.load_state(conversation_id)
        uow.conversations.save_state(conversation_id, loaded.state, version=loaded.version, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow, pytest.raises(StaleState):
        uow.conversations.save_state(conversation_id, loaded.state, version=loaded.version, now=NOW)


def test_unknown_conversation_ids_give_a_clear_error(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions) as uow:
        for call in (
            lambda: uow.conversations.get(999),
            lambda: uow.conversations.load_state(999),
            lambda: uow.conversations.lock(999),
            lambda: uow.conversations.history(999),
            lambda: uow.conversations.add_message(999, speaker="customer", text="hi", now=NOW),
        ):
            with pytest.raises(UnknownConversation, match="no conversation with id 999"):
                call()
        with pytest.raises(UnknownHandoff, match="no handoff with id 5"):
            uow.handoffs.get(5)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 40_000,
        "ünïcödé — 日本語のメッセージ — مرحبا",
        "🔥🔥🔥 📦💥 😡",
        "",
        "line one\nline two\r\n\ttabbed \x00 after a NUL",
    ],
    ids=["40k", "non-ascii", "emoji", "empty", "control-chars"],
)
def test_messages_are_stored_whole(sessions: sessionmaker[Session], text: str) -> None:
    conversation_id = new_conversation(sessions)
    with SqlUnitOfWork(sessions) as uow:
        uow.conversations.add_message(
            conversation_id, speaker="customer", text=text, now=NOW, slack_ts="1700000000.000100"
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        (stored,) = uow.conversations.history(conversation_id)
    expected = text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL: documented rule
    assert stored.text == expected
    assert stored.speaker == "customer"


def test_history_keeps_the_latest_messages_in_order(sessions: sessionmaker[Session]) -> None:
    conversation_id = new_conversation(sessions)
    with SqlUnitOfWork(sessions) as uow:
        for i in range(12):
            uow.conversations.add_message(
                conversation_id, speaker="customer" if i % 2 else "bot", text=f"m{i}", now=NOW
            )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        history = uow.conversations.history(conversation_id, limit=5)
    assert [u.text for u in history] == ["m7", "m8", "m9", "m10", "m11"]


def test_each_turn_leaves_an_audit_row(sessions: sessionmaker[Session]) -> None:
    conversation_id = new_conversation(sessions)
    screening = screen_message(ConversationState(), "where is my parcel?")
    ruling = decide(
        screening.state,
        Proposal(action="escalate", trigger="no_progress", reason="unsure", reply="x"),
    )
    with SqlUnitOfWork(sessions) as uow:
        uow.conversations.record_decision(
            conversation_id, turn=ruling.state.turn, decision=ruling.decision, now=NOW
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        (row,) = uow.conversations.decisions(conversation_id)
    assert (row.action, row.trigger, row.overridden) == ("clarify", None, True)
    assert "refused" in row.reason
    assert row.proposal is not None
    assert row.proposal["trigger"] == "no_progress"
    assert row.proposal["reason"] == "unsure"


def handoff() -> Handoff:
    return Handoff(
        customer_id="unidentified",
        trigger="explicit_request",
        root_cause="The customer asked for a person.",
        recommended_action="Take over.",
        attempts=(Attempt("get_order", 1, 1, "error", "forbidden"),),
        policy_cited=None,
        summary="Customer: human please",
        identifiers_typed=Identifiers(emails=("ana@example.org",)),
    )


def test_handoffs_round_trip_and_move_the_conversation(sessions: sessionmaker[Session]) -> None:
    conversation_id = new_conversation(sessions)
    with SqlUnitOfWork(sessions) as uow:
        handoff_id = uow.handoffs.open(conversation_id, handoff(), now=NOW, decision_id=None)
        uow.handoffs.set_card(handoff_id, channel="C-AGENTS", ts="1700.2")
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        record = uow.handoffs.get(handoff_id)
        assert record.handoff == handoff()
        assert (record.status, record.card_channel, record.card_ts) == (
            "open",
            "C-AGENTS",
            "1700.2",
        )
        first = uow.handoffs.claim(handoff_id, agent_id="U-AGENT-1", now=NOW)
        second = uow.handoffs.claim(handoff_id, agent_id="U-AGENT-2", now=NOW)
        uow.commit()
    assert (first.won, first.holder) == (True, "U-AGENT-1")
    assert (second.won, second.holder) == (False, "U-AGENT-1")
    with SqlUnitOfWork(sessions) as uow:
        assert uow.conversations.get(conversation_id).status == "claimed"
        assert uow.handoffs.resolve(handoff_id, now=NOW)
        assert not uow.handoffs.resolve(handoff_id, now=NOW)
        uow.commit()
        assert uow.conversations.get(conversation_id).status == "resolved"
        assert uow.handoffs.latest_for(conversation_id) is not None


def test_return_to_bot_hands_the_conversation_back(sessions: sessionmaker[Session]) -> None:
    conversation_id = new_conversation(sessions)
    with SqlUnitOfWork(sessions) as uow:
        handoff_id = uow.handoffs.open(conversation_id, handoff(), now=NOW, decision_id=None)
        loaded = uow.conversations.load_state(conversation_id)
        escalated = replace(loaded.state, status="escalated")
        uow.conversations.save_state(conversation_id, escalated, version=loaded.version, now=NOW)
        assert uow.conversations.get(conversation_id).status == "escalated"
        assert uow.handoffs.return_to_bot(handoff_id, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.conversations.get(conversation_id).status == "bot"
        assert uow.handoffs.get(handoff_id).status == "returned"


def test_workspace_settings_round_trip(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions) as uow:
        assert uow.workspaces.get("T1") == WorkspaceSettings("T1")
        uow.workspaces.save(WorkspaceSettings("T1", "C-AGENTS", ("C-HELP",), ("U-ADMIN",)), now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.workspaces.get("T1") == WorkspaceSettings(
            "T1", "C-AGENTS", ("C-HELP",), ("U-ADMIN",)
        )


def test_a_retried_event_id_inserts_nothing(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.add("Ev1", {"text": "hi"}, now=NOW)
        assert not uow.inbox.add("Ev1", {"text": "hi again"}, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        (item,) = uow.inbox.claim(worker="w1", now=NOW, lease=timedelta(minutes=1))
    assert item.payload == {"text": "hi"}


def test_an_event_waits_for_the_earlier_event_of_its_conversation(
    sessions: sessionmaker[Session],
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        for event_id, key in (("E1", "conv-a"), ("E2", "conv-a"), ("E3", "conv-b")):
            uow.inbox.add(event_id, {}, now=NOW, conversation_key=key)
        uow.commit()
    lease = timedelta(minutes=1)
    with SqlUnitOfWork(sessions) as uow:
        first = uow.inbox.claim(worker="w1", now=NOW, lease=lease)
        uow.commit()
    assert [i.event_id for i in first] == ["E1", "E3"]
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.claim(worker="w2", now=NOW, lease=lease) == []
        assert uow.inbox.complete(first[0].id, worker="w1", now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert [i.event_id for i in uow.inbox.claim(worker="w2", now=NOW, lease=lease)] == ["E2"]


def test_outbox_retries_with_backoff_or_retry_after(sessions: sessionmaker[Session]) -> None:
    lease = timedelta(seconds=30)
    with SqlUnitOfWork(sessions) as uow:
        outbox_id = uow.outbox.enqueue("card", {"text": "handoff"}, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        (item,) = uow.outbox.claim_due(worker="w", now=NOW, lease=lease)
        assert item.id == outbox_id
        assert uow.outbox.retry_later(
            item.id, worker="w", now=NOW, error="ratelimited", attempts=item.attempts, retry_after=7
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.outbox.claim_due(worker="w", now=NOW + timedelta(seconds=6), lease=lease) == []
        (item,) = uow.outbox.claim_due(worker="w", now=NOW + timedelta(seconds=7), lease=lease)
        assert item.attempts == 2
        assert uow.outbox.retry_later(
            item.id, worker="w", now=NOW, error="500", attempts=item.attempts
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        later = NOW + backoff_delay(2)
        assert uow.outbox.claim_due(worker="w", now=later - timedelta(seconds=1), lease=lease) == []
        (item,) = uow.outbox.claim_due(worker="w", now=later, lease=lease)
        assert uow.outbox.mark_sent(item.id, worker="w", now=later, result={"ts": "1.2"})
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.outbox.pending() == []


def test_a_held_message_stays_until_released(sessions: sessionmaker[Session]) -> None:
    lease = timedelta(seconds=30)
    with SqlUnitOfWork(sessions) as uow:
        uow.outbox.enqueue("card", {"text": "handoff"}, now=NOW)
        (item,) = uow.outbox.claim_due(worker="w", now=NOW, lease=lease)
        assert uow.outbox.hold(item.id, worker="w", error="no handoff channel set")
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        far = NOW + timedelta(days=30)
        assert uow.outbox.claim_due(worker="w", now=far, lease=lease) == []
        assert [m.last_error for m in uow.outbox.pending()] == ["no handoff channel set"]
        assert uow.outbox.release_held(now=far, kind="card") == 1
        assert len(uow.outbox.claim_due(worker="w", now=far, lease=lease)) == 1


def test_outbox_rows_keep_their_workspace_given_or_derived(
    sessions: sessionmaker[Session],
) -> None:
    """`enqueue` stores the workspace a caller names; one that omits it gets the payload's,
    else the conversation's, else the handoff's conversation's; a row of none has none. The
    status counts, held list and release of a workspace read that column."""
    t1 = new_conversation(sessions)
    t2 = new_conversation(sessions, ConversationKey("slack", "T2", "D9", "U9"))
    lease = timedelta(seconds=30)
    with SqlUnitOfWork(sessions) as uow:
        on_t2 = uow.handoffs.open(t2, handoff(), now=NOW, decision_id=None)
        rows = {
            "named": uow.outbox.enqueue(
                "reply",
                {"channel": "D1", "text": "a"},
                now=NOW,
                conversation_id=t1,
                workspace_id="T1",
            ),
            "payload": uow.outbox.enqueue(
                "admin_notice", {"workspace_id": "T2", "text": "b"}, now=NOW
            ),
            "conversation": uow.outbox.enqueue(
                "reply", {"channel": "D1", "text": "c"}, now=NOW, conversation_id=t1
            ),
            "handoff": uow.outbox.enqueue(
                "card_update", {"handoff_id": on_t2}, now=NOW, handoff_id=on_t2
            ),
            "both": uow.outbox.enqueue(
                "relay_to_agents",
                {"handoff_id": on_t2, "text": "d"},
                now=NOW,
                conversation_id=t2,
                handoff_id=on_t2,
            ),
            "empty": uow.outbox.enqueue(
                "admin_notice", {"workspace_id": "", "text": "e"}, now=NOW, workspace_id=""
            ),
            "none": uow.outbox.enqueue("card", {"text": "f"}, now=NOW),
        }
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        found = {name: uow.outbox.workspace_of(row_id) for name, row_id in rows.items()}
        assert found == {
            "named": "T1",
            "payload": "T2",
            "conversation": "T1",
            "handoff": "T2",
            "both": "T2",
            "empty": None,
            "none": None,
        }
        assert uow.outbox.counts("T1") == {"pending": 2}
        assert uow.outbox.counts("T2") == {"pending": 3}
        assert sum(uow.outbox.counts().values()) == 7
        uow.commit()
    for _ in range(3):  # rows of one lane are taken one after another
        with SqlUnitOfWork(sessions) as uow:
            for item in uow.outbox.claim_due(worker="w", now=NOW, lease=lease):
                why = f"held {item.payload.get('text')}"
                assert uow.outbox.hold(item.id, worker="w", error=why)
            uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.outbox.held(workspace_id="T1") == [("reply", "held c"), ("reply", "held a")]
        assert [kind for kind, _ in uow.outbox.held(workspace_id="T2", limit=10)] == [
            "relay_to_agents",
            "card_update",
            "admin_notice",
        ]
        assert uow.outbox.release_held(now=NOW, workspace_id="T1") == 2
        assert uow.outbox.counts("T1") == {"pending": 2}
        assert uow.outbox.counts("T2") == {"held": 3}
        assert uow.outbox.release_held(now=NOW, workspace_id="T3") == 0
        uow.commit()


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [2, 4, 8, 16]
    assert max(delays) == 300
    assert delays == sorted(delays)


def test_the_shop_store_searches_without_guessing(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions) as uow:
        uow.shop.load(
            [
                Customer("C-1", "John Smith", "J.Smith@example.com", "+1 555 0101"),
                Customer("C-2", "John Smith", "john@example.net", "+1 555 0102"),
                Customer("C-3", "Ana_Lima", "ana@example.org", "+351 21 000 0000"),
            ],
            [Order("1042", "C-1", "Lamp", "delivered", 39.0, 6, delivered_days_ago=3)],
            now=NOW,
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert {c.customer_id for c in uow.shop.search_customers("john smith")} == {"C-1", "C-2"}
        assert [c.customer_id for c in uow.shop.search_customers("j.smith@EXAMPLE.com")] == ["C-1"]
        assert [c.customer_id for c in uow.shop.search_customers("+1 (555) 0102")] == ["C-2"]
        assert [c.customer_id for c in uow.shop.search_customers("#1042")] == ["C-1"]
        assert uow.shop.search_customers("Ana%") == []  # LIKE wildcards are literal
        assert uow.shop.search_customers("Ana_Lima")[0].customer_id == "C-3"
        assert uow.shop.candidate("C-1").order_numbers == ("1042",)
        order = uow.shop.order("1042", now=NOW)
        assert order is not None
        assert order.facts().days_since_delivery == 3
        assert uow.shop.order("nope", now=NOW) is None
        # the order ages: its dates are kept, not its days
        older = uow.shop.order("1042", now=NOW + timedelta(days=10))
        assert older is not None
        assert older.facts().days_since_delivery == 13


def test_amounts_come_back_exact_to_the_cent(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions) as uow:
        uow.shop.load(
            [Customer("C-1", "Ada", "ada@example.com", "+1 555 0101")],
            [
                Order(
                    "7",
                    "C-1",
                    "Lamp",
                    "delivered",
                    Decimal("0.10") + Decimal("0.20"),
                    1,
                    current_price=Decimal("1234567.89"),
                )
            ],
            now=NOW,
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        order = uow.shop.order("7", now=NOW)
    assert order is not None
    assert order.total == Decimal("0.30")
    assert order.current_price == Decimal("1234567.89")
    assert isinstance(order.total, Decimal)


def test_a_workspaces_books_are_its_own_whatever_their_names(
    sessions: sessionmaker[Session],
) -> None:
    """Two workspaces upload books of the same name: each reads, replaces and uses only its
    own; a workspace that chose none has none (the shipped default)."""
    with SqlUnitOfWork(sessions) as uow:
        assert uow.policy_books.chosen("T1") is None
        t1, replaced = uow.policy_books.save("T1", "Holidays", {"rules": [1]}, now=NOW)
        assert not replaced
        t2, _ = uow.policy_books.save("T2", "holidays", {"rules": [2]}, now=NOW)
        uow.policy_books.choose("T1", t1, now=NOW)
        with pytest.raises(ValueError, match="only its own"):
            uow.policy_books.choose("T1", t2, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        again, replaced = uow.policy_books.save("T1", "HOLIDAYS", {"rules": [3]}, now=NOW)
        assert replaced
        assert (again.id, again.revision, again.name) == (t1.id, 2, "Holidays")
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.policy_books.chosen("T1") == again
        assert uow.policy_books.chosen("T2") is None
        assert uow.policy_books.document("T1", t1.id) == {"rules": [3]}
        assert uow.policy_books.document("T2", t2.id) == {"rules": [2]}
        assert uow.policy_books.document("T2", t1.id) is None  # not T2's to read
        assert [b.name for b in uow.policy_books.of_workspace("T2")] == ["holidays"]
        assert uow.policy_books.find("T2", "Holidays") == t2
        uow.policy_books.choose("T1", None, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.policy_books.chosen("T1") is None


def test_text_a_database_cannot_hold_is_cleaned_not_lost(sessions: sessionmaker[Session]) -> None:
    odd = "lone \ud800 surrogate and a \x00 NUL"
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.add(
            "Ev-odd",
            {"event": {"text": odd, odd: [odd]}},
            now=NOW,
            workspace_id="T1",
            conversation_key="k",
        )
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        (item,) = uow.inbox.claim(worker="w", now=NOW, lease=timedelta(seconds=60))
    cleaned = "lone \ufffd surrogate and a \ufffd NUL"
    assert item.payload == {"event": {"text": cleaned, cleaned: [cleaned]}}


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no read-only transactions
def test_a_read_only_unit_of_work_cannot_write_and_leaves_its_connection_writable(
    sessions: sessionmaker[Session], backend: str
) -> None:
    with (  # noqa: PT012
        pytest.raises(DBAPIError, match="read-only transaction"),
        SqlUnitOfWork(sessions, read_only=True) as uow,
    ):
        assert uow.workspaces.get("T1").handoff_channel is None  # reads work
        uow.workspaces.save(WorkspaceSettings("T1", handoff_channel="C1"), now=NOW)
    with SqlUnitOfWork(sessions) as uow:  # the pooled connection is an ordinary one again
        uow.workspaces.save(WorkspaceSettings("T1", handoff_channel="C2"), now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions, read_only=True) as uow:
        assert uow.workspaces.get("T1").handoff_channel == "C2"
