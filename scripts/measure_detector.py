"""Measure `detect_human_request` on a labelled JSONL dev set.

Usage: python scripts/measure_detector.py PATH [--errors]

Each line of PATH is a JSON object with at least "text" and "label" (explicit, implicit, none or
borderline); "id" is shown in the error listing when present. Prints recall on the explicit rows,
the false-explicit rate on the none rows and the confusion table (gold label x predicted kind),
overall and then per source (the optional "source" field of each row, else its "group").

Nothing in the detector is fitted to data automatically: its lexicon and grammar are written by
hand and no parameter is learnt from any row, so a leave-one-source-out evaluation gives exactly
the per-source figures printed here (each source's rows played no part in building what scores
them, beyond what a reader of the dev set may have taken from it by hand).

Exit status: 0 after a measurement, 2 on a missing or malformed file or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from escalation.signals import detect_human_request

GOLD_LABELS = ("explicit", "implicit", "none", "borderline")
KINDS = ("explicit", "implicit", "none")


class DevSetError(Exception):
    """The dev set cannot be read."""


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    label: str
    source: str = "(no source)"


def load(path: Path) -> list[Row]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DevSetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DevSetError(f"{path}: cannot read: {exc}") from exc
    rows: list[Row] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DevSetError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise DevSetError(f"{path}:{number}: expected a JSON object")
        text, label = obj.get("text"), obj.get("label")
        if not isinstance(text, str):
            raise DevSetError(f"{path}:{number}: missing or non-string 'text'")
        if label not in GOLD_LABELS:
            raise DevSetError(
                f"{path}:{number}: 'label' must be one of {', '.join(GOLD_LABELS)}, got {label!r}"
            )
        source = obj.get("source") or obj.get("group")
        rows.append(
            Row(
                str(obj.get("id", f"line {number}")),
                text,
                label,
                source if isinstance(source, str) and source else "(no source)",
            )
        )
    if not rows:
        raise DevSetError(f"{path}: no rows")
    return rows


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.4f} ({part}/{whole})" if whole else "n/a (0 rows)"


def print_figures(table: Counter[tuple[str, str]], gold_totals: Counter[str]) -> None:
    recall = ratio(table["explicit", "explicit"], gold_totals["explicit"])
    false_explicit = ratio(table["none", "explicit"], gold_totals["none"])
    implicit = ratio(table["implicit", "implicit"], gold_totals["implicit"])
    print(f"explicit recall:            {recall}")
    print(f"false-explicit rate (none): {false_explicit}")
    print(f"implicit recall:            {implicit}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="JSONL dev set")
    parser.add_argument("--errors", action="store_true", help="list misclassified rows")
    args = parser.parse_args(argv)
    try:
        rows = load(args.path)
    except DevSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    table: Counter[tuple[str, str]] = Counter()
    errors: list[tuple[Row, str, str | None]] = []
    predicted: list[str] = []
    for row in rows:
        result = detect_human_request(row.text)
        predicted.append(result.kind)
        table[row.label, result.kind] += 1
        wrong = (row.label in KINDS and result.kind != row.label) or (
            row.label == "borderline" and result.kind == "explicit"
        )
        if wrong:
            errors.append((row, result.kind, result.evidence))

    gold_totals = Counter(row.label for row in rows)
    print(f"rows: {len(rows)}")
    print_figures(table, gold_totals)
    print()
    width = 12
    print("gold \\ predicted".ljust(18) + "".join(k.rjust(width) for k in KINDS) + "total".rjust(8))
    for label in GOLD_LABELS:
        if not gold_totals[label]:
            continue
        cells = "".join(str(table[label, kind]).rjust(width) for kind in KINDS)
        print(label.ljust(18) + cells + str(gold_totals[label]).rjust(8))

    sources = sorted({row.source for row in rows})
    if len(sources) > 1:
        for source in sources:
            part = [(row, kind) for row, kind in zip(rows, predicted, strict=True)]
            part = [(row, kind) for row, kind in part if row.source == source]
            print()
            print(f"source: {source} ({len(part)} rows)")
            print_figures(
                Counter((row.label, kind) for row, kind in part),
                Counter(row.label for row, _ in part),
            )

    if args.errors:
        print()
        print(
            f"misclassified rows ({len(errors)}; borderline listed only when predicted explicit):"
        )
        for row, kind, evidence in sorted(errors, key=lambda e: (e[0].label, e[1], e[0].id)):
            shown = f"  evidence={evidence!r}" if evidence is not None else ""
            print(f"[{row.label} -> {kind}] {row.id}: {row.text!r}{shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
