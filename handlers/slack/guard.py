"""What reaches Bolt over HTTP: signed by Slack first, small, and a well-formed object.

An unsigned body is refused before it is parsed; a signed one that is not a JSON object or a
form of fields (a JSON array, broken JSON, nesting deeper than any Slack payload) gets 400, never
a 500. The size cap itself is waitress' `max_request_body_size` (413 before the body is read).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

MAX_BODY = 256 * 1024  # far above any Slack payload; waitress refuses more before reading it
MAX_DEPTH = 64  # Slack's deepest payloads (rich text in blocks) nest a dozen levels

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def guarded(app: WsgiApp, *, signing_secret: str) -> WsgiApp:
    verifier = SignatureVerifier(signing_secret)

    def guard(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        body = _read(environ)
        if body is None:
            return _refuse(start_response, "413 Payload Too Large", "body too large")
        stamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        # slack_sdk's check reads the timestamp with int(): a request without one (a scanner,
        # a health check) would raise there and be answered 500 with a traceback in the log.
        is_stamp = stamp.isascii() and stamp.isdigit()
        if not (is_stamp and verifier.is_valid(body=body, timestamp=stamp, signature=signature)):
            return _refuse(start_response, "401 Unauthorized", "invalid signature")
        problem = malformed(body, str(environ.get("CONTENT_TYPE") or ""))
        if problem is not None:
            return _refuse(start_response, "400 Bad Request", problem)
        environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads it again
        environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return guard


def malformed(body: bytes, content_type: str) -> str | None:
    """Why a signed body is not one Slack sends, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if "application/x-www-form-urlencoded" in content_type:
        fields = parse_qs(text)
        payload = fields.get("payload")
        return None if payload is None else _json_object_problem(payload[0])
    return _json_object_problem(text)


def _json_object_problem(text: str) -> str | None:
    if _depth(text) > MAX_DEPTH:
        return "nested too deeply"
    try:
        value = json.loads(text)
    except ValueError:
        return "not JSON"
    return None if isinstance(value, dict) else "not a JSON object"


def _depth(text: str) -> int:
    """The deepest bracket nesting, counted without parsing (outside strings)."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _read(environ: dict[str, Any]) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    data: bytes = environ["wsgi.input"].read(min(length, MAX_BODY + 1) if length else MAX_BODY + 1)
    return None if len(data) > MAX_BODY else data


def _refuse(start_response: Callable[..., Any], status: str, why: str) -> Iterable[bytes]:
    data = json.dumps({"ok": False, "error": why}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
