"""The Bolt App served over real HTTP (waitress on 127.0.0.1), as `serve` runs it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import BaseWSGIServer

from handlers.slack.server import wsgi_app


@contextmanager
def serving(app: App, *, signing_secret: str | None = None) -> Iterator[str]:
    """Yields the URL Slack would post events to. With `signing_secret`, what `serve` runs:
    Bolt's handler behind its signature guard (handlers/slack/server.wsgi_app)."""
    handler = (
        SlackRequestHandler(app)
        if signing_secret is None
        else wsgi_app(app, signing_secret=signing_secret)
    )
    server = waitress.create_server(handler, host="127.0.0.1", port=0, threads=4)
    assert isinstance(server, BaseWSGIServer)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/slack/events"
    finally:
        # Sockets are closed inside the loop's own thread (closing them from here races its
        # select). The wake-up pipe is closed last, from here: closed in the loop, it was shut
        # while this pull and the worker threads' own pulls (each request ends with one) could
        # still write to it: EBADF, or a byte into whatever file took its number.
        server.trigger.pull_trigger(lambda: _close_sockets(server))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        server.trigger.close()


def _close_sockets(server: BaseWSGIServer) -> None:
    for dispatcher in list(server._map.values()):
        if dispatcher is server.trigger:
            dispatcher.del_channel()  # out of the loop, so the loop ends; its pipe stays open
        elif dispatcher is server:
            wasyncore.dispatcher.close(server)  # the listening socket (its close() shuts the pipe)
        else:
            dispatcher.close()
