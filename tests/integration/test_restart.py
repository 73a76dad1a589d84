"""State survives a restart: a reiteration handled by a new process still escalates."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

from db.engine import make_engine, make_session_factory
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.engine import Decision, Proposal, decide, screen_message

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEY = ConversationKey("slack", "T1", "D1", "U-CUSTOMER")


def take_turn(url: str, text: str, proposal: Proposal | None) -> Decision:
    """One turn, the way the bot runs it: load, decide, persist in one transaction."""
    engine = make_engine(url)
    try:
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            conversation = uow.conversations.get_or_create(KEY, now=NOW)
            uow.conversations.lock(conversation.id)
            loaded = uow.conversations.load_state(conversation.id)
            uow.conversations.add_message(conversation.id, speaker="customer", text=text, now=NOW)
            history = uow.conversations.history(conversation.id)
            screening = screen_message(loaded.state, text, history=history)
            if screening.decision is not None:
                decision, state = screening.decision, screening.state
            else:
                assert proposal is not None, "the test expected stage 1 to escalate"
                ruling = decide(screening.state, proposal, history=history)
                decision, state = ruling.decision, ruling.state
            uow.conversations.save_state(conversation.id, state, version=loaded.version, now=NOW)
            uow.conversations.record_decision(
                conversation.id, turn=state.turn, decision=decision, now=NOW
            )
            uow.conversations.add_message(
                conversation.id, speaker="bot", text=decision.reply, now=NOW
            )
            uow.commit()
        return decision
    finally:
        engine.dispose()


def _reiterate_in_new_process(url: str) -> None:
    decision = take_turn(url, "no. you're a bot, that's useless to me", proposal=None)
    assert (decision.action, decision.trigger) == ("escalate", "explicit_request")


def test_a_reiteration_after_an_offer_escalates_in_a_new_process(database_url: str) -> None:
    first = take_turn(
        database_url,
        "is this an actual person? my lamp came broken",
        Proposal(action="resolve", reply="I can send you a new lamp right away."),
    )
    assert first.action == "resolve"

    child = multiprocessing.get_context("spawn").Process(
        target=_reiterate_in_new_process, args=(database_url,)
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0

    engine = make_engine(database_url)
    try:
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            conversation = uow.conversations.get_or_create(KEY, now=NOW)
            decisions = uow.conversations.decisions(conversation.id)
            assert conversation.status == "escalated"
        assert [(d.action, d.trigger, d.investigation_steps) for d in decisions] == [
            ("resolve", None, 0),
            ("escalate", "explicit_request", 0),
        ]
    finally:
        engine.dispose()
