"""Round robin's choice of the next on-call member: never someone away or offered already,
in the group's order from the one offered last, round to the start, and fair over many
handoffs."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from escalation.oncall import next_member, offer_order

MEMBERS = st.lists(st.sampled_from([f"U{i}" for i in range(8)]), min_size=0, max_size=8)


@st.composite
def situations(draw: st.DrawFn) -> tuple[list[str], str | None, set[str], set[str]]:
    members = draw(MEMBERS)
    people = [*sorted(set(members)), "UGONE"]  # someone no longer in the group too
    after = draw(st.none() | st.sampled_from(people))
    offered = draw(st.sets(st.sampled_from(people)))
    active = draw(st.sets(st.sampled_from(people)))
    return members, after, offered, active


@given(situations())
def test_never_someone_inactive_offered_already_or_outside_the_group(
    situation: tuple[list[str], str | None, set[str], set[str]],
) -> None:
    members, after, offered, active = situation
    chosen = next_member(members, after=after, offered=offered, active=active)
    if chosen is not None:
        assert chosen in members
        assert chosen in active
        assert chosen not in offered


@given(situations())
def test_nobody_only_when_no_active_member_is_left(
    situation: tuple[list[str], str | None, set[str], set[str]],
) -> None:
    members, after, offered, active = situation
    chosen = next_member(members, after=after, offered=offered, active=active)
    left = {m for m in members if m in active and m not in offered}
    assert (chosen is None) == (not left)


@given(situations())
def test_the_first_active_member_after_the_last_one_offered_going_round(
    situation: tuple[list[str], str | None, set[str], set[str]],
) -> None:
    members, after, offered, active = situation
    chosen = next_member(members, after=after, offered=offered, active=active)
    if chosen is None:
        return
    unique = list(dict.fromkeys(members))
    start = unique.index(after) + 1 if after in unique else 0
    # everyone between the one offered last and the chosen one (going round) was passed over
    # for a reason: away, or offered this handoff already
    i = start
    while unique[i % len(unique)] != chosen:
        skipped = unique[i % len(unique)]
        assert skipped not in active or skipped in offered
        i += 1


@given(MEMBERS, st.none() | st.sampled_from([f"U{i}" for i in range(8)]))
def test_the_order_is_every_member_once_starting_after_the_last_offered(
    members: list[str], after: str | None
) -> None:
    order = offer_order(members, after=after)
    unique = list(dict.fromkeys(members))
    assert sorted(order) == sorted(unique)
    if after in unique and len(unique) > 1:
        assert order[-1] == after  # the one offered last is asked last
        assert order[0] == unique[(unique.index(after) + 1) % len(unique)]  # wraps at the end


def test_it_goes_round_in_the_groups_order_and_wraps() -> None:
    members = ["UA", "UB", "UC"]
    everyone = set(members)
    last = None
    picked = []
    for _ in range(7):
        last = next_member(members, after=last, active=everyone)
        picked.append(last)
    assert picked == ["UA", "UB", "UC", "UA", "UB", "UC", "UA"]


def test_an_away_member_is_skipped_and_the_next_one_after_them_asked() -> None:
    assert next_member(["UA", "UB", "UC"], after="UA", active={"UA", "UC"}) == "UC"
    assert next_member(["UA", "UB", "UC"], after="UC", offered={"UA"}, active={"UA", "UB"}) == "UB"
    assert next_member(["UA", "UB"], after=None, offered={"UA"}, active={"UA"}) is None


@given(st.integers(min_value=1, max_value=7), st.integers(min_value=1, max_value=60))
def test_fair_over_many_handoffs_when_everyone_is_active(size: int, handoffs: int) -> None:
    """Each handoff offered once (claimed at once): nobody is offered more than one handoff
    more than anyone else."""
    members = [f"U{i}" for i in range(size)]
    counts: Counter[str] = Counter()
    last = None
    for _ in range(handoffs):
        last = next_member(members, after=last, active=set(members))
        assert last is not None
        counts[last] += 1
    offered = [counts[m] for m in members]
    assert max(offered) - min(offered) <= 1


@given(st.data())
def test_fair_among_the_active_over_passed_on_handoffs(data: st.DataObject) -> None:
    """Handoffs passed on (each offered until claimed, the pointer moving at every offer):
    among members always active, the offers still differ by at most one."""
    size = data.draw(st.integers(min_value=2, max_value=6))
    members = [f"U{i}" for i in range(size)]
    counts: Counter[str] = Counter()
    last = None
    for _ in range(data.draw(st.integers(min_value=1, max_value=20))):
        offered: set[str] = set()
        for _ in range(data.draw(st.integers(min_value=1, max_value=size))):  # passes
            chosen = next_member(members, after=last, offered=offered, active=set(members))
            if chosen is None:
                break
            offered.add(chosen)
            counts[chosen] += 1
            last = chosen
    assert max(counts[m] for m in members) - min(counts[m] for m in members) <= 1
