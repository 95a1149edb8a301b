"""Price an order: lines + schemes -> priced lines, free lines, reasons, nudges (spec/schemes.md).

Pure: takes loaded data, does no I/O, and gives the same answer for the same input.

Choices on the points the spec leaves open, made as a distributor would expect:

- Stacked schemes: their exact amounts are added (percentages add, never compound), capped at
  the line's gross, and rounded half-up once per line, not scheme by scheme.
- Pooled amount_off / fixed_price over SKUs with different prices: the pool's benefit
  (amount x the pool's base units; sum of (price - fixed) x base units) is shared by gross, like
  every pooled benefit. A SKU already cheaper than the fixed price adds nothing (never negative).
- A pooled scheme that loses lines to a rival is re-evaluated on the lines it kept (threshold and
  benefit), and again if that changes who wins, until nothing moves. A line it lost stays lost
  for this order, so the answer never oscillates.
- Nudge saving is the scheme's total on its lines once the extra is added (not the increase),
  counting the quantity actually added, overshoot included. A pooled extra goes to the first
  in-scope line sold in the slab's unit; a value nudge adds exactly the shortfall (rounded up to
  the paisa) to the first in-scope line, and a per-unit benefit counts it at that line's price.
- A recursive free-goods top slab, once reached, nudges towards the next full multiple.
- Not pooled, several lines short of a slab: one nudge, for the line needing the least extra
  (in the slab's unit, or rupees), the earliest line on a tie; its saving is that line's.
- A pooled free_goods scheme over several SKUs without free_sku is refused when it is read
  (scheme_from_dict), so pricing never has to guess which SKU to give.
- The same SKU on two lines of a scheme that is not pooled: the lines count together (it is one
  quantity of one product) and share the benefit by gross.
- Cumulative (QPS) schemes are never applied at order time, and not nudged here: their progress
  needs delivered history (see cumulative.cumulative_progress).
- A free-goods scheme whose free SKU or unit the catalog does not hold gives nothing (no_saving)
  rather than refusing the whole order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from domain.errors import InvalidInput
from domain.model.catalog import Product
from domain.model.money import PAISA, ZERO, round_money
from domain.pricing.nudges import find_nudges
from domain.pricing.priced_order import (
    APPLIED,
    Buyer,
    FreeLine,
    OrderLineInput,
    PricedLine,
    PricedOrder,
    SchemeReason,
)
from domain.pricing.scheme_index import IndexedScheme, ProductSchemes, SchemeIndex, refusals
from domain.pricing.scheme_texts import applied_note, not_applied_note
from domain.pricing.slab_benefit import GroupBenefit, SchemeResult, WorkLine, evaluate_scheme

# (scheme id, line pos) -> (reason code, winning scheme id) for lines a scheme lost to a rival.
LostLines = dict[tuple[str, int], tuple[str, str]]

NOTHING = round_money(ZERO)  # Rs 0.00, as rounded money reads

# No order holds a trillion bottles; past this, money would outgrow Decimal's 28 digits.
MAX_BASE_QTY = 10**12

# Builds a NamedTuple from its fields without the Python-level __new__ that NamedTuple adds
# (hundreds of SchemeReasons and PricedLines per order).
_new_tuple = tuple.__new__

# How a scheme stands on this order when it is not refused (refusals stand as their code).
_RIVAL, _STACKS, _SETTLED_LATER = "rival", "stacks", "settled later"


def price_order(
    lines: Iterable[OrderLineInput],
    catalog: Mapping[str, Product],
    index: SchemeIndex,
    buyer: Buyer,
) -> PricedOrder:
    """Raises InvalidInput (only) for an unknown SKU or unit, a qty <= 0 or a part base unit."""
    work, looked_up = _work_lines(lines, catalog, index)

    entries: dict[str, IndexedScheme] = {}
    scope_lines: dict[str, list[WorkLine]] = {}
    for line, on_product in zip(work, looked_up, strict=True):
        for entry in on_product.schemes:
            held = scope_lines.get(entry.id)
            if held is None:
                entries[entry.id] = entry
                scope_lines[entry.id] = [line]
            else:
                held.append(line)

    refused_why = refusals(entries.values(), buyer)
    live = {
        sid: entry
        for sid, entry in entries.items()
        if refused_why[sid] is None and not entry.cumulative
    }
    # The schemes competing for each line's one winner, known per product but for refusals.
    refused = {sid for sid, why in refused_why.items() if why is not None}
    contenders = [
        on_product.rivals
        if not refused or refused.isdisjoint(on_product.rival_ids)
        else [rival for rival in on_product.rivals if rival[1] not in refused]
        for on_product in looked_up
    ]
    # Every live scheme alone on all its lines: stackables keep this, rivals start from it,
    # nudges read it.
    alone: dict[str, SchemeResult] = {}
    rivals: dict[str, IndexedScheme] = {}
    stacked: dict[str, SchemeResult] = {}
    results: dict[str, SchemeResult] = {}  # the rivals', re-evaluated as they lose lines
    for sid, entry in live.items():
        alone[sid] = result = evaluate_scheme(entry, scope_lines[sid], catalog)
        if entry.stackable:
            stacked[sid] = result
        else:
            rivals[sid] = entry
            results[sid] = result
    winners, lost = _choose_winners(work, contenders, rivals, scope_lines, results, catalog)

    # Where each scheme stands for this buyer today, looked up once per line it touches.
    standing = {
        sid: refused_why[sid]
        or (_SETTLED_LATER if entry.cumulative else _STACKS if sid in stacked else _RIVAL)
        for sid, entry in entries.items()
    }
    priced, gross, discount = _priced_lines(
        work, looked_up, standing, winners, results, stacked, lost
    )
    free = _free_lines(winners, results, stacked, live)
    return PricedOrder(
        lines=priced,
        free=free,
        gross=gross,
        discount=discount,
        net=gross - discount,
        nudges=find_nudges(live, alone, catalog),
    )


def _work_lines(
    lines: Iterable[OrderLineInput], catalog: Mapping[str, Product], index: SchemeIndex
) -> tuple[list[WorkLine], list[ProductSchemes]]:
    """The lines as pricing sees them, and each one's product as the index knows it."""
    work: list[WorkLine] = []
    looked_up: list[ProductSchemes] = []
    for_product = index.for_product
    for pos, line in enumerate(lines):
        product = catalog.get(line.sku)
        if product is None:
            raise InvalidInput(f"unknown SKU {line.sku!r}")
        on_product = for_product(product)
        try:
            qty = line.qty if isinstance(line.qty, Decimal) else Decimal(str(line.qty))
            if not qty.is_finite() or qty <= 0:
                raise InvalidInput(f"{line.sku}: quantity must be above zero (got {qty})")
            sizes = on_product.sizes
            unit = line.unit or product.default_unit
            size = sizes.get(unit)
            if size is None:
                unit = unit.lower()  # catalog units are lower case; "Case" is a case
                size = product.unit_size(unit)  # raises InvalidInput naming the units sold in
            base = qty * size
            if base != base.to_integral_value():
                product.to_base(qty, unit)  # raises InvalidInput: half a bottle is not sold
            whole = int(base)
            if whole > MAX_BASE_QTY:
                raise InvalidInput(f"{line.sku}: {qty} {unit} is more than can be priced")
            gross = (product.price * whole).quantize(PAISA, ROUND_HALF_UP)  # round_money
        except DecimalException:  # a quantity too large to price is refused, not crashed on
            raise InvalidInput(f"{line.sku}: quantity {line.qty!r} cannot be priced") from None
        work.append(WorkLine(pos, product, sizes, whole, gross, unit, qty))
        looked_up.append(on_product)
    return work, looked_up


def _choose_winners(
    work: Sequence[WorkLine],
    contenders: Sequence[Sequence[tuple[int, str]]],
    rivals: Mapping[str, IndexedScheme],
    scope_lines: Mapping[str, Sequence[WorkLine]],
    results: dict[str, SchemeResult],
    catalog: Mapping[str, Product],
) -> tuple[dict[int, str], LostLines]:
    """One non-stackable winner per line; a scheme that loses lines is re-evaluated without them.

    `contenders` holds, per line, (priority, id) of the rivals on it; `results` holds each rival
    alone on its lines and is updated in place as rivals are re-evaluated. A scheme only ever
    loses lines, so this ends after at most one round per line.
    """
    held: dict[str, Sequence[WorkLine]] = dict(scope_lines)  # the lines each still holds
    savings_of = {sid: result.savings for sid, result in results.items()}
    lost: LostLines = {}
    winners: dict[int, str] = {}
    to_decide: Iterable[WorkLine] = work
    first_round = True  # every line is decided once, so none can have been lost yet
    while True:
        # Schemes that lost lines this round, in the order found, and how many. Only a line whose
        # winner moves can be lost, so losses are noted as winners move, not by rescanning.
        losers: dict[str, int] = {}
        for line in to_decide:
            pos = line.pos
            on_line = contenders[pos]
            # Higher priority, then the larger saving to the buyer, then the smaller id.
            best_sid: str | None = None
            best_priority, best_saving = 0, ZERO
            for priority, sid in on_line:
                saving = savings_of[sid].get(pos)
                if saving is None or saving <= 0:  # a scheme that saves nothing does not apply
                    continue
                if best_sid is None or (
                    priority > best_priority
                    if priority != best_priority
                    else saving > best_saving
                    if saving != best_saving
                    else sid < best_sid
                ):
                    best_sid, best_priority, best_saving = sid, priority, saving
            if winners.get(pos) == best_sid:
                continue
            if best_sid is None:  # a line that nobody wins is lost by nobody
                del winners[pos]
                continue
            winners[pos] = best_sid
            for priority, sid in on_line:
                if sid == best_sid or (not first_round and (sid, pos) in lost):
                    continue
                saving = savings_of[sid].get(pos)
                if saving is not None and saving > 0:
                    why = (
                        "lost_to_priority" if best_priority > priority else "lost_to_better_saving"
                    )
                else:
                    why = _why_nothing(results[sid].by_pos.get(pos))
                lost[(sid, pos)] = (why, best_sid)
                losers[sid] = losers.get(sid, 0) + 1

        first_round = False
        changed: list[str] = []
        for sid, count in losers.items():
            lines_held = held[sid]
            held[sid] = (
                []
                if count == len(lines_held)
                else [line for line in lines_held if winners.get(line.pos, sid) == sid]
            )
            # Fewer lines never reach a slab that more lines missed: a scheme saving nothing
            # stays at nothing, so only one that saved something is evaluated again.
            savings = savings_of[sid]
            if savings and max(savings.values()) > 0:
                changed.append(sid)
        if not changed:
            return winners, lost
        touched: dict[int, WorkLine] = {}
        for sid in changed:
            kept = held[sid]
            results[sid] = result = (
                evaluate_scheme(rivals[sid], kept, catalog) if kept else SchemeResult([], {}, {})
            )
            savings_of[sid] = result.savings
            touched.update((line.pos, line) for line in kept)
        to_decide = touched.values()


def _why_nothing(group: GroupBenefit | None) -> str:
    return "threshold_not_reached" if group is None or group.slab is None else "no_saving"


# A scheme applying to a line, and what it gives the line's group.
_Applying = tuple[IndexedScheme, GroupBenefit]


def _stack_order(applying: _Applying) -> tuple[int, str]:
    return applying[0].stack_order


def _priced_lines(
    work: Sequence[WorkLine],
    looked_up: Sequence[ProductSchemes],
    standing: Mapping[str, str],
    winners: Mapping[int, str],
    results: Mapping[str, SchemeResult],
    stacked: Mapping[str, SchemeResult],
    lost: LostLines,
) -> tuple[tuple[PricedLine, ...], Decimal, Decimal]:
    """The priced lines, and their gross and discount totals."""
    priced: list[PricedLine] = []
    total_gross = total_discount = ZERO
    for line in work:
        pos, product = line.pos, line.product
        base_unit = product.base_unit
        schemes = looked_up[pos].schemes
        winner = winners.get(pos)
        applying: list[_Applying] = []  # the winner, if any, first
        stacking: list[_Applying] = []
        not_applied: list[SchemeReason] = []
        for entry in schemes:
            sid = entry.id
            if sid == winner:
                applying.append((entry, results[sid].by_pos[pos]))
                continue
            code = standing[sid]
            rival: str | None = None
            if code == _RIVAL:
                found = lost.get((sid, pos))
                if found is None:
                    code = _why_nothing(results[sid].by_pos.get(pos))
                else:
                    code, rival = found
            elif code == _STACKS:
                group = stacked[sid].by_pos[pos]
                saving = group.saving.get(pos)
                if saving is not None and saving > 0:
                    stacking.append((entry, group))
                    continue
                code = _why_nothing(group)
            elif code == _SETTLED_LATER:
                continue  # a cumulative scheme is settled after its window, never on an order
            # Reasons are immutable and repeat across lines and orders: each is built once.
            reason_key = (code, base_unit, rival)
            reason = entry.reasons.get(reason_key)
            if reason is None:
                # The rival won this very line, so it is among the line's schemes.
                beaten_by = next((e.scheme for e in schemes if e.id == rival), None)
                note = not_applied_note(code, entry.scheme, product, beaten_by)
                reason = entry.reasons[reason_key] = SchemeReason(sid, entry.name, code, note)
            not_applied.append(reason)

        if stacking:  # after the winner, the stackables by priority and id
            if len(stacking) > 1:
                stacking.sort(key=_stack_order)
            applying.extend(stacking)
        applied: list[SchemeReason] = []
        money = ZERO
        gross = line.gross
        for entry, group in applying:
            saving = group.saving[pos]
            # Shown saving stops where the line's gross runs out, as the discount itself does.
            if money is ZERO:  # nothing off yet: all the gross is room, and saving is capped at it
                shown = saving.quantize(PAISA, ROUND_HALF_UP) if gross > 0 else NOTHING
            else:
                room = gross - money
                if room > 0:
                    shown = (saving if saving < room else room).quantize(PAISA, ROUND_HALF_UP)
                else:
                    shown = NOTHING
            money += group.money.get(pos, ZERO)
            slab = group.slab
            assert slab is not None  # the group reached a slab, or it would not apply
            free = group.free
            if free is None:
                by_unit = entry.applied_notes[slab]
                told = by_unit.get(base_unit)
                if told is None:
                    told = applied_note(entry.scheme.slabs[slab], product, None)
                    by_unit[base_unit] = told
            else:
                key = (slab, base_unit, free.product.sku, free.qty, free.unit)
                told = entry.notes.get(key)
                if told is None:
                    told = entry.notes[key] = applied_note(entry.scheme.slabs[slab], product, free)
            applied.append(_new_tuple(SchemeReason, (entry.id, entry.name, APPLIED, told, shown)))

        discount = (gross if money > gross else money).quantize(PAISA, ROUND_HALF_UP)
        base = line.base
        assert isinstance(base, int)
        unit = line.unit
        priced.append(_new_tuple(PricedLine, (
            product.sku, line.qty, unit, base, product.price * line.sizes[unit],
            gross, discount, gross - discount, tuple(applied), tuple(not_applied),
        )))
        total_gross += gross
        total_discount += discount
    return tuple(priced), total_gross, total_discount


def _free_lines(
    winners: Mapping[int, str],
    results: Mapping[str, SchemeResult],
    stacked: Mapping[str, SchemeResult],
    live: Mapping[str, IndexedScheme],
) -> tuple[FreeLine, ...]:
    """Free lines from scratch, from the groups whose scheme applied; identical ones merged."""
    earned: list[tuple[str, GroupBenefit]] = [
        (sid, group)
        for sid, result in results.items()
        for group in result.groups
        if group.free and any(winners.get(line.pos) == sid for line in group.lines)
    ]
    earned.extend(
        (sid, group)
        for sid, result in stacked.items()
        for group in result.groups
        if group.free and any(saving > 0 for saving in group.saving.values())
    )
    merged: dict[tuple[str, str, str], FreeLine] = {}
    for sid, group in earned:
        goods = group.free
        assert goods is not None
        key = (sid, goods.product.sku, goods.unit)
        qty, qty_base = goods.qty, goods.qty_base
        if key in merged:
            qty += merged[key].qty
            qty_base += merged[key].qty_base
        name = live[sid].name
        merged[key] = FreeLine(goods.product.sku, qty, goods.unit, qty_base, sid, name)
    return tuple(merged.values())
