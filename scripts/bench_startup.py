"""How long `escalation-bot console` takes to start with no ANTHROPIC_API_KEY, as a new user
meets it: the wall time from launch to its first prompt on a terminal, and to its exit after
`/quit`; then `python -X importtime`'s heaviest imports of one start.

    .venv/bin/python scripts/bench_startup.py [--runs 7] [--root DIR]

Each run starts the console as a child process on a pseudo-terminal in an empty directory (no
`.env` is read), waits for a line ending in "> " (the prompt), types `/quit` and waits for the
exit. `--root` runs another checkout's code (e.g. an older commit unpacked with `git archive`)
with this virtual environment, to compare. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = re.compile(rb"> $")  # what is on screen when the console waits for a line
TIMEOUT = 120.0


def console_command() -> list[str]:
    return [sys.executable, "-m", "bot.cli", "console"]


def child_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = str(root)  # ahead of the editable install: this checkout's code
    env.pop("DATABASE_URL", None)
    return env


def one_start(root: Path, workdir: Path) -> tuple[float, float]:
    """Seconds from launch to the first prompt, and to the exit after /quit."""
    leader, follower = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(
        console_command(),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=workdir,
        env=child_env(root),
        start_new_session=True,
    )
    os.close(follower)
    screen = b""
    try:
        while not PROMPT.search(screen):
            if time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"no prompt in {TIMEOUT:.0f} s; the screen: {screen[-400:]!r}")
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    screen += os.read(leader, 4096)
                except OSError as error:  # the console exited before prompting
                    raise RuntimeError(f"the console exited: {screen[-400:]!r}") from error
        prompted = time.perf_counter() - started
        os.write(leader, b"/quit\n")
        while process.poll() is None:
            if time.perf_counter() - started > TIMEOUT:
                raise RuntimeError("the console did not exit after /quit")
            ready, _, _ = select.select([leader], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):  # the console closed the terminal
                    os.read(leader, 4096)
        exited = time.perf_counter() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    if process.returncode != 0:
        raise RuntimeError(f"the console exited with {process.returncode}")
    return prompted, exited


def import_offenders(root: Path, workdir: Path, *, top: int = 12) -> None:
    """One start under `-X importtime` (fed /quit on stdin): the imports that cost most."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", "console"],
        input="/quit\n",
        capture_output=True,
        text=True,
        cwd=workdir,
        env=child_env(root),
        timeout=TIMEOUT,
        check=True,
    )
    rows: list[tuple[int, int, str]] = []  # self µs, cumulative µs, module (indented)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(own), int(cumulative), name.rstrip()))
    by_package: dict[str, int] = defaultdict(int)
    for own, _, name in rows:
        by_package[name.strip().split(".")[0]] += own
    total = sum(own for own, _, _ in rows)
    print(f"\nimports: {total / 1e6:.2f} s in all ({len(rows)} modules)")
    print("  by top-level package (own time):")
    for package, own in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        print(f"    {own / 1e3:8.0f} ms  {package}")
    print("  heaviest single modules (own time):")
    for own, cumulative, name in sorted(rows, reverse=True)[:top]:
        print(
            f"    {own / 1e3:8.0f} ms  (with its imports {cumulative / 1e3:6.0f} ms)  "
            f"{name.strip()}"
        )
    heavy = [name.strip() for _, _, name in rows if name.strip() in ("anthropic", "psycopg")]
    print(f"  imported though not needed here: {', '.join(heavy) or 'none (anthropic, psycopg)'}")


def describe(label: str, seconds: list[float]) -> str:
    return (
        f"{label:<16} median {statistics.median(seconds):.2f} s   "
        f"min {min(seconds):.2f} s   max {max(seconds):.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="starts to time (default: %(default)s)")
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the checkout whose code runs (default: this one)",
    )
    parser.add_argument("--no-imports", action="store_true", help="skip the -X importtime run")
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        workdir = Path(directory)
        one_start(root, workdir)  # a first start warms the OS's file cache; not counted
        prompts, exits = [], []
        for _ in range(args.runs):
            prompted, exited = one_start(root, workdir)
            prompts.append(prompted)
            exits.append(exited)
        print(f"escalation-bot console, no ANTHROPIC_API_KEY, {args.runs} starts ({root})")
        print(describe("to first prompt", prompts))
        print(describe("to exit (/quit)", exits))
        if not args.no_imports:
            import_offenders(root, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
