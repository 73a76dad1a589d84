"""The Slack pacer's budgets, on an injected clock: per workspace and method (and per channel
for posts), never more calls in any window than the budget allows, whatever the interleaving;
one workspace's calls never change another's answers; Slack's 429 rests only what it limited,
in every process that shares the rests."""

from __future__ import annotations

import threading
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.slack.pacing import (
    POST,
    POST_PER_CHANNEL,
    POST_PER_WORKSPACE,
    TIERS,
    Budget,
    SlackPacer,
    rest_key,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class MemoryRests:
    """Rests shared by pacers as the database table shares them between processes."""

    def __init__(self) -> None:
        self.rests: dict[str, datetime] = {}

    def rest(self, key: str, *, until: datetime) -> None:
        self.rests[key] = max(until, self.rests.get(key, until))

    def resting(self, *, now: datetime) -> dict[str, datetime]:
        return {k: v for k, v in self.rests.items() if v > now}


METHODS = [POST, "users.getPresence", "usergroups.users.list", "chat.update", "users.info"]
WORKSPACES = ["T1", "T2", "T3"]
CHANNELS = ["C1", "C2"]

calls = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=3.0),  # seconds since the previous call
        st.sampled_from(WORKSPACES),
        st.sampled_from(METHODS),
        st.sampled_from(CHANNELS),
    ),
    max_size=300,
)


def run(pacer: SlackPacer, clock: Clock, script: list[tuple[float, str, str, str]]) -> list[bool]:
    granted = []
    for gap, workspace, method, channel in script:
        clock.now += gap
        granted.append(pacer.reserve(workspace, method, channel) is None)
    return granted


def most_in_a_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        most = max(most, end - start + 1)
    return most


def allowed(budget: Budget, window: float, share: float = 1.0) -> float:
    return max(1.0, budget.burst * share) + budget.per_minute * share / 60.0 * window


@settings(max_examples=150, deadline=None)
@given(calls, st.sampled_from([1.0, 0.5, 0.25]))
def test_no_window_holds_more_calls_than_the_budget(
    script: list[tuple[float, str, str, str]], share: float
) -> None:
    clock = Clock()
    pacer = SlackPacer(clock=clock, share=share)
    at: dict[tuple[str, ...], list[float]] = {}
    for gap, workspace, method, channel in script:
        clock.now += gap
        if pacer.reserve(workspace, method, channel) is None:
            at.setdefault((workspace, method), []).append(clock.now)
            if method == POST:
                at.setdefault((workspace, method, channel), []).append(clock.now)
    for key, times in at.items():
        budget = (
            POST_PER_CHANNEL if len(key) == 3 else pacer.budget(key[1])
        )  # a post's channel bucket, else the workspace's bucket of that method
        for window in (0.5, 1.0, 5.0, 60.0):
            assert most_in_a_window(times, window) <= allowed(budget, window, share) + 1e-9, (
                key,
                window,
            )


@settings(max_examples=150, deadline=None)
@given(calls, calls)
def test_a_workspaces_answers_do_not_depend_on_another_workspaces_calls(
    mine: list[tuple[float, str, str, str]], theirs: list[tuple[float, str, str, str]]
) -> None:
    """T2's calls get the same answers alone as interleaved with any amount of T1's calls."""
    t2 = [(gap, "T2", method, channel) for gap, _, method, channel in mine]
    alone_clock = Clock()
    alone = run(SlackPacer(clock=alone_clock), alone_clock, t2)

    clock = Clock()
    pacer = SlackPacer(clock=clock)
    together = []
    t1 = iter(theirs)
    for gap, workspace, method, channel in t2:
        other = next(t1, None)
        if other is not None:  # a T1 call at the same instant, before T2's
            pacer.reserve("T1", other[2], other[3])
        clock.now += gap
        together.append(pacer.reserve(workspace, method, channel) is None)
    assert together == alone


def test_a_spent_budget_is_refused_with_the_wait_and_its_scope() -> None:
    clock = Clock()
    pacer = SlackPacer(clock=clock)
    for _ in range(POST_PER_CHANNEL.burst):
        assert pacer.reserve("T1", POST, "C1") is None
    refusal = pacer.reserve("T1", POST, "C1")
    assert refusal is not None
    assert refusal.scope == "channel"
    assert abs(refusal.retry_after - 1.0) < 1e-6  # one post a second per channel
    assert pacer.reserve("T1", POST, "C2") is None  # another channel posts
    assert pacer.reserve("T2", POST, "C1") is None  # the same channel id in another workspace
    clock.now += refusal.retry_after
    assert pacer.reserve("T1", POST, "C1") is None

    tier2 = TIERS[2]
    for _ in range(tier2.burst):
        assert pacer.reserve("T1", "users.list") is None
    refusal = pacer.reserve("T1", "users.list")
    assert refusal is not None
    assert refusal.scope == "workspace"
    assert abs(refusal.retry_after - 60.0 / tier2.per_minute) < 1e-6
    assert pacer.reserve("T1", "users.info") is None  # another method has its own budget


def test_the_workspace_wide_post_budget_spans_channels() -> None:
    clock = Clock()
    pacer = SlackPacer(clock=clock)
    granted = sum(
        pacer.reserve("T1", POST, f"C{i}") is None for i in range(POST_PER_WORKSPACE.burst * 2)
    )
    assert granted == POST_PER_WORKSPACE.burst
    refusal = pacer.reserve("T1", POST, "Cnew")
    assert refusal is not None
    assert refusal.scope == "workspace"
    assert pacer.reserve("T2", POST, "Cnew") is None


def test_threads_at_one_instant_get_exactly_the_burst() -> None:
    clock = Clock()
    pacer = SlackPacer(clock=clock)
    granted: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(50):
            ok = pacer.reserve("T1", "users.getPresence") is None
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == TIERS[3].burst


def test_a_short_wait_is_waited_and_a_long_one_refused() -> None:
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    pacer = SlackPacer(clock=clock, sleep=sleep)
    for _ in range(POST_PER_CHANNEL.burst):
        pacer.reserve("T1", POST, "C1")
    assert pacer.acquire("T1", POST, "C1", max_wait=1.5) is None
    assert slept == [1.0]
    refusal = pacer.acquire("T1", POST, "C1", max_wait=0.5)  # a whole second to wait
    assert refusal is not None
    assert slept == [1.0]  # refused without sleeping


def test_slacks_429_rests_that_workspaces_method_in_every_process_only() -> None:
    clock = Clock()
    shared = MemoryRests()
    here = SlackPacer(clock=clock, shared=shared)
    there = SlackPacer(clock=clock, shared=shared)  # another process on the same database
    here.rate_limited("T1", "users.getPresence", None, retry_after=30)
    assert set(shared.rests) == {rest_key("T1", "users.getPresence")}
    for pacer in (here, there):
        refusal = pacer.reserve("T1", "users.getPresence")
        assert refusal is not None
        assert 29.9 < refusal.retry_after <= 30.0
        assert pacer.reserve("T2", "users.getPresence") is None  # another workspace
        assert pacer.reserve("T1", "users.info") is None  # another method
    clock.now += 30
    assert there.reserve("T1", "users.getPresence") is None
    # one call when the rest ends, then the method's pace (no burst straight after a 429)
    again = there.reserve("T1", "users.getPresence")
    assert again is not None
    assert abs(again.retry_after - 60.0 / TIERS[3].per_minute) < 1e-6


def test_a_429_on_a_post_rests_that_channel_and_is_left_to_the_drainer_to_share() -> None:
    clock = Clock()
    shared = MemoryRests()
    pacer = SlackPacer(clock=clock, shared=shared)
    pacer.rate_limited("T1", POST, "C1", retry_after=5)
    assert shared.rests == {}  # the outbox drainer rests the channel for every process
    refusal = pacer.reserve("T1", POST, "C1")
    assert refusal is not None
    assert refusal.scope == "channel"
    assert pacer.reserve("T1", POST, "C2") is None


def test_a_share_below_one_divides_every_budget() -> None:
    clock = Clock()
    pacer = SlackPacer(clock=clock, share=0.5)
    granted = sum(pacer.reserve("T1", "users.info") is None for _ in range(100))
    assert granted == TIERS[4].burst // 2
