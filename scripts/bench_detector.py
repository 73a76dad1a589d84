"""Benchmark: per-message cost of human-request detection, engine stage 1 and the agent's reader.

Prints median, p99 and max over a synthetic mix of customer messages (short and long, with and
without requests for a person), for detection, stage 1 and the guard on a model's quoted words
(here whole messages, its worst case), and for the offline agent's reader of needs (each
message made unique, so its cache does not hide the cost). The spelling library's data is
loaded on the first call, which the max shows; median and p99 are the steady state. Figures
only; nothing is asserted.

    .venv/bin/python scripts/bench_detector.py [--messages N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from bot.agents.needs import understand
from escalation.engine import screen_message
from escalation.signals import detect_human_request, request_words_refusal
from escalation.state import ConversationState

OPENINGS = ["", "hi, ", "Hello there. ", "ok so ", "URGENT: ", "sorry to bother you, "]
BODIES = [
    "my order 1042 arrived smashed and I want a replacement",
    "where is my parcel, it was due two days ago",
    "can you match the price another shop offers?",
    "I'd like to speak with a person please",
    "is this a bot? nothing you say helps",
    "the courier left it in the rain, j.smith@example.com",
    "please cancel order 2051 before it ships",
    "get me someone from support",
    "I don't need an agent, just the refund",
    "what's your returns window for headphones",
]
CLOSINGS = ["", "!!", " thanks", ". This is ridiculous!!!", " asap"]


def messages(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        body = " ".join(rng.choice(BODIES) for _ in range(rng.choice([1, 1, 1, 2, 5])))
        out.append(rng.choice(OPENINGS) + body + rng.choice(CLOSINGS))
    out.append("x" * 40_000)  # the huge message the design names
    return out


def measure(label: str, texts: list[str], fn: Callable[[str], object], repeat: int) -> None:
    samples: list[float] = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter_ns()
            fn(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(
        f"{label:<28} n={len(samples):>6}  median={statistics.median(samples):8.1f} µs  "
        f"p99={p99:8.1f} µs  max={samples[-1]:9.1f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts = messages(args.messages, args.seed)
    state = ConversationState()
    measure("detect_human_request", texts, detect_human_request, args.repeat)
    measure("stage 1 (screen_message)", texts, lambda t: screen_message(state, t), args.repeat)
    measure("guard (request_words_refusal)", texts, request_words_refusal, args.repeat)
    unique = [text + " " * i for i, text in enumerate(texts)]  # distinct cache keys, same words
    measure("reader (needs.understand)", unique, understand, 1)
    longest = max(texts, key=len)
    start = time.perf_counter_ns()
    screen_message(state, longest)
    print(
        f"one {len(longest):,}-char message through stage 1: "
        f"{(time.perf_counter_ns() - start) / 1000:.0f} µs"
    )


if __name__ == "__main__":
    main()
