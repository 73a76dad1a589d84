"""Round robin's worker chooses with the pure `next_member` (property-tested in
test_oncall_rotation.py), asking the platform about presence lazily and within the read cap."""

from __future__ import annotations

from bot.workers.offers import _Presence
from escalation.oncall import next_member


class Roster:
    def __init__(self, active: set[str]) -> None:
        self.active = active
        self.asked: list[str] = []

    def members(self, group_id: str) -> tuple[str, ...]:
        raise AssertionError("not read here")

    def is_active(self, user_id: str) -> bool:
        self.asked.append(user_id)
        return user_id in self.active


def test_presence_is_asked_in_order_and_only_until_someone_active() -> None:
    roster = Roster({"U3", "U4"})
    members = ("U1", "U2", "U3", "U4", "U5")
    chosen = next_member(
        members, after="U1", offered=(), active=_Presence(roster, frozenset(members))
    )
    assert chosen == "U3"
    assert roster.asked == ["U2", "U3"]


def test_nobody_outside_the_window_is_asked_or_chosen() -> None:
    roster = Roster({"U5"})
    members = ("U1", "U2", "U3", "U4", "U5")
    chosen = next_member(
        members, after=None, offered=(), active=_Presence(roster, frozenset(members[:3]))
    )
    assert chosen is None
    assert roster.asked == ["U1", "U2", "U3"]
