"""Slack's message markup as a person reads it in a terminal.

Mentions become "@name", channels "#name", links their label and address, emoji shortcodes the
emoji itself (the `emoji` package knows Slack's aliases; a custom one it does not know is
dropped), and the escaped `&amp;`, `&lt;`, `&gt;` the characters they stand for. Bold, italic,
strike-through and code markers are removed; on a terminal bold is shown bold instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import emoji

from handlers.slack.markup import plain_text

BOLD_ON, BOLD_OFF = "\x1b[1m", "\x1b[22m"
DIM_ON, DIM_OFF = "\x1b[2m", "\x1b[22m"

_USER_MENTION = re.compile(r"<@([UWB][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL_MENTION = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z][a-z0-9_+\-]*:(?!\w) ?")
_MARKERS = (
    ("*", True),  # bold
    ("_", False),  # italic
    ("~", False),  # strike-through
)


def _marked(marker: str) -> re.Pattern[str]:
    m = re.escape(marker)
    # Slack reads a marker pair only at word edges: snake_case and 2*3*4 stay as written.
    return re.compile(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]*?\S){m}(?![\w{m}])")


_BOLD = f"{BOLD_ON}\\1{BOLD_OFF}"
_MARKED = tuple((_marked(marker), bold) for marker, bold in _MARKERS)


def terminal_text(
    markup: str,
    *,
    name_of: Callable[[str], str],
    channel_of: Callable[[str], str] = str,
    styled: bool = False,
) -> str:
    """`markup` (Slack mrkdwn) as plain text, users and channels by `name_of` and
    `channel_of` (an id to a name); `styled` shows bold with the terminal's bold."""
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(_unescape(match.group(1)))
        return f"\ue000{len(codes) - 1}\ue001"

    text = _CODE_BLOCK.sub(keep_code, markup)
    text = _CODE.sub(keep_code, text)
    text = _USER_MENTION.sub(lambda m: f"@{m.group(2) or name_of(m.group(1))}", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or channel_of(m.group(1))}", text)
    text = _SPECIAL_MENTION.sub(lambda m: f"@{m.group(1)}", text)
    for pattern, bold in _MARKED:  # before plain_text, which would drop the bold with the rest
        text = pattern.sub(_BOLD if bold and styled else r"\1", text)
    text = plain_text(text)  # channels, links, dates, quotes and the escaped entities
    text = emoji_text(text)
    return _PLACEHOLDER.sub(lambda m: codes[int(m.group(1))], text)


def emoji_text(text: str) -> str:
    """Shortcodes as emoji; one no emoji has (a workspace's custom emoji) is dropped."""
    return _SHORTCODE.sub("", emoji.emojize(text, language="alias"))


def dim(text: str, *, styled: bool) -> str:
    return f"{DIM_ON}{text}{DIM_OFF}" if styled else text


def _unescape(text: str) -> str:
    return text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
