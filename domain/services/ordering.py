"""Drafts and orders: validate lines, price them, place an order exactly once per draft."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.commands import DraftLine, PlaceOrder
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.model.catalog import Product
from domain.model.field_limits import BASE_UNITS_MAX, MONEY, QUANTITY
from domain.model.money import format_rupees, round_money
from domain.model.notice import Notice
from domain.model.order import Order, OrderLine
from domain.model.party import Party, Role
from domain.pricing import Buyer, OrderLineInput, PricedOrder, SchemeIndex, price_order
from domain.services.fulfilment import Shortage, shortages
from domain.services.unit_of_work import UnitOfWork

# More than this many cases (or of the largest pack, for SKUs without cases) is a typo.
MAX_CASES = 10_000


def check_line(product: Product, qty: Decimal, unit: str | None) -> int:
    """The line's quantity in base units, or InvalidInput saying what is wrong with it."""
    if not qty.is_finite() or qty <= 0:
        raise InvalidInput(f"the quantity for {product.name} must be more than zero")
    base = product.to_base(qty, unit)
    units = product.units
    cap_unit = "case" if "case" in units else max(units, key=lambda u: units[u])
    if base > MAX_CASES * units[cap_unit]:
        raise InvalidInput(
            f"{qty} {unit or product.default_unit} of {product.name} is more than "
            f"{MAX_CASES:,} {cap_unit}s; please check the quantity"
        )
    if base > BASE_UNITS_MAX or MONEY.size_problem(product.price * base) is not None:
        raise InvalidInput(f"{qty} {unit or product.default_unit} of {product.name} is more "
                           "than one order line can hold; please check the quantity")
    return base


def check_storable(priced: PricedOrder) -> None:
    """Lines that each fit can still add up past what an order's totals hold."""
    if MONEY.size_problem(priced.gross) is not None:
        raise InvalidInput(f"this order comes to {format_rupees(priced.gross)}, more than one "
                           "order can hold; please split it or check the quantities")
    for free in priced.free:
        # A scheme's free goods are checked nowhere else: a recursive slab can give millions.
        if free.qty_base > BASE_UNITS_MAX or QUANTITY.size_problem(Decimal(free.qty)):
            raise InvalidInput(f"a scheme on this order ({free.scheme_name}) gives more free "
                               "goods than one order line can hold; please check the "
                               "quantities or ask your distributor")


def buyer_for(party: Party, on: datetime) -> Buyer:
    return Buyer(on=on.date(), role=party.role.value, region=party.region, party_id=party.id)


def price_draft(
    lines: Iterable[DraftLine],
    catalog: Mapping[str, Product],
    schemes: SchemeIndex,
    party: Party,
    at: datetime,
) -> PricedOrder:
    inputs = []
    for line in lines:
        product = catalog.get(line.sku)
        if product is None or not product.active:
            raise InvalidInput(f"{line.sku} is not in the catalog")
        check_line(product, line.qty, line.unit)
        inputs.append(OrderLineInput(sku=line.sku, qty=line.qty, unit=line.unit))
    priced = price_order(inputs, catalog, schemes, buyer_for(party, at))
    check_storable(priced)
    return priced


def order_lines(priced: PricedOrder, catalog: Mapping[str, Product]) -> list[OrderLine]:
    """Priced lines, then free lines at zero price, each naming its scheme."""
    lines = [
        OrderLine(
            sku=ln.sku, name=catalog[ln.sku].name, qty=ln.qty, unit=ln.unit,
            qty_base=ln.qty_base, unit_price=ln.unit_price, gross=ln.gross,
            discount=ln.discount, net=ln.net,
            schemes=tuple(r.scheme_id for r in ln.applied),
            reasons=tuple(r.text for r in ln.applied),
            savings=tuple((r.scheme_id, r.saving) for r in ln.applied),
        )
        for ln in priced.lines
    ]
    lines += [
        OrderLine(
            sku=f.sku, name=catalog[f.sku].name, qty=Decimal(f.qty), unit=f.unit,
            qty_base=f.qty_base, unit_price=Decimal("0"), gross=Decimal("0"),
            discount=Decimal("0"), net=Decimal("0"), free=True, schemes=(f.scheme_id,),
            reasons=(f"free from {f.scheme_name}",),
            savings=((f.scheme_id, round_money(catalog[f.sku].price * f.qty_base)),),
        )
        for f in priced.free
    ]
    return lines


def order_from_priced(
    priced: PricedOrder, catalog: Mapping[str, Product], party: Party, cmd: PlaceOrder
) -> Order:
    return Order(
        party_id=party.id, distributor_id=party.distributor_id,
        lines=order_lines(priced, catalog),
        gross=priced.gross, discount=priced.discount, net=priced.net,
        created_at=cmd.at, channel=cmd.channel, draft_id=cmd.draft_id,
    )


def fulfilment_buttons(order: Order) -> tuple[tuple[str, str], ...]:
    return (("Accept", f"ord:accept:{order.id}"), ("Reject", f"ord:reject:{order.id}"),
            ("Dispatched", f"ord:dispatch:{order.id}"))


def new_order_notice(order: Order, party: Party, catalog: Mapping[str, Product],
                     short: tuple[Shortage, ...]) -> Notice:
    """What the distributor is told when one of its retailers places an order."""
    assert party.distributor_id is not None
    lines = [f"🛒 New order {order.number} from {party.name} ({party.id}): "
             f"{format_rupees(order.net)}"]
    for line in order.lines:
        free = " (free)" if line.free else ""
        lines.append(f"• {line.name}: {line.qty.normalize():f} {line.unit}{free}")
    if short:
        lines.append("⚠️ Your stock cannot cover: " + "; ".join(str(s) for s in short))
    return Notice(party.distributor_id, "\n".join(lines), fulfilment_buttons(order))


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    already_placed: bool  # True when this draft had been confirmed before (a second YES)


def ordering_party(uow: UnitOfWork, party_id: str, role: Role, lines: tuple[DraftLine, ...],
                   known: Party | None = None) -> Party:
    """The active party placing an order of its role, or the error that says why not. `known`:
    the party as the caller has just read it, so as not to read it again."""
    party = known if known is not None and known.id == party_id else uow.parties.get(party_id)
    if party is None or not party.active:
        raise NotFound(f"no active party {party_id}")
    if party.role != role:
        raise Forbidden(f"only {role.value}s place these orders")
    if not lines:
        raise InvalidInput("the order has no lines")
    return party


Build = Callable[[UnitOfWork], Order]
Notify = Callable[[UnitOfWork, Order], list[Notice]]


def place_once(uow: UnitOfWork, draft_id: str, build: Build,
               notify: Notify | None = None) -> PlacedOrder:
    """Places what `build` makes for a draft once; a repeated or concurrent confirmation of the
    same draft returns the order the first one placed (the draft id is unique). `notify` sees
    the stored order (with its number) and its notices commit with it."""
    with uow:
        # No look-up first: the draft id's unique key refuses a second order, and the common
        # case (the first YES) saves a round trip.
        order = build(uow)
        try:
            uow.orders.add(order)
            for notice in notify(uow, order) if notify else []:
                uow.outbox.add(notice)
            uow.commit()
        except Conflict:
            uow.rollback()
        else:
            return PlacedOrder(order, already_placed=False)
    # Placed before (a repeated YES), or a concurrent YES for the same draft won the race.
    with uow:
        winner = uow.orders.by_draft(draft_id)
        if winner is None:
            raise Conflict("the order could not be placed; please send YES again")
        return PlacedOrder(winner, already_placed=True)


def place_order(
    cmd: PlaceOrder,
    uow: UnitOfWork,
    catalog: Mapping[str, Product],
    schemes: SchemeIndex,
    buyer: Party | None = None,
) -> PlacedOrder:
    """A retailer's order to its distributor, who is told of it with the stock it lacks.
    `buyer`: the retailer as the caller read it for this very request (a chat message's
    opening read), not read again; a party deactivated since then orders once more."""

    ordered_by: Party | None = None  # set once, by build (the given buyer, or read there)

    def build(uow: UnitOfWork) -> Order:
        nonlocal ordered_by
        ordered_by = ordering_party(uow, cmd.party_id, Role.RETAILER, cmd.lines, buyer)
        priced = price_draft(cmd.lines, catalog, schemes, ordered_by, cmd.at)
        return order_from_priced(priced, catalog, ordered_by, cmd)

    def notify(uow: UnitOfWork, order: Order) -> list[Notice]:
        party = ordered_by
        assert party is not None  # place_once calls build first
        if not party.distributor_id:
            return []
        short = shortages(uow, order, catalog, reserved=False)
        return [new_order_notice(order, party, catalog, short)]

    return place_once(uow, cmd.draft_id, build, notify)
