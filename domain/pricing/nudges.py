"""Nudges: the smallest extra that reaches a scheme's next slab, and what the scheme then gives.

Each scheme is looked at alone, on every line in its scope, whether or not it wins those lines.
The slab each group reached comes from pricing's own evaluation on the full scope; only the
chosen what-if (the order with the extra added) is evaluated again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from domain.model.catalog import Product
from domain.model.money import PAISA
from domain.pricing.priced_order import Nudge
from domain.pricing.scheme_index import IndexedScheme
from domain.pricing.scheme_texts import benefit_label, scope_label
from domain.pricing.slab_benefit import (
    GroupBenefit,
    SchemeResult,
    Threshold,
    WorkLine,
    evaluate_group,
    units_short,
    whole_times,
)
from domain.pricing.slab_benefit import measure_for as measured


@dataclass(slots=True)  # one per group on every order: not frozen, which costs 3x to build
class _Offer:
    """One way to reach the next slab: which line takes how much extra."""

    needs: tuple[int, int | Decimal, int]  # (value slab?, amount, line) to compare
    group: GroupBenefit
    target: WorkLine
    add_qty: int | None = None
    unit: str | None = None
    add_value: Decimal | None = None

    def what_if(self) -> list[WorkLine]:
        """The group's lines with the extra added to the target line."""
        target = self.target
        if self.add_value is not None:
            price = target.product.price
            # The extra is exactly the shortfall; a per-unit benefit counts it at the price.
            extra_base = self.add_value / price if price else Decimal(0)
            base: int | Decimal = Decimal(target.base) + extra_base
            gross = target.gross + self.add_value
        else:
            assert self.add_qty is not None
            base = target.base + self.add_qty * target.sizes.get(self.unit or "", 1)
            gross = (target.product.price * base).quantize(PAISA, ROUND_HALF_UP)  # round_money
        grown = WorkLine(
            target.pos, target.product, target.sizes, base, gross, target.unit, target.qty
        )
        return [grown if line is target else line for line in self.group.lines]


def find_nudges(
    schemes: Mapping[str, IndexedScheme],
    evaluated: Mapping[str, SchemeResult],
    catalog: Mapping[str, Product],
) -> tuple[Nudge, ...]:
    """At most one nudge per scheme; `schemes` are those valid for this buyer today, and
    `evaluated` holds each of them evaluated alone on all the lines in its scope."""
    nudges: list[Nudge] = []
    for scheme_id, entry in schemes.items():
        alone = evaluated[scheme_id]
        groups = alone.groups
        # Most schemes are one group at its top slab: there is no next slab to nudge towards.
        if len(groups) == 1 and groups[0].slab == entry.top and not entry.nudges_past_top:
            continue
        nudge = nudge_for(entry, alone, catalog)
        if nudge is not None:
            nudges.append(nudge)
    return tuple(nudges)


def nudge_for(
    entry: IndexedScheme, evaluated: SchemeResult, catalog: Mapping[str, Product]
) -> Nudge | None:
    groups = evaluated.groups
    if len(groups) == 1:  # pooled, or one SKU: most schemes
        only = _offer(entry, groups[0])
        if only is None:
            return None
        offers = [only]
    else:
        offers = [offer for group in groups if (offer := _offer(entry, group)) is not None]
    if len(offers) > 1:
        # Not pooled: nudge the line that needs the least, the earliest one on a tie. Only
        # that one is priced, unless it would save nothing.
        offers.sort(key=lambda offer: offer.needs)
    for best in offers:
        benefit = evaluate_group(entry, best.what_if(), catalog)
        saving = benefit.total_saving()
        if benefit.slab is not None and saving > 0:
            break
    else:
        return None
    scheme = entry.scheme
    product = best.target.product
    free = benefit.free
    goods = (free.product.sku, free.qty, free.unit) if free else None
    key = ("nudge", benefit.slab, product.base_unit, goods)
    label = entry.notes.get(key)
    if label is None:
        label = benefit_label(scheme.slabs[benefit.slab], product, free)
        entry.notes[key] = label
    if best.add_qty is None:
        what = entry.notes.get(("scope",))
        if what is None:
            what = entry.notes[("scope",)] = scope_label(scheme)
    else:
        what = product.name
    return Nudge(
        scheme.id, scheme.name, saving, product.sku, label, what,
        best.add_qty, best.unit, best.add_value,
    )


def _next_target(entry: IndexedScheme, group: GroupBenefit) -> tuple[int, Threshold] | None:
    """The slab to reach next and the amount that reaches it; None when nothing is left."""
    scheme = entry.scheme
    reached = group.slab
    if reached is None:
        return 0, entry.thresholds[0]
    if reached + 1 < len(scheme.slabs):
        return reached + 1, entry.thresholds[reached + 1]
    slab = scheme.slabs[reached]
    threshold = entry.thresholds[reached]
    if scheme.kind == "free_goods" and scheme.slab_is_recursive(slab) and threshold > 0:
        # A recursive top slab pays again at every full multiple.
        have = measured(entry.measured_in[reached], group.lines, group.measures)
        return reached, threshold * (whole_times(have, threshold) + 1)
    return None


def _offer(entry: IndexedScheme, group: GroupBenefit) -> _Offer | None:
    found = _next_target(entry, group)
    if found is None:
        return None
    index, target_amount = found
    slab = entry.scheme.slabs[index]
    have = measured(entry.measured_in[index], group.lines, group.measures)
    if slab.min_value is not None:
        assert isinstance(target_amount, Decimal) and isinstance(have, Decimal)
        short = (target_amount - have).quantize(PAISA, rounding=ROUND_CEILING)
        target = group.lines[0]
        return _Offer((1, short, target.pos), group, target, add_value=short)
    unit = slab.unit
    for target in group.lines:  # the first line sold in the slab's unit takes the extra
        if unit is None or unit in target.sizes:
            break
    else:
        return None
    assert not isinstance(have, Decimal) and not isinstance(target_amount, Decimal)
    add = max(1, units_short(have, target_amount))
    unit_name = unit or target.product.base_unit
    return _Offer((0, add, target.pos), group, target, add, unit_name)
