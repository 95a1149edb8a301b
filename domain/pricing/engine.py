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
from decimal import Decimal, DecimalException

from domain.errors import InvalidInput
from domain.model.catalog import Product
from domain.model.money import ZERO, round_money
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
from domain.pricing.scheme_index import IndexedScheme, SchemeIndex
from domain.pricing.scheme_texts import applied_note, not_applied_note
from domain.pricing.slab_benefit import GroupBenefit, SchemeResult, WorkLine, evaluate_scheme

# (scheme id, line pos) -> (reason code, winning scheme id) for lines a scheme lost to a rival.
LostLines = dict[tuple[str, int], tuple[str, str]]

NOTHING = round_money(ZERO)  # Rs 0.00, as rounded money reads

# No order holds a trillion bottles; past this, money would outgrow Decimal's 28 digits.
MAX_BASE_QTY = 10**12

# How a scheme stands on this order when it is not refused (refusals stand as their code).
_RIVAL, _STACKS, _SETTLED_LATER = "rival", "stacks", "settled later"


def price_order(
    lines: Iterable[OrderLineInput],
    catalog: Mapping[str, Product],
    index: SchemeIndex,
    buyer: Buyer,
) -> PricedOrder:
    """Raises InvalidInput (only) for an unknown SKU or unit, a qty <= 0 or a part base unit."""
    work = [_work_line(pos, line, catalog) for pos, line in enumerate(lines)]

    entries: dict[str, IndexedScheme] = {}
    scope_lines: dict[str, list[WorkLine]] = {}
    line_schemes: list[tuple[IndexedScheme, ...]] = []
    for line in work:
        found = index.candidates(line.product)
        line_schemes.append(found)
        for entry in found:
            held = scope_lines.get(entry.scheme.id)
            if held is None:
                entries[entry.scheme.id] = entry
                scope_lines[entry.scheme.id] = [line]
            else:
                held.append(line)

    refusals = {sid: entry.refusal(buyer) for sid, entry in entries.items()}
    live = {
        sid: entry
        for sid, entry in entries.items()
        if refusals[sid] is None and not entry.scheme.cumulative
    }
    # Every live scheme alone on all its lines: stackables keep this, rivals start from it,
    # nudges read it.
    alone = {sid: evaluate_scheme(entry, scope_lines[sid], catalog) for sid, entry in live.items()}
    rivals = {sid: entry for sid, entry in live.items() if not entry.scheme.stackable}
    stacked = {sid: alone[sid] for sid, entry in live.items() if entry.scheme.stackable}
    winners, results, lost = _choose_winners(
        work, line_schemes, rivals, scope_lines, {sid: alone[sid] for sid in rivals}, catalog
    )

    # Where each scheme stands for this buyer today, looked up once per line it touches.
    standing = {
        sid: refusals[sid]
        or (_SETTLED_LATER if entry.scheme.cumulative else _STACKS if sid in stacked else _RIVAL)
        for sid, entry in entries.items()
    }
    priced = tuple(
        _priced_line(line, line_schemes[line.pos], standing, winners, results, stacked, lost)
        for line in work
    )
    free = _free_lines(winners, results, stacked, live)
    gross = sum((line.gross for line in priced), ZERO)
    discount = sum((line.discount for line in priced), ZERO)
    return PricedOrder(
        lines=priced,
        free=free,
        gross=gross,
        discount=discount,
        net=gross - discount,
        nudges=find_nudges(live, alone, catalog),
    )


def _work_line(pos: int, line: OrderLineInput, catalog: Mapping[str, Product]) -> WorkLine:
    product = catalog.get(line.sku)
    if product is None:
        raise InvalidInput(f"unknown SKU {line.sku!r}")
    try:
        qty = line.qty if isinstance(line.qty, Decimal) else Decimal(str(line.qty))
        if not qty.is_finite() or qty <= 0:
            raise InvalidInput(f"{line.sku}: quantity must be above zero (got {qty})")
        sizes = product.units
        unit = line.unit or product.default_unit
        size = sizes.get(unit)
        if size is None:
            unit = unit.lower()  # catalog units are lower case; "Case" is a case
            size = product.unit_size(unit)  # raises InvalidInput naming the units it is sold in
        base = qty * size
        if base != base.to_integral_value():
            product.to_base(qty, unit)  # raises InvalidInput: half a bottle is not sold
        whole = int(base)
        if whole > MAX_BASE_QTY:
            raise InvalidInput(f"{line.sku}: {qty} {unit} is more than can be priced")
        return WorkLine(pos, product, sizes, whole, round_money(product.price * whole), unit, qty)
    except DecimalException:  # a quantity too large to price is refused, not crashed on
        raise InvalidInput(f"{line.sku}: quantity {line.qty!r} cannot be priced") from None


def _beats(priority: int, saving: Decimal, sid: str, best: tuple[int, Decimal, str]) -> bool:
    """Higher priority, then larger saving to the buyer, then the smaller id."""
    if priority != best[0]:
        return priority > best[0]
    if saving != best[1]:
        return saving > best[1]
    return sid < best[2]


def _choose_winners(
    work: Sequence[WorkLine],
    line_schemes: Sequence[tuple[IndexedScheme, ...]],
    rivals: Mapping[str, IndexedScheme],
    scope_lines: Mapping[str, Sequence[WorkLine]],
    results: dict[str, SchemeResult],
    catalog: Mapping[str, Product],
) -> tuple[dict[int, str], dict[str, SchemeResult], LostLines]:
    """One non-stackable winner per line; a scheme that loses lines is re-evaluated without them.

    A scheme only ever loses lines, so this ends after at most one round per line.
    """
    held = {sid: list(scope_lines[sid]) for sid in rivals}
    contenders = [
        [(entry.scheme.priority, entry.scheme.id) for entry in found if entry.scheme.id in rivals]
        for found in line_schemes
    ]
    lost: LostLines = {}
    winners: dict[int, str] = {}
    to_decide: Iterable[WorkLine] = work
    while True:
        for line in to_decide:
            pos = line.pos
            best: tuple[int, Decimal, str] | None = None
            for priority, sid in contenders[pos]:
                saving = results[sid].savings.get(pos, ZERO)
                if saving <= 0:  # a scheme that saves nothing does not apply
                    continue
                if best is None or _beats(priority, saving, sid, best):
                    best = (priority, saving, sid)
            if best is None:
                winners.pop(pos, None)
            else:
                winners[pos] = best[2]

        changed: list[str] = []
        for sid, lines_held in held.items():
            kept = [line for line in lines_held if winners.get(line.pos, sid) == sid]
            if len(kept) == len(lines_held):
                continue
            for line in lines_held:
                winner = winners.get(line.pos, sid)
                if winner != sid:
                    lost[(sid, line.pos)] = (
                        _why_lost(rivals[sid], rivals[winner], results[sid], line.pos),
                        winner,
                    )
            held[sid] = kept
            # Fewer lines never reach a slab that more lines missed: a scheme saving nothing
            # stays at nothing, so only one that saved something is evaluated again.
            if any(saving > 0 for saving in results[sid].savings.values()):
                changed.append(sid)
        if not changed:
            return winners, results, lost
        touched: dict[int, WorkLine] = {}
        for sid in changed:
            results[sid] = (
                evaluate_scheme(rivals[sid], held[sid], catalog)
                if held[sid]
                else SchemeResult([], {}, {})
            )
            touched.update((line.pos, line) for line in held[sid])
        to_decide = touched.values()


def _why_lost(loser: IndexedScheme, winner: IndexedScheme, result: SchemeResult, pos: int) -> str:
    if result.saving(pos) > 0:
        if winner.scheme.priority > loser.scheme.priority:
            return "lost_to_priority"
        return "lost_to_better_saving"
    return _why_nothing(result.by_pos.get(pos))


def _why_nothing(group: GroupBenefit | None) -> str:
    return "threshold_not_reached" if group is None or group.slab is None else "no_saving"


def _priced_line(
    line: WorkLine,
    schemes: tuple[IndexedScheme, ...],
    standing: Mapping[str, str],
    winners: Mapping[int, str],
    results: Mapping[str, SchemeResult],
    stacked: Mapping[str, SchemeResult],
    lost: LostLines,
) -> PricedLine:
    pos, product = line.pos, line.product
    winner = winners.get(pos)
    applying: list[tuple[IndexedScheme, GroupBenefit]] = []  # the winner, if any, first
    stacking: list[tuple[IndexedScheme, GroupBenefit]] = []
    not_applied: list[SchemeReason] = []
    for entry in schemes:
        sid = entry.scheme.id
        code = standing[sid]
        rival: str | None = None
        if code == _RIVAL:
            if sid == winner:
                applying.append((entry, results[sid].by_pos[pos]))
                continue
            found = lost.get((sid, pos))
            if found is None:
                code = _why_nothing(results[sid].by_pos.get(pos))
            else:
                code, rival = found
        elif code == _STACKS:
            group = stacked[sid].by_pos[pos]
            if group.saving.get(pos, ZERO) > 0:
                stacking.append((entry, group))
                continue
            code = _why_nothing(group)
        elif code == _SETTLED_LATER:
            continue  # a cumulative scheme is settled after its window, never on an order
        # Reasons are immutable and repeat across lines and orders: each is built once.
        reason_key = (code, product.base_unit, rival)
        reason = entry.reasons.get(reason_key)
        if reason is None:
            # The rival won this very line, so it is among the line's schemes.
            beaten_by = next((e.scheme for e in schemes if e.scheme.id == rival), None)
            note = not_applied_note(code, entry.scheme, product, beaten_by)
            reason = entry.reasons[reason_key] = SchemeReason(sid, entry.scheme.name, code, note)
        not_applied.append(reason)

    if stacking:  # after the winner, the stackables by priority and id
        applying.extend(sorted(stacking, key=_stack_order) if len(stacking) > 1 else stacking)
    applied: list[SchemeReason] = []
    money = ZERO
    gross = line.gross
    for entry, group in applying:
        scheme = entry.scheme
        # Shown saving stops where the line's gross runs out, as the discount itself does.
        saving, room = group.saving[pos], gross - money
        shown = round_money(saving if saving < room else room) if room > 0 else NOTHING
        money += group.money.get(pos, ZERO)
        free = group.free
        if free is None:
            key: tuple[object, ...] = (group.slab, product.base_unit)
        else:
            key = (group.slab, product.base_unit, free.product.sku, free.qty, free.unit)
        told = entry.notes.get(key)
        if told is None:
            assert group.slab is not None
            told = entry.notes[key] = applied_note(scheme.slabs[group.slab], product, free)
        applied.append(SchemeReason(scheme.id, scheme.name, APPLIED, told, shown))

    discount = round_money(gross if money > gross else money)
    assert isinstance(line.base, int)
    return PricedLine(
        product.sku, line.qty, line.unit, line.base, product.price * line.sizes[line.unit],
        gross, discount, gross - discount, tuple(applied), tuple(not_applied),
    )


def _stack_order(pair: tuple[IndexedScheme, GroupBenefit]) -> tuple[int, str]:
    return -pair[0].scheme.priority, pair[0].scheme.id


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
        name = live[sid].scheme.name
        merged[key] = FreeLine(goods.product.sku, qty, goods.unit, qty_base, sid, name)
    return tuple(merged.values())
