"""How `serve` meets Slack: Socket Mode with an app token, else HTTP on POST /slack/events
(and, in OAuth mode, the install pages GET /slack/install and GET /slack/oauth_redirect)."""

from __future__ import annotations

import logging

from slack_bolt import App

from handlers.slack.guard import MAX_BODY, WsgiApp, guarded

log = logging.getLogger(__name__)


def run_socket_mode(app: App, *, app_token: str, threads: int) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415

    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, app_token, concurrency=threads).start()  # type: ignore[no-untyped-call]


def run_http(app: App, *, host: str, port: int, signing_secret: str, threads: int) -> None:
    """Waitress with `threads` request threads: each mostly waits for its event to be
    stored, and the more wait together, the more are stored in one statement."""
    import waitress  # noqa: PLC0415

    log.info("serving Slack requests on http://%s:%s/slack/events", host, port)
    if app.oauth_flow is not None:
        log.info(
            "installing in a workspace starts at http://%s:%s%s",
            host,
            port,
            app.oauth_flow.install_path,
        )
    handler = wsgi_app(app, signing_secret=signing_secret)
    waitress.serve(handler, host=host, port=port, max_request_body_size=MAX_BODY, threads=threads)


def wsgi_app(app: App, *, signing_secret: str) -> WsgiApp:
    """What waitress serves: Bolt's WSGI handler behind the signature guard. Slack's POSTs to
    /slack/events must be signed; a browser's GETs (the install pages, which Bolt serves only
    when the App has an install flow; else 404) carry no signature and pass to Bolt as they
    are: their state is the install's check."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: PLC0415

    return guarded(SlackRequestHandler(app, path="/slack/events"), signing_secret=signing_secret)
