"""One scheme on a group of lines: which slab is reached, and what it gives each line.

Amounts here are exact (no rounding): the engine caps and rounds once per line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

from domain.model.catalog import Product
from domain.model.money import PAISA, ZERO, round_money
from domain.pricing.scheme_index import VALUE, IndexedScheme

# How far lines go towards a slab: gross value (Decimal), or a quantity in the slab's unit as
# an exact ratio (numerator, denominator) of ints. Fractions would do, at several times the cost
# on the hot path.
Ratio = tuple[int, int]
Measure = Decimal | Ratio
Threshold = int | Fraction | Decimal


def _ratio(value: int | Fraction | Decimal) -> Ratio:
    if isinstance(value, int):
        return value, 1
    return value.as_integer_ratio()


def reaches(have: Measure, threshold: Threshold) -> bool:
    if isinstance(have, Decimal):
        return have >= threshold
    num, den = have
    if type(threshold) is int:
        return num >= threshold * den
    t_num, t_den = _ratio(threshold)
    return num * t_den >= t_num * den


def whole_times(have: Measure, threshold: Threshold) -> int:
    """floor(have / threshold): how many times a recursive slab is granted."""
    num, den = have.as_integer_ratio() if isinstance(have, Decimal) else have
    t_num, t_den = _ratio(threshold)
    return (num * t_den) // (den * t_num)


def units_short(have: Ratio, target: int | Fraction) -> int:
    """ceil(target - have): the whole units still missing (negative or zero when reached)."""
    num, den = have
    t_num, t_den = _ratio(target)
    return -((num * t_den - t_num * den) // (t_den * den))


@dataclass(slots=True)
class WorkLine:
    """An order line as pricing sees it. `base` is a Decimal only for a nudge's what-if value."""

    pos: int
    product: Product
    sizes: dict[str, int]  # every unit the product is sold in -> base units
    base: int | Decimal
    gross: Decimal
    unit: str = ""  # the unit the buyer ordered in
    qty: Decimal = ZERO  # in that unit


@dataclass(slots=True)  # internal and short-lived: not frozen, which costs 3x to build
class FreeGoods:
    product: Product
    qty: int
    unit: str
    qty_base: int
    value: Decimal


@dataclass(slots=True)
class GroupBenefit:
    """A scheme evaluated on the lines that reach its threshold together."""

    lines: Sequence[WorkLine]
    slab: int | None
    money: dict[int, Decimal]  # line pos -> money off, exact
    saving: dict[int, Decimal]  # line pos -> money off + share of free goods, capped at gross
    free: FreeGoods | None
    # How far the lines went, per slab unit (VALUE for value slabs); nudges reuse them.
    measures: dict[str | None, Measure]

    def total_saving(self) -> Decimal:
        """What the group gets, as the buyer would see it: money rounded per line, plus goods."""
        total = ZERO
        money = self.money
        for line in self.lines:
            off, gross = money.get(line.pos, ZERO), line.gross
            total += (off if off < gross else gross).quantize(PAISA, ROUND_HALF_UP)
        return total + (round_money(self.free.value) if self.free else ZERO)


def measure(measured_in: str | None, lines: Sequence[WorkLine]) -> Measure:
    """How far the lines go towards a slab measured in `measured_in` (a unit, None for base
    units, or VALUE): gross value, or quantity in that unit."""
    if measured_in == VALUE:
        value = ZERO
        for line in lines:
            value += line.gross
        return value
    num, den = 0, 1
    for line in lines:
        size = 1 if measured_in is None else line.sizes.get(measured_in)
        if size is None:  # a SKU not sold in the slab's unit adds nothing
            continue
        base = line.base
        if isinstance(base, int):
            if size == den:  # the usual case: lines of one pack size
                num += base
                continue
            add_num, add_den = base, size
        else:
            add_num, add_den = base.as_integer_ratio()
            add_den *= size
            if add_den == den:
                num += add_num
                continue
        common = den * add_den // math.gcd(den, add_den)
        num = num * (common // den) + add_num * (common // add_den)
        den = common
    return num, den


def measure_for(
    measured_in: str | None, lines: Sequence[WorkLine], measures: dict[str | None, Measure]
) -> Measure:
    """measure(), computed once per unit for a group of lines."""
    have = measures.get(measured_in)
    if have is None:
        have = measures[measured_in] = measure(measured_in, lines)
    return have


def reached_slab(
    entry: IndexedScheme, lines: Sequence[WorkLine], measures: dict[str | None, Measure]
) -> int | None:
    """The last slab in the list that the lines reach."""
    keys = entry.measured_in
    thresholds = entry.thresholds
    for i in range(len(keys) - 1, -1, -1):
        key = keys[i]
        have = measures.get(key)
        if have is None:
            have = measures[key] = measure(key, lines)
        threshold = thresholds[i]
        # reaches(), inlined: this runs for every scheme and group on every order.
        if isinstance(have, Decimal):
            if have >= threshold:
                return i
        elif type(threshold) is int:
            if have[0] >= threshold * have[1]:
                return i
        elif reaches(have, threshold):
            return i
    return None


def _shared(total: Decimal, lines: Sequence[WorkLine]) -> list[tuple[int, Decimal, Decimal]]:
    """(line pos, line gross, share): a pool's benefit shared in proportion to gross."""
    if len(lines) == 1:
        return [(lines[0].pos, lines[0].gross, total)]
    gross = sum((line.gross for line in lines), ZERO)
    if gross == 0:
        return [(line.pos, line.gross, ZERO) for line in lines]
    # total * g is exact; one division keeps an exact share exact (0.425 stays 0.425).
    return [(line.pos, line.gross, total * line.gross / gross) for line in lines]


def _free_goods(
    entry: IndexedScheme, index: int, group: GroupBenefit, catalog: Mapping[str, Product]
) -> FreeGoods | None:
    scheme = entry.scheme
    slab = scheme.slabs[index]
    lines = group.lines
    assert slab.free_qty is not None
    grants = 1
    if scheme.slab_is_recursive(slab):
        have = measure_for(entry.measured_in[index], lines, group.measures)
        grants = whole_times(have, entry.thresholds[index])
    qty = int((slab.free_qty * grants).to_integral_value(rounding=ROUND_FLOOR))
    product = catalog.get(slab.free_sku) if slab.free_sku else lines[0].product
    if qty <= 0 or product is None:
        return None
    unit = slab.free_unit or product.base_unit
    size = 1 if unit == product.base_unit else product.pack_units.get(unit)
    if size is None:
        return None
    return FreeGoods(product, qty, unit, qty * size, product.price * qty * size)


def evaluate_group(
    entry: IndexedScheme, lines: Sequence[WorkLine], catalog: Mapping[str, Product]
) -> GroupBenefit:
    measures: dict[str | None, Measure] = {}
    index = reached_slab(entry, lines, measures) if lines else None
    if index is None:
        return GroupBenefit(lines, None, {}, {}, None, measures)
    slab = entry.scheme.slabs[index]
    saving: dict[int, Decimal] = {}
    if slab.free_qty is not None:
        result = GroupBenefit(lines, index, {}, saving, None, measures)
        result.free = goods = _free_goods(entry, index, result, catalog)
        value = ZERO if goods is None else goods.value  # nothing when the SKU is not stocked
        for pos, gross, share in _shared(value, lines):
            saving[pos] = share if share < gross else gross  # min(gross, share)
        return result
    rate = entry.rates[index]
    if rate is not None:
        # Percent on each line's gross is the same as percent of the pool shared by gross.
        money = {line.pos: line.gross * rate for line in lines}
        if entry.proper_rates[index] and min(money.values()) >= 0:
            # 0 < rate <= 1 and no gross below zero: no line gets more off than its gross, so
            # the capped saving is the money itself.
            return GroupBenefit(lines, index, money, money, None, measures)
        for line in lines:
            off, gross = money[line.pos], line.gross
            saving[line.pos] = off if off < gross else gross
        return GroupBenefit(lines, index, money, saving, None, measures)
    money = {}
    if slab.amount_off is not None:
        units = sum((line.base for line in lines), 0)
        shares = _shared(slab.amount_off * units, lines)
    else:
        assert slab.price is not None
        fixed = slab.price
        # A fixed price above the catalog price never raises it: that line adds nothing.
        total = sum((max(ZERO, line.product.price - fixed) * line.base for line in lines), ZERO)
        shares = _shared(total, lines)
    for pos, gross, share in shares:
        money[pos] = share
        saving[pos] = share if share < gross else gross
    return GroupBenefit(lines, index, money, saving, None, measures)


def groups_of(pooled: bool, lines: Sequence[WorkLine]) -> list[list[WorkLine]]:
    """Lines that reach a threshold together: all of them when pooled, else each SKU alone.

    Two lines of the same SKU are one quantity of that product, so they count together even
    when the scheme is not pooled.
    """
    if pooled:
        return [list(lines)]
    by_sku: dict[str, list[WorkLine]] = {}
    for line in lines:
        by_sku.setdefault(line.product.sku, []).append(line)
    return list(by_sku.values())


@dataclass(slots=True)
class SchemeResult:
    """A scheme evaluated on the lines it currently holds, group by group."""

    groups: list[GroupBenefit]
    by_pos: dict[int, GroupBenefit]
    savings: dict[int, Decimal]  # every group's savings in one place, for choosing fast


def evaluate_scheme(
    entry: IndexedScheme, lines: Sequence[WorkLine], catalog: Mapping[str, Product]
) -> SchemeResult:
    if entry.pooled or len(lines) == 1:  # one group: no grouping, no merging of savings
        group = evaluate_group(entry, lines, catalog)
        # A reached slab gives every line a saving, so its keys are the lines' positions.
        saving = group.saving
        by_pos = dict.fromkeys(saving, group) if saving else {line.pos: group for line in lines}
        return SchemeResult([group], by_pos, saving)
    groups = [evaluate_group(entry, group, catalog) for group in groups_of(False, lines)]
    by_pos = {line.pos: group for group in groups for line in group.lines}
    if len(groups) == 1:
        return SchemeResult(groups, by_pos, groups[0].saving)
    savings: dict[int, Decimal] = {}
    for group in groups:
        savings.update(group.saving)
    return SchemeResult(groups, by_pos, savings)
