"""Migrations on an empty database, both ways, agreeing with the models; under concurrency."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, text

from db.engine import make_engine
from db.migrate import check, downgrade, upgrade
from db.models import Base

TABLES = set(Base.metadata.tables)


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_creates_everything_and_matches_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        assert tables(empty_database_url) == TABLES
        check(engine)  # raises if autogenerate finds any difference
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert tables(empty_database_url) == set()
        upgrade(engine)
        assert tables(empty_database_url) == TABLES
        check(engine)
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
    finally:
        engine.dispose()


def _upgrade_in_child(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def test_several_processes_upgrading_at_once_are_serialised(empty_database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_upgrade_in_child, args=(empty_database_url,)) for _ in range(4)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    assert tables(empty_database_url) == TABLES


def _first_start_in_child(url: str, report: str) -> None:
    import traceback  # noqa: PLC0415

    from bot.composition import build_product  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s",
        SHOP="demo",
    )
    try:
        build_product(settings, token_verification=False).stop()
    except BaseException:
        Path(report).write_text(traceback.format_exc())  # the test shows it
        raise


def test_several_processes_starting_on_a_fresh_database_fill_it_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    reports = [tmp_path / f"child-{n}.txt" for n in range(4)]
    children = [
        context.Process(target=_first_start_in_child, args=(empty_database_url, str(report)))
        for report in reports
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=180)
    failures = "\n".join(r.read_text() for r in reports if r.exists())
    assert [child.exitcode for child in children] == [0, 0, 0, 0], failures
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            books = connection.execute(text("SELECT count(*) FROM policy_books")).scalar()
            customers = connection.execute(text("SELECT count(*) FROM customers")).scalar()
    finally:
        engine.dispose()
    assert (books, customers) == (0, 4)  # the shipped book is a file, not a stored copy


def test_conversations_under_way_keep_their_offer_through_revision_0002(
    empty_database_url: str,
) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from db.engine import make_session_factory  # noqa: PLC0415
    from db.repositories import ConversationKey  # noqa: PLC0415
    from db.uow import SqlUnitOfWork  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        with SqlUnitOfWork(sessions) as uow:
            offered = uow.conversations.get_or_create(
                ConversationKey("slack", "T", "D1", "U"), now=now
            )
            plain = uow.conversations.get_or_create(
                ConversationKey("slack", "T", "D2", "U"), now=now
            )
            uow.commit()
        downgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE conversation_states SET turn = 3, resolution_offered = "
                    "(conversation_id = :offered)"
                ),
                {"offered": offered.id},
            )
        upgrade(engine)
        with engine.connect() as connection:
            rows = dict(
                connection.execute(
                    text("SELECT conversation_id, last_offer_turn FROM conversation_states")
                ).all()
            )
        assert rows == {offered.id: 3, plain.id: 0}
    finally:
        engine.dispose()


def test_orders_kept_in_days_get_dates_and_exact_amounts_through_revision_0005(
    empty_database_url: str,
) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from db.engine import make_session_factory  # noqa: PLC0415
    from db.uow import SqlUnitOfWork  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customers (id, name, email, phone, phone_digits) VALUES "
                    "('C-9', 'Ada', 'ada@example.com', '+1 555 0199', '15550199')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO orders (number, customer_id, item, status, total, "
                    "ordered_days_ago, delivered_days_ago, due_days_ago, current_price) VALUES "
                    "('9001', 'C-9', 'Lamp', 'delivered', 19.99, 6, 3, 4, 17.49)"
                )
            )
        upgrade(engine)
        now = datetime.now(UTC)
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            order = uow.shop.order("9001", now=now)
        assert order is not None
        assert (order.ordered_days_ago, order.delivered_days_ago, order.due_days_ago) == (6, 3, 4)
        assert order.total == Decimal("19.99")
        assert order.current_price == Decimal("17.49")
        downgrade(engine, "0004")  # and back, days again
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT ordered_days_ago, delivered_days_ago, due_days_ago, total FROM orders")
            ).one()
        assert tuple(row[:3]) == (6, 3, 4)
        assert abs(float(row[3]) - 19.99) < 1e-9
    finally:
        engine.dispose()


def test_posts_waiting_at_revision_0008_keep_their_place_in_their_lane(
    empty_database_url: str,
) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from db.engine import make_session_factory  # noqa: PLC0415
    from db.uow import SqlUnitOfWork  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    try:
        upgrade(engine, "0007")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, "
                    "created_at) VALUES ('reply', :payload, :status, 0, :now, :now)"
                ),
                [
                    {
                        "payload": '{"channel": "D1", "text": "old"}',
                        "status": "pending",
                        "now": now,
                    },
                    {"payload": '{"channel": "D2", "text": "gone"}', "status": "sent", "now": now},
                ],
            )
        upgrade(engine)
        sessions = make_session_factory(engine)
        with SqlUnitOfWork(sessions) as uow:
            uow.outbox.enqueue("reply", {"channel": "D1", "text": "new"}, now=now)
            uow.commit()
        with SqlUnitOfWork(sessions) as uow:
            taken = uow.outbox.claim_due(worker="w", now=now, lease=timedelta(minutes=1))
        assert [item.payload["text"] for item in taken] == ["old"]  # "new" waits behind it
    finally:
        engine.dispose()


def test_posts_queued_at_revision_0012_get_their_workspace_through_0013(
    empty_database_url: str,
) -> None:
    """Every row, sent or not, gets the workspace revision 0012 derived for it (the payload's,
    else its conversation's, else its handoff's conversation's; none for a row of none), so a
    workspace's status and held list show the same rows after the upgrade; down and up
    again, the column is dropped and filled again."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from db.engine import make_session_factory  # noqa: PLC0415
    from db.repositories import ConversationKey  # noqa: PLC0415
    from db.uow import SqlUnitOfWork  # noqa: PLC0415
    from escalation.handoff import Handoff  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    summary = Handoff(
        customer_id="unidentified",
        trigger="explicit_request",
        root_cause="The customer asked for a person.",
        recommended_action="Take over.",
        attempts=(),
        policy_cited=None,
        summary="Customer: human please",
    )
    try:
        upgrade(engine, "0012")
        sessions = make_session_factory(engine)
        with SqlUnitOfWork(sessions) as uow:  # conversations and handoffs as at 0012
            t1 = uow.conversations.get_or_create(
                ConversationKey("slack", "T1", "D1", "U1"), now=now
            )
            t2 = uow.conversations.get_or_create(
                ConversationKey("slack", "T2", "D2", "U2"), now=now
            )
            on_t2 = uow.handoffs.open(t2.id, summary, now=now, decision_id=None)
            uow.commit()
        queued = [
            ("admin_notice", '{"workspace_id": "T2", "text": "a"}', None, None, "held"),
            ("reply", '{"channel": "D1", "text": "b"}', t1.id, None, "sent"),
            ("reply", '{"channel": "D1", "text": "c"}', t1.id, None, "held"),
            ("card_update", f'{{"handoff_id": {on_t2}}}', None, on_t2, "pending"),
            (
                "handoff_card",
                f'{{"handoff_id": {on_t2}, "workspace_id": "T2"}}',
                t2.id,
                on_t2,
                "held",
            ),
            ("admin_notice", '{"workspace_id": "", "text": "d"}', None, None, "held"),
            ("card", '{"text": "e"}', None, None, "pending"),
        ]
        with engine.begin() as connection:
            for kind, payload, conversation_id, handoff_id, status in queued:
                connection.execute(
                    text(
                        "INSERT INTO outbox (kind, payload, conversation_id, handoff_id, status, "
                        "attempts, next_attempt_at, created_at) VALUES (:kind, :payload, "
                        ":conversation_id, :handoff_id, :status, 0, :now, :now)"
                    ),
                    {
                        "kind": kind,
                        "payload": payload,
                        "conversation_id": conversation_id,
                        "handoff_id": handoff_id,
                        "status": status,
                        "now": now,
                    },
                )
        expected = ["T2", "T1", "T1", "T2", "T2", None, None]
        for _ in range(2):  # the upgrade, then down to 0012 and up again
            upgrade(engine)
            with engine.connect() as connection:
                filled = connection.execute(
                    text("SELECT workspace_id FROM outbox ORDER BY id")
                ).scalars()
                assert list(filled) == expected
            with SqlUnitOfWork(sessions) as uow:
                assert uow.outbox.counts("T1") == {"sent": 1, "held": 1}
                assert uow.outbox.counts("T2") == {"held": 2, "pending": 1}
                assert uow.outbox.held(workspace_id="T1") == [("reply", "")]
                assert [kind for kind, _ in uow.outbox.held(workspace_id="T2")] == [
                    "handoff_card",
                    "admin_notice",
                ]
            downgrade(engine, "0012")
            columns = {column["name"] for column in inspect(engine).get_columns("outbox")}
            assert "workspace_id" not in columns
            assert "ix_outbox_workspace_id_status_id" not in {
                index["name"] for index in inspect(engine).get_indexes("outbox")
            }
        upgrade(engine)
        check(engine)
    finally:
        engine.dispose()


ACME_BOOK = {
    "name": "Acme returns",
    "rules": [
        {
            "id": "returns-90-days",
            "title": "Returns",
            "covers": ["refund", "return"],
            "text": "Items can be returned within 90 days of delivery.",
            "when": {"status_in": ["delivered"], "max_days_since_delivery": 90},
        }
    ],
}


def test_every_workspace_keeps_the_global_book_through_revision_0014(
    empty_database_url: str,
) -> None:
    """At 0013 one book was active for all: each workspace the database knows (by its
    settings, its conversations, its desk settings or its Slack installation) decides by it
    after 0014, as its own chosen copy; a workspace it never knew uses the shipped default.
    Down to 0013, the book chosen last is the active one again; up again, the same."""
    import json  # noqa: PLC0415
    from datetime import UTC, datetime  # noqa: PLC0415

    from bot.policies import default_policy_book  # noqa: PLC0415
    from bot.workers.settings import WorkspaceBooks  # noqa: PLC0415
    from db.engine import make_session_factory  # noqa: PLC0415
    from db.uow import SqlUnitOfWork  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            for name, document, active in [
                ("Old", {"name": "Old", "rules": []}, False),
                ("Acme returns", ACME_BOOK, True),
            ]:
                connection.execute(
                    text(
                        "INSERT INTO policy_books (name, document, active, created_at) "
                        "VALUES (:name, :document, :active, :now)"
                    ),
                    {"name": name, "document": json.dumps(document), "active": active, "now": now},
                )
            connection.execute(
                text(
                    "INSERT INTO workspaces (id, support_channels, admin_user_ids, updated_at) "
                    "VALUES ('T1', '[]', '[]', :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO conversations (platform, workspace_id, channel_id, thread_key, "
                    "customer_user_id, status, created_at, updated_at) "
                    "VALUES ('slack', 'T2', 'D2', '', 'U2', 'bot', :now, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO desk_settings (workspace_id, holidays, updated_at) "
                    "VALUES ('T3', '[]', :now)"
                ),
                {"now": now},
            )
        sessions = make_session_factory(engine)
        for _ in range(2):  # the upgrade, then down to 0013 and up again
            upgrade(engine)
            books = WorkspaceBooks(sessions, default=default_policy_book())
            for team in ("T1", "T2", "T3"):
                assert [r.id for r in books(team).rules] == ["returns-90-days"], team
                with SqlUnitOfWork(sessions) as uow:
                    assert [b.name for b in uow.policy_books.of_workspace(team)] == ["Acme returns"]
            assert books("T9") == default_policy_book()
            with SqlUnitOfWork(sessions) as uow:
                assert uow.policy_books.of_workspace("T9") == []
            downgrade(engine, "0013")
            with engine.connect() as connection:
                active = connection.execute(
                    text("SELECT document FROM policy_books WHERE active")
                ).scalars()
                documents = [d if isinstance(d, dict) else json.loads(d) for d in active]
            assert documents == [ACME_BOOK]
            assert "workspace_policy_books" not in tables(empty_database_url)
        upgrade(engine)
        check(engine)
    finally:
        engine.dispose()


def test_a_database_without_workspaces_keeps_no_book_through_revision_0014(
    empty_database_url: str,
) -> None:
    """The global book installed at first start, before any workspace wrote: nobody chose it,
    so the first workspace uses the shipped default (the same file); down again, no book is
    active and the bot of 0013 installs the shipped one at start, as on a fresh database."""
    from datetime import UTC, datetime  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO policy_books (name, document, active, created_at) "
                    "VALUES ('Demo', '{\"rules\": []}', true, :now)"
                ),
                {"now": datetime(2026, 12, 5, tzinfo=UTC)},
            )
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM policy_books")).scalar() == 0
        downgrade(engine, "0013")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM policy_books")).scalar() == 0
    finally:
        engine.dispose()
