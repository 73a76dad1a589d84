"""Cross-cutting Bolt middleware: only people's messages reach the listeners; requests logged."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from handlers.slack.events import is_customer_authored

log = logging.getLogger(__name__)


class IgnoreNonPersonMessages(Middleware):
    """Acknowledges and drops bot messages, edits, deletes, joins and other non-turns."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        event = req.body.get("event") or {}
        if event.get("type") in ("message", "app_mention") and not is_customer_authored(event):
            log.debug("ignored %s event (%s)", event.get("type"), event.get("subtype") or "bot")
            return req.context.ack()
        return next()


class LogRequests(Middleware):
    """One line per request: commands, button presses and Slack's retries at INFO; a first
    delivery of an event at DEBUG (there can be hundreds a second; each turn logs its own)."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        body = req.body
        kind = body.get("type") or ("command" if body.get("command") else "unknown")
        detail = body.get("event_id") or body.get("command") or ""
        retry = req.headers.get("x-slack-retry-num", [None])[0]
        level = logging.DEBUG if kind == "event_callback" and not retry else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "slack %s %s%s", kind, detail, f" (retry {retry})" if retry else "")
        return next()
