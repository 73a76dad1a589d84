"""`escalation-bot eval`: run scenario files through the runner and report."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.composition import AgentUnavailable, build_agent
from bot.evaluation.report import document, failed, print_report
from bot.evaluation.runner import ScenarioResult, ScenarioRunner
from bot.evaluation.scenarios import Scenario, ScenarioFile, ScenarioFileError, load_scenario_file
from bot.settings import Settings

PROGRESS_AFTER_SECONDS = 2.0


def run_eval(
    paths: Sequence[Path],
    *,
    agent: str,
    as_json: bool,
    only: str | None,
    settings: Settings,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Exit status: 0 all passed, 1 a failed turn or a violation, 2 bad input."""
    try:
        files = [load_scenario_file(path) for path in paths]
    except ScenarioFileError as error:
        print(f"escalation-bot eval: {error}", file=err)
        return 2
    work = [(f, s) for f in files for s in f.scenarios if only is None or s.id == only]
    if not work:
        print(f"escalation-bot eval: no scenario with id {only!r}", file=err)
        return 2
    try:
        build_agent(settings, files[0].book, kind=agent)
    except AgentUnavailable as error:
        print(f"escalation-bot eval: {error}", file=err)
        return 2
    results = _run(work, agent=agent, settings=settings, err=err)
    if as_json:
        print(json.dumps(document(results), indent=2), file=out)
    else:
        print_report(results, out, agent=agent)
    return 1 if failed(results) else 0


def _run(
    work: Sequence[tuple[ScenarioFile, Scenario]], *, agent: str, settings: Settings, err: TextIO
) -> list[ScenarioResult]:
    progress = Progress(len(work), err)
    results: list[ScenarioResult] = []
    with ScenarioRunner(
        lambda book: build_agent(settings, book, kind=agent, check=False)
    ) as runner:
        for file, scenario in work:
            results.append(runner.run(file, scenario))
            progress.step(results[-1].id)
    progress.done()
    return results


class Progress:
    """A progress bar on stderr, shown only on a terminal (a log or a pipe gets none of its
    carriage returns) and only once a run has taken a few seconds."""

    def __init__(self, total: int, err: TextIO, *, width: int = 30) -> None:
        self.total = total
        self.err = err
        self.width = width
        self.count = 0
        self.started = time.monotonic()
        self.shown = False
        self.on_terminal = _is_terminal(err)

    def step(self, label: str) -> None:
        self.count += 1
        if not self.on_terminal or time.monotonic() - self.started < PROGRESS_AFTER_SECONDS:
            return
        self.shown = True
        filled = self.width * self.count // self.total
        bar = "#" * filled + "." * (self.width - filled)
        self.err.write(f"\r[{bar}] {self.count}/{self.total} {label[:40]:<40}")
        self.err.flush()

    def done(self) -> None:
        if self.shown:
            self.err.write("\n")
            self.err.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False
