"""Measure requests for a person end to end: the real `eval` CLI with the Claude agent, against a
fake Messages API on 127.0.0.1 that plays one of two models.

Usage: python scripts/measure_guard.py PATH... [--model recognising|always-claims]

PATH is a labelled JSONL file ("text", "label": explicit | implicit | none | borderline), or
scenario files (.yaml: run as they are; a turn expecting explicit_request is one the recognising
model claims). Each explicit and none row becomes a one-turn scenario. The fake model:
- recognising: on an explicit row it calls escalate_to_human(explicit_request) quoting the whole
  message as `customer_words`; on any other row it answers without escalating;
- always-claims: it claims an explicit request on every row, quoting the whole message.
When the tool answers `refused`, the fake model ends the turn offering a resolution. Prints the
share of explicit rows escalated as explicit_request with 0 investigation steps, and the share
of none rows not escalated. Exit status 0 after a measurement, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

SCORED = ("explicit", "none")
EVAL = (str(Path(sys.executable).parent / "escalation-bot"), "eval")


def fake_model(labels: dict[str, str], behaviour: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            self._answer(body)

        def _answer(self, body: dict[str, Any]) -> None:
            last = body["messages"][-1]["content"]
            if any(block.get("type") == "tool_result" for block in last):
                final = {"action": "resolve", "reply": "Here is what I can do for you."}
                return self._send([{"type": "text", "text": json.dumps(final)}], "end_turn")
            message = last[-1]["text"]
            claims = behaviour == "always-claims" or labels.get(message) == "explicit"
            if not claims:
                final = {"action": "resolve", "reply": "Here is what I found."}
                return self._send([{"type": "text", "text": json.dumps(final)}], "end_turn")
            use = {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "escalate_to_human",
                "input": {
                    "trigger": "explicit_request",
                    "customer_words": message,
                    "root_cause": "The customer asked for a person.",
                    "recommended_action": "Take over.",
                },
            }
            return self._send([use], "tool_use")

        def _send(self, content: list[dict[str, Any]], stop: str) -> None:
            payload = json.dumps(
                {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-fake",
                    "content": content,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 5},
                }
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def load(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row["label"] in SCORED and row["text"].strip():
                rows.append((row["text"], row["label"]))
    return rows


def scenario_file(rows: list[tuple[str, str]], folder: Path) -> Path:
    scenarios = [
        {
            "id": f"row-{number}",
            "turns": [
                {
                    "customer": text,
                    "expect": {"action": "escalate", "trigger": "explicit_request"}
                    if label == "explicit"
                    else {"action": "resolve"},
                }
            ],
        }
        for number, (text, label) in enumerate(rows)
    ]
    path = folder / "rows.yaml"
    path.write_text(yaml.safe_dump({"scenarios": scenarios}, allow_unicode=True))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, nargs="+")
    parser.add_argument("--model", choices=("recognising", "always-claims"), default="recognising")
    args = parser.parse_args(argv)
    conversations = all(p.suffix in (".yaml", ".yml") for p in args.path)
    try:
        rows = [] if conversations else [row for p in args.path for row in load(p)]
        labels = conversation_labels(args.path) if conversations else dict(rows)
    except (OSError, ValueError, KeyError, yaml.YAMLError) as error:
        print(f"measure_guard: cannot read {args.path}: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        paths = args.path if conversations else [scenario_file(rows, Path(folder))]
        code, document = eval_with_fake_model(paths, labels, args.model, folder=folder)
    if code == 2:
        return 2
    if conversations:
        summary = document["summary"]
        print(f"model: {args.model}; turns {summary['turns']}, accuracy ", end="")
        print(f"{summary['turn_accuracy']:.3f}, rule violations {summary['rule_violations']}")
        for violation in document["violations"]:
            print(f"  {violation['scenario']} turn {violation['turn']}: {violation['rule']}")
    else:
        report(document, rows, args.model)
    return 0


def conversation_labels(paths: list[Path]) -> dict[str, str]:
    """Customer turns of scenario files, labelled explicit where an explicit_request is due."""
    labels = {}
    for path in paths:
        for scenario in yaml.safe_load(path.read_text(encoding="utf-8"))["scenarios"]:
            for turn in scenario["turns"]:
                due = turn.get("expect", {}).get("trigger") == "explicit_request"
                labels[turn["customer"]] = "explicit" if due else "none"
    return labels


def eval_with_fake_model(
    paths: list[Path], labels: dict[str, str], model: str, *, folder: str
) -> tuple[int, dict[str, Any]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake_model(labels, model))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "fake-key",
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
    }
    try:
        run = subprocess.run(
            [*EVAL, *map(str, paths), "--json", "--agent", "claude"],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            check=False,
        )
    finally:
        server.shutdown()
    if run.returncode == 2 or not run.stdout.strip():
        print(run.stderr[-3000:], file=sys.stderr)
        return 2, {}
    return run.returncode, json.loads(run.stdout)


def report(document: dict[str, Any], rows: list[tuple[str, str]], model: str) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for result, (_, label) in zip(document["results"], rows, strict=True):
        actual = result["turns"][0]["actual"]
        escalated = actual["action"] == "escalate"
        honoured = (
            escalated
            and actual["trigger"] == "explicit_request"
            and actual["investigation_steps"] == 0
        )
        counts[(label, "honoured" if honoured else "escalated" if escalated else "kept")] += 1
    explicit = sum(n for (label, _), n in counts.items() if label == "explicit")
    none = sum(n for (label, _), n in counts.items() if label == "none")
    summary = document["summary"]
    print(f"model: {model}; rows: {explicit} explicit, {none} none")
    honoured = counts[("explicit", "honoured")]
    print(
        f"explicit escalated at once (0 steps): {honoured / explicit:.4f} ({honoured}/{explicit})"
    )
    kept = counts[("none", "kept")]
    print(f"none not escalated:                   {kept / none:.4f} ({kept}/{none})")
    print(f"model calls: {summary['model_calls']}; rule violations: {summary['rule_violations']}")


if __name__ == "__main__":
    sys.exit(main())
