"""Slack message markup to the plain text the core reads, and plain text back to Slack.

Mentions are removed, bold, italic, strike and code markers dropped, `&gt;` quotes become
lines starting "> ", links are unwrapped to their label and address, and the HTML entities
Slack escapes are restored. Going out, plain text is escaped again (`as_slack_text`), so a
customer's "<!channel>" or "<https://x|your invoice>" is shown as typed, never read as a
mention or a disguised link.
"""

from __future__ import annotations

import html
import re

_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SPECIAL_MENTION = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
# *bold*, _italic_, ~strike~ as Slack reads them: the marker hugs the words and is not part of
# one (j_smith_1@example.com, 2*3*4 and "5 * 3" are left alone); within one line.
_EMPHASIS = re.compile(r"(?<!\w)([*_~])(?=\S)([^\n]*?\S)\1(?!\w)")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")


def plain_text(markup: str) -> str:
    """What the customer wrote, without Slack's markup."""
    text = _USER_MENTION.sub("", markup)
    text = _SPECIAL_MENTION.sub("", text)
    text = _SUBTEAM.sub(lambda m: f"@{m.group(1) or 'team'}", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1) or 'channel'}", text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(_unwrap_link, text)
    text = _CODE.sub(lambda m: m.group(1), _CODE_BLOCK.sub(lambda m: m.group(1), text))
    text = _without_emphasis(text)
    text = text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    lines = [_quote_line(line) for line in text.split("\n")]
    return "\n".join(line.strip() for line in lines).strip()


def _without_emphasis(text: str) -> str:
    while True:  # nested: *_really_ broken*
        plainer = _EMPHASIS.sub(lambda m: m.group(2), text)
        if plainer == text:
            return text
        text = plainer


def _unwrap_link(match: re.Match[str]) -> str:
    address, label = match.group(1), match.group(2)
    if address.startswith(("mailto:", "tel:")):
        return label or address.split(":", 1)[1]
    if not label or label == address:
        return address
    return f"{label} ({address})"


def _quote_line(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(">") and not stripped.startswith("> "):
        return "> " + stripped[1:].lstrip()
    return line


def as_slack_text(plain: str) -> str:
    """Plain text as literal Slack message text: `&`, `<` and `>` escaped, as Slack asks."""
    return html.escape(plain, quote=False)
