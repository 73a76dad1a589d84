"""Round robin over an on-call group: who a new or passed-on handoff is offered to next.

Pure: the group's members (in the platform's order), who was offered last, who has been
offered this handoff already and who is active are all passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["next_member", "offer_order"]


def offer_order(
    members: Sequence[str], *, after: str | None, offered: Collection[str] = ()
) -> tuple[str, ...]:
    """The members in the order they are asked: starting after `after` (the member offered
    last, across handoffs), round to the start and on, without those offered this handoff
    already. A member listed twice counts once; `after` no longer in the group (or None)
    starts at the first member."""
    unique = tuple(dict.fromkeys(members))
    start = unique.index(after) + 1 if after in unique else 0
    turned = unique[start:] + unique[:start]
    return tuple(member for member in turned if member not in offered)


def next_member(
    members: Sequence[str],
    *,
    after: str | None,
    offered: Collection[str] = (),
    active: Collection[str],
) -> str | None:
    """The first of `offer_order` who is active, or None when nobody active is left."""
    return next(
        (m for m in offer_order(members, after=after, offered=offered) if m in active), None
    )
