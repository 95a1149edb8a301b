"""Progress of a cumulative (QPS) scheme, from what the party has had delivered in its window.

Such a scheme is settled once, after the window, as a credit note; orders only show progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from domain.model.catalog import Product
from domain.model.money import format_rupees
from domain.model.scheme import Scheme, Slab
from domain.pricing.quantity_words import plain_number, units
from domain.pricing.scheme_index import in_scope


def _delivered(
    slab: Slab,
    scheme: Scheme,
    base_qty_by_sku: Mapping[str, int],
    value: Decimal,
    catalog: Mapping[str, Product],
) -> Fraction | Decimal:
    if slab.min_value is not None:
        return value
    total = Fraction(0)
    for sku, base in base_qty_by_sku.items():
        product = catalog.get(sku)
        if product is None or not in_scope(scheme, product):
            continue
        size = 1 if slab.unit is None else product.units.get(slab.unit)
        if size is not None:  # a SKU not sold in the slab's unit adds nothing
            total += Fraction(base, size)
    return total


def cumulative_progress(
    scheme: Scheme,
    delivered_base_qty_by_sku: Mapping[str, int],
    delivered_value: Decimal,
    catalog: Mapping[str, Product],
) -> tuple[int | None, str]:
    """(index of the highest slab reached or None, a line like "14 of 20 cases so far...").

    `delivered_value` is the gross value delivered in the scheme's scope and window.
    """
    reached: int | None = None
    haves: list[Fraction | Decimal] = []
    for i, slab in enumerate(scheme.slabs):
        have = _delivered(slab, scheme, delivered_base_qty_by_sku, delivered_value, catalog)
        haves.append(have)
        if have >= (slab.min_value if slab.min_value is not None else Fraction(slab.minimum)):
            reached = i
    nxt = 0 if reached is None else reached + 1
    if nxt >= len(scheme.slabs):
        return reached, f"{scheme.id}: top slab reached, settled after the period"
    slab, have = scheme.slabs[nxt], haves[nxt]
    if slab.min_value is not None:
        assert isinstance(have, Decimal)
        return reached, (
            f"{scheme.id}: {format_rupees(have)} of {format_rupees(slab.min_value)} so far; "
            f"{format_rupees(slab.min_value - have)} more for the next slab"
        )
    unit = slab.unit or "unit"
    short = Fraction(slab.minimum) - Fraction(have)
    return reached, (
        f"{scheme.id}: {plain_number(round(Fraction(have), 2))} of {units(slab.minimum, unit)} "
        f"so far; {plain_number(round(short, 2))} more for the next slab"
    )
