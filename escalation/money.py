"""Amounts of money: exact decimals in cents, whatever number they were given as."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
Amount = Decimal | float | int | str


def money(value: Amount) -> Decimal:
    """`value` as a Decimal of whole cents (a float goes through its shortest text: 39.99 is
    Decimal("39.99"), not the binary fraction next to it)."""
    if isinstance(value, bool):
        raise TypeError("a truth value is no amount")
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    if not exact.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def maybe_money(value: Amount | None) -> Decimal | None:
    return None if value is None else money(value)
