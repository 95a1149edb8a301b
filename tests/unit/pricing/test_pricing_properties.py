"""Properties that hold for every order and every set of valid schemes (hypothesis)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.scheme import Scheme, scheme_from_dict
from domain.pricing import OrderLineInput, PricedOrder, SchemeIndex, price_order
from tests.unit.pricing.builders import CATALOG, RETAILER

SKUS = sorted(CATALOG)
BRANDS = sorted({p.brand for p in CATALOG.values()})
CATEGORIES = sorted({p.category for p in CATALOG.values()})
UNITS = [None, "case", "box", "dozen", "bottle", "piece", "jar"]
EXAMPLES = settings(max_examples=200, deadline=None)

Kind = str


@st.composite
def _scope(draw: st.DrawFn) -> dict[str, list[str]]:
    which = draw(st.sampled_from(["skus", "brands", "categories", "everything"]))
    if which == "everything":
        return {}
    pool = {"skus": SKUS, "brands": BRANDS, "categories": CATEGORIES}[which]
    return {which: draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))}


@st.composite
def _thresholds(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    steps = draw(st.lists(st.integers(1, 30), min_size=count, max_size=count))
    minimums = [sum(steps[: i + 1]) for i in range(count)]
    if draw(st.booleans()):
        return [{"min_value": m * 50} for m in minimums]
    unit = draw(st.sampled_from(UNITS))
    return [{"min_qty": m, **({"unit": unit} if unit else {})} for m in minimums]


@st.composite
def scheme_dicts(
    draw: st.DrawFn,
    scheme_id: str,
    kinds: tuple[Kind, ...] = ("discount", "free_goods", "fixed_price"),
    priorities: tuple[int, ...] = (-1, 0, 0, 1, 2),
) -> dict[str, Any]:
    """A valid scheme; slab benefits grow with the slab, as a distributor writes them."""
    kind = draw(st.sampled_from(kinds))
    scope = draw(_scope())
    pooled = draw(st.booleans())
    count = draw(st.integers(1, 3))
    slabs = draw(_thresholds(count))
    grows = sorted(draw(st.lists(st.integers(1, 40), min_size=count, max_size=count)))
    if kind == "discount":
        per_unit = draw(st.booleans())
        for slab, step in zip(slabs, grows, strict=True):
            slab["amount_off" if per_unit else "percent"] = step / 2 if per_unit else step
    elif kind == "fixed_price":
        for slab, step in zip(slabs, reversed(grows), strict=True):
            slab["price"] = step * 2.5
    else:
        several = pooled and (set(scope) != {"skus"} or len(scope["skus"]) != 1)
        free_sku = draw(st.sampled_from(SKUS)) if several or draw(st.booleans()) else None
        for slab, step in zip(slabs, grows, strict=True):
            slab["free_qty"] = step / 4
            if free_sku:
                slab["free_sku"] = free_sku
                product = CATALOG[free_sku]
                slab["free_unit"] = draw(st.sampled_from(sorted(product.units)))
        if draw(st.booleans()):
            slabs[-1]["recursive"] = True
    return {
        "id": scheme_id, "name": f"scheme {scheme_id}", "kind": kind, "scope": scope,
        "pooled": pooled, "slabs": slabs, "stackable": draw(st.booleans()),
        "priority": draw(st.sampled_from(priorities)),
    }


@st.composite
def scheme_sets(draw: st.DrawFn, /, **options: Any) -> list[Scheme]:
    count = draw(st.integers(0, 5))
    return [scheme_from_dict(draw(scheme_dicts(f"S{i}", **options))) for i in range(count)]


@st.composite
def orders(draw: st.DrawFn, max_lines: int = 5) -> list[OrderLineInput]:
    lines = []
    for _ in range(draw(st.integers(1, max_lines))):
        product = CATALOG[draw(st.sampled_from(SKUS))]
        unit = draw(st.sampled_from(sorted(product.units)))
        lines.append(OrderLineInput(product.sku, Decimal(draw(st.integers(1, 40))), unit))
    return lines


def _price(lines: list[OrderLineInput], schemes: list[Scheme]) -> PricedOrder:
    return price_order(lines, CATALOG, SchemeIndex(schemes), RETAILER)


@EXAMPLES
@given(orders(), scheme_sets())
def test_net_never_exceeds_gross(lines: list[OrderLineInput], schemes: list[Scheme]) -> None:
    priced = _price(lines, schemes)
    for line in priced.lines:
        assert Decimal(0) <= line.discount <= line.gross
        assert line.net == line.gross - line.discount
    assert priced.net <= priced.gross
    assert priced.net == sum((line.net for line in priced.lines), Decimal(0))


@EXAMPLES
@given(orders(), scheme_sets())
def test_free_quantities_are_whole_numbers(
    lines: list[OrderLineInput], schemes: list[Scheme]
) -> None:
    for free in _price(lines, schemes).free:
        assert isinstance(free.qty, int) and free.qty >= 1
        assert free.qty_base == free.qty * CATALOG[free.sku].units[free.unit]


@EXAMPLES
@given(orders(), scheme_sets())
def test_pricing_the_same_order_twice_gives_the_same_answer(
    lines: list[OrderLineInput], schemes: list[Scheme]
) -> None:
    index = SchemeIndex(schemes)
    first = price_order(lines, CATALOG, index, RETAILER)
    assert price_order(lines, CATALOG, index, RETAILER).to_json() == first.to_json()
    # nor does it depend on the order the schemes were filed in
    shuffled = price_order(lines, CATALOG, SchemeIndex(reversed(schemes)), RETAILER)
    assert (shuffled.net, shuffled.discount) == (first.net, first.discount)
    assert {k: set(v) for k, v in shuffled.applied_map().items()} == {
        k: set(v) for k, v in first.applied_map().items()
    }
    assert sorted(json.dumps(f.to_json(), sort_keys=True) for f in shuffled.free) == sorted(
        json.dumps(f.to_json(), sort_keys=True) for f in first.free
    )


@EXAMPLES
@given(
    st.sampled_from(SKUS),
    st.integers(1, 400),
    st.integers(1, 400),
    scheme_sets(kinds=("discount",), priorities=(0,)),
)
def test_adding_quantity_never_raises_the_net_unit_price_under_a_discount_scheme(
    sku: str, qty_a: int, qty_b: int, schemes: list[Scheme]
) -> None:
    # Priorities are equal here: a higher-priority scheme that starts at a bigger slab may
    # legitimately give less than the one it displaces (the spec puts priority first).
    small, large = sorted((qty_a, qty_b))
    unit = CATALOG[sku].base_unit
    net_small = _price([OrderLineInput(sku, Decimal(small), unit)], schemes).net
    net_large = _price([OrderLineInput(sku, Decimal(large), unit)], schemes).net
    # gross and discount are each rounded to the paisa once per line
    slack = Decimal("0.01") / small + Decimal("0.01") / large
    assert net_large / large <= net_small / small + slack


@EXAMPLES
@given(
    orders(),
    scheme_sets(kinds=("discount", "fixed_price"), priorities=(0,)),
    st.integers(0, 4),
)
def test_removing_a_scheme_never_lowers_the_net_total(
    lines: list[OrderLineInput], schemes: list[Scheme], which: int
) -> None:
    # This holds for money-off schemes of equal priority that compete line by line. By the spec
    # it does not hold in general: a higher priority, free goods valued at price, or a rival
    # that breaks a pool can each make the buyer pay more than without that scheme.
    schemes = [s for s in schemes if s.stackable or not s.pooled]
    if not schemes:
        return
    removed = schemes[which % len(schemes)]
    rest = [s for s in schemes if s is not removed]
    assert _price(lines, rest).net >= _price(lines, schemes).net
