"""The labelled sample shipped for scripts/measure_detector.py is one the script reads, with
every label in it, so the README's command works on a fresh checkout."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "scripts" / "data" / "human_requests.sample.jsonl"


def test_the_sample_holds_requests_doubts_and_near_misses() -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    labels = Counter(row["label"] for row in rows)
    assert 30 <= len(rows) <= 60
    assert labels["explicit"] >= 10
    assert labels["none"] >= 10
    assert labels["implicit"] >= 5
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["text"] for row in rows}) == len(rows)


def test_the_readme_command_measures_the_sample() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "measure_detector.py"), str(SAMPLE), "--errors"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"rows: {len(SAMPLE.read_text(encoding='utf-8').splitlines())}" in done.stdout
    assert "explicit recall:" in done.stdout
    assert "false-explicit rate (none):" in done.stdout
