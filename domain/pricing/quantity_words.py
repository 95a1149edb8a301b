"""Quantities in words as an order sheet writes them: `1 case`, `10 cases`, `2.5 boxes`."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def plain_number(value: Decimal | Fraction | int) -> str:
    """10 not 1E+1, 2.5 not 2.50."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, int):
        return str(value)
    return f"{value.normalize():f}"


def units(count: Decimal | Fraction | int, unit: str) -> str:
    if count == 1 or unit.endswith("s"):
        return f"{plain_number(count)} {unit}"
    suffix = "es" if unit.endswith(("x", "ch", "sh")) else "s"
    return f"{plain_number(count)} {unit}{suffix}"
