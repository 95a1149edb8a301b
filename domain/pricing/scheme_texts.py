"""Short human texts for schemes: why one applied (and what it saved), why one did not, nudges.

They are read by shopkeepers in chat, so they name units and rupees, not internal codes.
"""

from __future__ import annotations

from domain.model.catalog import Product
from domain.model.money import format_rupees
from domain.model.scheme import Scheme, Slab
from domain.pricing.quantity_words import plain_number, units
from domain.pricing.slab_benefit import FreeGoods


def threshold_label(slab: Slab, product: Product | None = None) -> str:
    """`10+ cases`, `Rs 5,000.00+`."""
    if slab.min_value is not None:
        return f"{format_rupees(slab.min_value)}+"
    assert slab.min_qty is not None
    unit = slab.unit or (product.base_unit if product else "unit")
    return units(slab.min_qty, unit).replace(" ", "+ ", 1)  # 10 cases -> 10+ cases


def benefit_label(slab: Slab, product: Product, free: FreeGoods | None = None) -> str:
    """`5% off`, `Rs 5.00 off a packet`, `1 case Thums Up 750ml free`."""
    if slab.percent is not None:
        return f"{plain_number(slab.percent)}% off"
    if slab.amount_off is not None:
        return f"{format_rupees(slab.amount_off)} off a {product.base_unit}"
    if slab.price is not None:
        return f"{format_rupees(slab.price)} a {product.base_unit}"
    if free is not None:
        return f"{units(free.qty, free.unit)} {free.product.name} free"
    assert slab.free_qty is not None
    return f"{plain_number(slab.free_qty)} {slab.free_unit or ''} free".replace("  ", " ")


def applied_note(slab: Slab, product: Product, free: FreeGoods | None) -> str:
    """`5% off on 10+ cases`: what the scheme gave the line, and for what."""
    return f"{benefit_label(slab, product, free)} on {threshold_label(slab, product)}"


def not_applied_note(
    code: str, scheme: Scheme, product: Product, winner: Scheme | None = None
) -> str:
    """`needs 10+ cases in all`: why the scheme did not apply to the line."""
    if code == "inactive":
        return "switched off"
    if code == "dates":
        start, end = scheme.valid_from, scheme.valid_to
        if start and end:
            return f"runs {start.isoformat()} to {end.isoformat()} only"
        if end:
            return f"ended on {end.isoformat()}"
        assert start is not None
        return f"starts on {start.isoformat()}"
    if code == "audience":
        return "not offered to this buyer"
    if code == "threshold_not_reached":
        where = "in all" if scheme.pooled else "on the line"
        return f"needs {threshold_label(scheme.slabs[0], product)} {where}"
    if code == "lost_to_priority" and winner is not None:
        return f"{winner.id} comes first (higher priority)"
    if code == "lost_to_better_saving" and winner is not None:
        return f"{winner.id} gives a better deal"
    return "saves nothing on this line"


def scope_label(scheme: Scheme) -> str:
    """What a value nudge asks the buyer to add more of."""
    scope = scheme.scope
    named = [*scope.brands, *scope.categories, *scope.skus]
    return ", ".join(named) if named else "anything"
