"""A fake of Anthropic's Messages API at the HTTP layer (an httpx2 transport), scripted per test.

Each scripted step answers one HTTP request: a message (text and tool-use blocks), an HTTP
error status, or a raised timeout. Every request body is kept for assertions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2

Step = Callable[[dict[str, Any]], httpx2.Response]


def text(body: str | dict[str, Any], **usage: int) -> Step:
    """A final answer: plain text, or a JSON object the agent parses."""
    content = body if isinstance(body, str) else json.dumps(body)
    return _message([{"type": "text", "text": content}], "end_turn", usage)


def cut_off(body: str, stop: str = "max_tokens") -> Step:
    """A message the API ended early (`max_tokens`, `refusal`): its text is no answer."""
    return _message([{"type": "text", "text": body}], stop, {})


def tool(name: str, **arguments: Any) -> Step:
    """One tool-use request."""
    return tools((name, arguments))


def tools(*calls: tuple[str, dict[str, Any]]) -> Step:
    blocks = [
        {"type": "tool_use", "id": f"toolu_{i}_{name}", "name": name, "input": args}
        for i, (name, args) in enumerate(calls)
    ]
    return _message(blocks, "tool_use", {})


def status(code: int, error_type: str) -> Step:
    def answer(_: dict[str, Any]) -> httpx2.Response:
        return httpx2.Response(
            code,
            headers={"retry-after-ms": "1", "content-type": "application/json"},
            json={"type": "error", "error": {"type": error_type, "message": "fake"}},
        )

    return answer


def timeout() -> Step:
    def answer(_: dict[str, Any]) -> httpx2.Response:
        raise httpx2.ReadTimeout("fake timeout")

    return answer


def _message(content: list[dict[str, Any]], stop: str, usage: dict[str, int]) -> Step:
    def answer(body: dict[str, Any]) -> httpx2.Response:
        cached = any("cache_control" in block for block in body.get("system", []))
        return httpx2.Response(
            200,
            json={
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": usage.get("input_tokens", 50),
                    "output_tokens": usage.get("output_tokens", 20),
                    "cache_read_input_tokens": usage.get(
                        "cache_read_input_tokens", 1500 if cached else 0
                    ),
                    "cache_creation_input_tokens": usage.get("cache_creation_input_tokens", 0),
                },
            },
        )

    return answer


@dataclass
class FakeMessagesAPI:
    """Answers POST /v1/messages with the scripted steps, in order."""

    steps: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.method == "POST"
        assert request.url.path == "/v1/messages", request.url.path
        body = json.loads(request.content)
        self.requests.append(body)
        if not self.steps:
            raise AssertionError(f"unscripted request #{len(self.requests)}")
        return self.steps.pop(0)(body)

    def client(self, *, max_retries: int = 2) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key="test-key",
            base_url="http://anthropic.test",
            max_retries=max_retries,
            timeout=2.0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(self)),
        )

    def tool_results(self, request_number: int) -> list[dict[str, Any]]:
        """The tool results the agent sent back in request `request_number` (1-based)."""
        last = self.requests[request_number - 1]["messages"][-1]
        return [
            json.loads(block["content"])
            for block in last["content"]
            if block.get("type") == "tool_result"
        ]
