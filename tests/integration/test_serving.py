"""The loopback HTTP server the integration tests serve the Bolt App on stops cleanly."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from slack_bolt import App

from tests.integration.serving import serving


@pytest.fixture
def often_switching_threads() -> Iterator[None]:
    # The race needs a thread switch between two lines: switching very often makes it show in
    # a few hundred servings instead of one in thousands.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_a_server_stopped_just_after_answering_leaves_no_worker_writing_to_a_closed_pipe(
    often_switching_threads: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Each answered request ends with its worker thread waking waitress's loop through the
    # wake-up pipe, after the client has its answer: the test has often left `serving` by then.
    app = App(signing_secret="s", token="xoxb-test", token_verification_enabled=False)
    caplog.set_level(logging.ERROR, logger="waitress")
    for _ in range(3000):
        with serving(app) as endpoint:
            url = urlsplit(endpoint)
            connection = HTTPConnection(url.netloc, timeout=10)
            connection.request("GET", url.path)  # no Slack signature: Bolt answers 401/404
            connection.getresponse().read()
            connection.close()
    errors = [f"{r.getMessage()}: {r.exc_info[1] if r.exc_info else ''}" for r in caplog.records]
    assert errors == []
