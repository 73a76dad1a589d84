"""What an event is in a Slack Connect world (issue 16, part 3): whose workspace it is, and who
is a customer, over many event shapes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from db.repositories import WorkspaceSettings
from handlers.slack.events import (
    AUTHOR_LOOKED_UP,
    conversation_key_text,
    needs_author_lookup,
    route,
    workspace_of,
)

HOME, HOME_ORG = "T0HOME", "E0HOME"  # our workspace, and its Enterprise Grid organisation
HELP, AGENTS, GENERAL = "C0HELP", "C0AGENTS", "C0GENERAL"
SETTINGS = WorkspaceSettings(HOME, handoff_channel=AGENTS, support_channels=(HELP,))
# Where an event can say whose member its author is (Bolt reads them in this order), or
# `looked_up`: the listener asked users.info; None: nowhere.
PLACES = ("user_team", "user_profile", "team", "looked_up", None)
OURS = (HOME, HOME_ORG)
THEIRS = ("T0CUSTORG", "E0CUSTORG", "T0OTHER")


@dataclass(frozen=True)
class Shape:
    kind: str  # message | app_mention
    channel: str  # HELP | AGENTS | GENERAL | a DM
    shared: bool | None  # is_ext_shared_channel (None: not sent)
    author: str  # the author's team
    place: str | None  # where the event says it
    envelope: str  # the envelope's team_id
    grid: bool  # our installation is on Enterprise Grid (HOME_ORG)
    in_thread: bool

    @property
    def ours(self) -> bool:
        return self.author == HOME or (self.grid and self.author == HOME_ORG)

    def body(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": self.kind,
            "channel": self.channel,
            "user": "U0WRITER",
            "text": "where is order 1043?",
            "ts": "1700000002.000200",
        }
        if self.channel.startswith("D"):
            event["channel_type"] = "im"
        if self.in_thread:
            event["thread_ts"] = "1700000001.000100"
        if self.place == "user_team":
            event.update(user_team=self.author, source_team=self.author)
        elif self.place == "user_profile":
            event["user_profile"] = {"team": self.author, "name": "someone"}
        elif self.place == "team":
            event["team"] = self.author
        enterprise = HOME_ORG if self.grid else None
        body: dict[str, Any] = {
            "team_id": self.envelope,
            "type": "event_callback",
            "event": event,
            "authorizations": [
                {"team_id": HOME, "enterprise_id": enterprise, "user_id": "UBOT", "is_bot": True}
            ],
        }
        if self.shared is not None:
            body["is_ext_shared_channel"] = self.shared
        if self.place == "looked_up":
            # users.info gives a Grid member their workspace and organisation
            grid_member = self.author.startswith("E")
            team = "T0SOMEWS" if grid_member else self.author
            body[AUTHOR_LOOKED_UP] = {
                "team_id": team,
                "enterprise_id": self.author if grid_member else None,
            }
        return body


shapes = st.builds(
    Shape,
    kind=st.sampled_from(("message", "app_mention")),
    channel=st.sampled_from((HELP, AGENTS, GENERAL, "D0WRITER")),
    shared=st.sampled_from((True, False, None)),
    author=st.sampled_from((*OURS, *THEIRS)),
    place=st.sampled_from(PLACES),
    envelope=st.sampled_from((HOME, "T0CUSTORG")),
    grid=st.booleans(),
    in_thread=st.booleans(),
)


@given(shapes)
def test_the_conversation_is_always_the_installations_workspace(shape: Shape) -> None:
    body = shape.body()
    assert workspace_of(body) == HOME
    routed = route(body, SETTINGS)
    if routed.key is not None:
        assert routed.key.workspace_id == HOME
    key = conversation_key_text(body)
    assert key is not None
    assert key.startswith(f"{HOME}/")


@given(shapes)
def test_the_envelopes_team_never_changes_what_an_event_is(shape: Shape) -> None:
    other = replace(shape, envelope=HOME if shape.envelope != HOME else "T0X")
    assert route(shape.body(), SETTINGS) == route(other.body(), SETTINGS)


@given(shapes)
def test_in_a_shared_support_channel_only_another_organisations_member_is_a_customer(
    shape: Shape,
) -> None:
    if shape.channel != HELP or shape.shared is not True:
        return
    routed = route(shape.body(), SETTINGS)
    placed = shape.place is not None
    if shape.kind == "message" and placed and not shape.ours:
        assert routed.role == "customer"
        assert routed.reply_to == {"channel": HELP, "thread_ts": routed.thread_ts or routed.ts}
    else:  # our own people, the unplaced, and mentions (support channels answer `message`)
        assert routed.role == "ignore"


@given(shapes)
def test_an_unshared_support_channel_answers_everyone_as_before(shape: Shape) -> None:
    if shape.channel != HELP or shape.shared is True or shape.kind != "message":
        return
    assert route(shape.body(), SETTINGS).role == "customer"


@given(shapes)
def test_in_the_agents_channel_nobody_is_a_customer_and_only_ours_reply(shape: Shape) -> None:
    if shape.channel != AGENTS:
        return
    routed = route(shape.body(), SETTINGS)
    assert routed.role in ("agent_reply", "ignore")
    if routed.role == "agent_reply":
        assert shape.in_thread
        assert shape.kind == "message"
        assert shape.ours or shape.place is None  # an unplaced reply is read as before


@given(shapes)
def test_outside_support_channels_direct_messages_and_mentions_are_answered_as_before(
    shape: Shape,
) -> None:
    routed = route(shape.body(), SETTINGS)
    if shape.channel.startswith("D") and shape.kind == "message":
        assert routed.role == "customer"
    if shape.channel == GENERAL and shape.kind == "app_mention":
        assert routed.role == "customer"
    if shape.channel == GENERAL and shape.kind == "message":
        assert routed.role == ("thread_followup" if shape.in_thread else "ignore")


@given(shapes)
def test_only_an_unplaced_author_in_a_shared_channel_is_looked_up(shape: Shape) -> None:
    assert needs_author_lookup(shape.body()) == (shape.shared is True and shape.place is None)


def test_a_grid_workspace_member_of_our_organisation_found_by_lookup_is_ours() -> None:
    """users.info gives a member of another workspace of our Grid organisation: staff."""
    shape = Shape("message", HELP, True, HOME_ORG, "looked_up", HOME, True, False)
    assert route(shape.body(), SETTINGS).role == "ignore"
    theirs = Shape("message", HELP, True, "E0CUSTORG", "looked_up", HOME, True, False)
    assert route(theirs.body(), SETTINGS).role == "customer"


def test_edits_bots_and_joins_in_a_shared_support_channel_are_nobodys_turn() -> None:
    shape = Shape("message", HELP, True, "T0CUSTORG", "user_team", "T0CUSTORG", False, False)
    body = shape.body()
    for change in ({"subtype": "message_changed"}, {"bot_id": "B1"}, {"subtype": "channel_join"}):
        changed = {**body, "event": {**body["event"], **change}}
        assert route(changed, SETTINGS).role == "ignore"
        assert not needs_author_lookup({**changed, "event": {**changed["event"], "team": None}})
