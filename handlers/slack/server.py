"""How `serve` meets Slack: Socket Mode with an app token, else HTTP on POST /slack/events."""

from __future__ import annotations

import logging

from slack_bolt import App

from handlers.slack.guard import MAX_BODY, guarded

log = logging.getLogger(__name__)


def run_socket_mode(app: App, *, app_token: str, threads: int) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415

    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, app_token, concurrency=threads).start()  # type: ignore[no-untyped-call]


def run_http(app: App, *, host: str, port: int, signing_secret: str, threads: int) -> None:
    """Waitress with `threads` request threads: each mostly waits for its event to be
    stored, and the more wait together, the more are stored in one statement."""
    import waitress  # noqa: PLC0415
    from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: PLC0415

    log.info("serving Slack requests on http://%s:%s/slack/events", host, port)
    handler = guarded(SlackRequestHandler(app, path="/slack/events"), signing_secret=signing_secret)
    waitress.serve(handler, host=host, port=port, max_request_body_size=MAX_BODY, threads=threads)
