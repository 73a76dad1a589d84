"""`escalation-bot serve`: Socket Mode with SLACK_APP_TOKEN, else HTTP on POST /slack/events."""

from __future__ import annotations

import logging

from bot.application import Product, build_product
from bot.settings import Settings

log = logging.getLogger(__name__)


class MissingSetting(RuntimeError):
    pass


def serve(settings: Settings, *, host: str, port: int) -> None:
    required = ["SLACK_BOT_TOKEN"] + ([] if settings.slack_app_token else ["SLACK_SIGNING_SECRET"])
    missing = [name for name in required if not getattr(settings, name.lower())]
    if missing:
        raise MissingSetting(f"set {', '.join(missing)} (see the README)")
    product = build_product(settings)
    product.start_workers()
    try:
        if settings.slack_app_token:
            _socket_mode(product, settings.slack_app_token)
        else:
            _http(product, host=host, port=port)
    finally:
        product.stop()


def _socket_mode(product: Product, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415

    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(product.app, app_token).start()  # type: ignore[no-untyped-call]


def _http(product: Product, *, host: str, port: int) -> None:
    import waitress  # noqa: PLC0415
    from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: PLC0415

    log.info("serving Slack requests on http://%s:%s/slack/events", host, port)
    waitress.serve(SlackRequestHandler(product.app, path="/slack/events"), host=host, port=port)
