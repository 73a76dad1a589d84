"""The start-up check of the Claude agent's key and model, against an Anthropic API stand-in on
127.0.0.1: a key or model the API refuses stops the start with one line; a busy API does not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.agents.claude import ClaudeAgent
from bot.composition import AgentUnavailable, build_agent
from bot.policies import default_policy_book
from bot.settings import Settings


class ModelsAPI:
    """Answers GET /v1/models/{id} with a fixed status."""

    def __init__(self, status: int, error_type: str = "") -> None:
        self.status = status
        self.error_type = error_type
        self.paths: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.paths.append(self.path)
                body: dict[str, object] = (
                    {
                        "type": "model",
                        "id": self.path.rsplit("/", 1)[-1],
                        "display_name": "m",
                        "created_at": "2026-01-01T00:00:00Z",
                    }
                    if api.status == 200
                    else {"type": "error", "error": {"type": api.error_type, "message": "no"}}
                )
                data = json.dumps(body).encode()
                self.send_response(api.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def models(request: pytest.FixtureRequest) -> Iterator[ModelsAPI]:
    api = ModelsAPI(*request.param)
    yield api
    api.server.shutdown()
    api.server.server_close()


def settings(url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        ANTHROPIC_API_KEY="sk-test",
        ANTHROPIC_BASE_URL=url,
        ANTHROPIC_MODEL="claude-test-model",
    )


@pytest.mark.parametrize(
    ("models", "says"),
    [
        ((401, "authentication_error"), "the API key was rejected"),
        ((404, "not_found_error"), "the model was not found"),
    ],
    indirect=["models"],
)
def test_a_refused_key_or_unknown_model_stops_the_start_with_one_line(
    models: ModelsAPI, says: str
) -> None:
    with pytest.raises(AgentUnavailable) as raised:
        build_agent(settings(models.url), default_policy_book())
    assert says in str(raised.value)
    assert "claude-test-model" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert models.paths == ["/v1/models/claude-test-model"]


@pytest.mark.parametrize("models", [(200,), (529, "overloaded_error")], indirect=True)
def test_a_known_model_or_a_busy_api_lets_the_claude_agent_start(models: ModelsAPI) -> None:
    agent = build_agent(settings(models.url), default_policy_book())
    assert isinstance(agent, ClaudeAgent)
