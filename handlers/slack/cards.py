"""The handoff card agents see in the handoff channel, built with slack_sdk's Block Kit models."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.workers.outbox import CardContext
from db.repositories import HandoffRecord
from handlers.slack.markup import as_slack_text

CLAIM = "handoff_claim"
RESOLVE = "handoff_resolve"
RETURN = "handoff_return"
TRIGGER_TITLES = {
    "explicit_request": "Customer asked for a person",
    "policy_gap": "Policy gap: a human decision is needed",
    "no_progress": "Bot could not make progress",
}
_SLACK_ID = re.compile(r"[A-Z0-9]+")
MAX_FIELD = 1900  # Slack allows 2000 characters per text object


def handoff_blocks(record: HandoffRecord, context: CardContext) -> list[Block]:
    # Everything from the conversation (the customer's words, what they typed, the model's
    # reasons) is escaped: only the card's own markup is read as markup.
    handoff = record.handoff
    customer = as_slack_text(
        f"{handoff.customer_name} ({handoff.customer_id})"
        if handoff.customer_name
        else handoff.customer_id
    )
    if handoff.identifiers_typed:
        gave = "typed" if not handoff.identified else "gave"
        customer += f" ({gave}: {as_slack_text(handoff.identifiers_typed.describe())})"
    attempts = "\n".join(f"• {as_slack_text(line)}" for line in handoff.attempt_lines()) or "none"
    blocks: list[Block] = [
        HeaderBlock(text=TRIGGER_TITLES.get(handoff.trigger, "Handoff")[:150]),
        SectionBlock(
            fields=[
                _field("Trigger", f"`{handoff.trigger}`"),
                _field("Customer", customer),
                _field("Slack user", f"<@{context.customer_user_id}>"),
                _field("Conversation", _conversation_link(context)),
            ]
        ),
        SectionBlock(text=_md(f"*Root cause*\n{as_slack_text(handoff.root_cause)}")),
        SectionBlock(
            text=_md(f"*Recommended action*\n{as_slack_text(handoff.recommended_action)}")
        ),
        SectionBlock(text=_md(f"*Attempts made*\n{attempts}")),
        SectionBlock(
            text=_md(
                f"*Policy cited*: {as_slack_text(handoff.policy_cited or 'none')}\n"
                f"*Summary*\n{as_slack_text(handoff.summary)}"
            )
        ),
        ContextBlock(elements=[_md(status_line(record, context))]),
    ]
    buttons = _buttons(record)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"handoff-{record.id}", elements=buttons))
    return blocks


def handoff_text(record: HandoffRecord) -> str:
    """The notification text that goes with the card (and what screen readers read)."""
    handoff = record.handoff
    return as_slack_text(
        f"Handoff ({handoff.trigger}) for customer {handoff.customer_id}: {handoff.root_cause}"
    )


def status_line(record: HandoffRecord, context: CardContext) -> str:
    when = f" at {context.acted_at:%Y-%m-%d %H:%M} UTC" if context.acted_at else ""
    who = f"<@{context.acted_by}>" if context.acted_by else "an agent"
    if record.status == "open":
        group = context.oncall_group
        on_call = f" <!subteam^{group}>" if group and _SLACK_ID.fullmatch(group) else ""
        return f":hourglass: Open: waiting for an agent to claim it.{on_call}"
    if record.status == "claimed":
        return f":raising_hand: Claimed by <@{record.claimed_by}>{when}. Reply in this thread."
    if record.status == "resolved":
        return f":white_check_mark: Resolved by {who}{when}."
    return f":robot_face: Returned to the bot by {who}{when}."


def blocks_as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def _buttons(record: HandoffRecord) -> list[ButtonElement]:
    value = str(record.id)
    if record.status == "open":
        return [
            ButtonElement(text="Claim", action_id=CLAIM, value=value, style="primary"),
            ButtonElement(text="Resolve", action_id=RESOLVE, value=value),
            ButtonElement(text="Return to bot", action_id=RETURN, value=value),
        ]
    if record.status == "claimed":
        # Only the claimer or an admin may close it: an admin confirms first.
        return [
            ButtonElement(
                text="Resolve",
                action_id=RESOLVE,
                value=value,
                style="primary",
                confirm=_confirm("Resolve", record.claimed_by),
            ),
            ButtonElement(
                text="Return to bot",
                action_id=RETURN,
                value=value,
                confirm=_confirm("Return to the bot", record.claimed_by),
            ),
        ]
    return []


def _confirm(verb: str, holder: str | None) -> ConfirmObject:
    return ConfirmObject(
        title=f"{verb}?"[:100],
        text=_md(
            f"<@{holder}> has this conversation. Only they or an admin can do this; "
            "anyone else is told who has it and nothing changes."
        ),
        confirm=verb[:30],
        deny="Cancel",
    )


def _conversation_link(context: CardContext) -> str:
    if context.channel_id.startswith("D"):
        return f"direct message with <@{context.customer_user_id}> (replies here are relayed)"
    link = f"slack://channel?team={context.workspace_id}&id={context.channel_id}"
    return f"<{link}|open the thread> in <#{context.channel_id}>"


def _field(title: str, value: str) -> MarkdownTextObject:
    return _md(f"*{title}*\n{value}")


def _md(text: str) -> MarkdownTextObject:
    cut = text[:MAX_FIELD]
    if len(text) > MAX_FIELD:
        cut = re.sub(r"&[a-z]{0,3}$", "", cut)  # never half an escaped "&lt;"
    return MarkdownTextObject(text=cut)
