"""A distributor accepts, rejects and dispatches orders; stock moves once, never oversold.

Accepting reserves the stock of every line; dispatching takes it out and raises the invoice.
Each step is one unit of work whose first statement is a conditional status change, so two
concurrent taps on "Dispatched" move stock once. An order the stock cannot cover is flagged
with what is short and left as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.commands import AcceptOrder, DispatchOrder, RejectOrder
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.model.catalog import Product
from domain.model.field_limits import BASE_UNITS_MAX
from domain.model.money import format_rupees
from domain.model.notice import Notice
from domain.model.order import Order, OrderStatus
from domain.services.ledger import invoice_for
from domain.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Shortage:
    sku: str
    name: str
    needed: int  # base units
    available: int
    base_unit: str

    def __str__(self) -> str:
        return f"{self.name}: need {self.needed} {self.base_unit}, have {self.available}"


@dataclass(frozen=True)
class StepResult:
    order: Order
    changed: bool  # False when the order was already in that state (a repeated tap)
    shortages: tuple[Shortage, ...] = ()

    @property
    def short(self) -> bool:
        return bool(self.shortages)


def needs(order: Order) -> dict[str, int]:
    """Base units per SKU, paid and free lines together: free goods leave the depot too."""
    total: Counter[str] = Counter()
    for line in order.lines:
        total[line.sku] += line.qty_base
    return dict(total)


def order_to_act_on(uow: UnitOfWork, order_id: int, by_party_id: str | None) -> Order:
    """The order, if this party (None: the company) may act on it; NotFound or Forbidden."""
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}")
    # A primary order is the company's to act on (the console): the distributor who placed
    # it must not dispatch it to itself and so credit its own stock.
    if by_party_id is not None and order.distributor_id != by_party_id:
        raise Forbidden("that order is not yours to act on")
    return order


def shortages(uow: UnitOfWork, order: Order, catalog: Mapping[str, Product],
              reserved: bool) -> tuple[Shortage, ...]:
    assert order.distributor_id is not None
    found = []
    needed = needs(order)
    levels = uow.stock.levels_of(order.distributor_id, needed)
    for sku, qty in sorted(needed.items()):
        level = levels[sku]
        have = level.on_hand if reserved else level.available
        if have < qty:
            product = catalog.get(sku)
            found.append(Shortage(sku, product.name if product else sku, qty, max(have, 0),
                                  product.base_unit if product else "unit"))
    return tuple(found)


def _flag_short(uow: UnitOfWork, order: Order, short: tuple[Shortage, ...], at: datetime
                ) -> Order:
    note = "short: " + "; ".join(str(s) for s in short)
    uow.orders.move(order.id or 0, (order.status,), order.status, note[:500], at)
    uow.commit()
    return order


def accept_order(cmd: AcceptOrder, uow: UnitOfWork, catalog: Mapping[str, Product]
                 ) -> StepResult:
    with uow:
        order = order_to_act_on(uow, cmd.order_id, cmd.by_party_id)
        if order.kind != "secondary" or order.distributor_id is None:
            raise InvalidInput("only a retailer's order is accepted by its distributor")
        if order.status == OrderStatus.ACCEPTED:
            return StepResult(order, changed=False)
        if not uow.orders.move(cmd.order_id, (OrderStatus.PLACED,), OrderStatus.ACCEPTED,
                               None, cmd.at):
            return _lost_race(uow, order, OrderStatus.ACCEPTED, "accepted")
        for sku, qty in needs(order).items():
            if not uow.stock.reserve(order.distributor_id, sku, qty):
                uow.rollback()
                short = shortages(uow, order, catalog, reserved=False)
                return StepResult(_flag_short(uow, order, short, cmd.at), False, short)
        uow.outbox.add(Notice(order.party_id,
                              f"👍 Your order {order.number} ({format_rupees(order.net)}) "
                              "was accepted. We will tell you when it is dispatched."))
        uow.commit()
        return StepResult(_reloaded(uow, order), changed=True)


def reject_order(cmd: RejectOrder, uow: UnitOfWork) -> StepResult:
    reason = " ".join(cmd.reason.split())[:300]
    if not reason:
        raise InvalidInput("please give a reason for rejecting")
    with uow:
        order = order_to_act_on(uow, cmd.order_id, cmd.by_party_id)
        if order.status == OrderStatus.REJECTED:
            return StepResult(order, changed=False)
        was = _move_open(uow, cmd.order_id, OrderStatus.REJECTED, reason, cmd.at)
        if was is None:
            return _lost_race(uow, order, OrderStatus.REJECTED, "rejected")
        if was == OrderStatus.ACCEPTED and order.distributor_id is not None:
            for sku, qty in needs(order).items():
                uow.stock.release(order.distributor_id, sku, qty)
        uow.outbox.add(Notice(order.party_id,
                              f"❌ Sorry, your order {order.number} was not accepted: {reason}"))
        uow.commit()
        return StepResult(_reloaded(uow, order), changed=True)


def dispatch_order(cmd: DispatchOrder, uow: UnitOfWork, catalog: Mapping[str, Product]
                   ) -> StepResult:
    with uow:
        order = order_to_act_on(uow, cmd.order_id, cmd.by_party_id)
        if order.status == OrderStatus.DISPATCHED:
            return StepResult(order, changed=False)
        was = _move_open(uow, cmd.order_id, OrderStatus.DISPATCHED, None, cmd.at)
        if was is None:
            return _lost_race(uow, order, OrderStatus.DISPATCHED, "dispatched")
        assert order.number is not None
        if order.kind == "primary":
            # The brand ships to the distributor: stock comes in, within what a level holds.
            needed = needs(order)
            levels = uow.stock.levels_of(order.party_id, needed)
            for sku, qty in needed.items():
                if levels[sku].on_hand + qty > BASE_UNITS_MAX:  # the unit rolls back
                    raise InvalidInput(f"{order.party_id} would hold more than "
                                       f"{BASE_UNITS_MAX:,} base units of {sku}")
                uow.stock.receive(order.party_id, sku, qty, "primary", order.number, cmd.at)
        else:
            assert order.distributor_id is not None
            reserved = was == OrderStatus.ACCEPTED
            for sku, qty in needs(order).items():
                if not uow.stock.issue(order.distributor_id, sku, qty, "dispatch", order.number,
                                       cmd.at, reserved=reserved):
                    uow.rollback()
                    short = shortages(uow, order, catalog, reserved=reserved)
                    return StepResult(_flag_short(uow, order, short, cmd.at), False, short)
        invoice = uow.ledger.add(invoice_for(order, cmd.at))
        uow.outbox.add(Notice(order.party_id,
                              f"🚚 Your order {order.number} is dispatched. Invoice {invoice.ref} "
                              f"for {format_rupees(invoice.debit)}."))
        uow.commit()
        return StepResult(_reloaded(uow, order), changed=True)


def _move_open(uow: UnitOfWork, order_id: int, to: OrderStatus, note: str | None,
               at: datetime) -> OrderStatus | None:
    """Moves an open order on; the status it moved from, or None if it was not open. One
    source status at a time: the order as read earlier may have been accepted since (its
    stock reserved), and what to do with the stock depends on where it really moved from."""
    for _ in range(2):  # placed, then accepted in between: once more
        for source in (OrderStatus.ACCEPTED, OrderStatus.PLACED):
            if uow.orders.move(order_id, (source,), to, note, at):
                return source
    return None


def _lost_race(uow: UnitOfWork, order: Order, wanted: OrderStatus, verb: str) -> StepResult:
    """The status changed under us: a concurrent tap did the same thing, or something else."""
    uow.rollback()
    now = _reloaded(uow, order)
    if now.status == wanted:
        return StepResult(now, changed=False)
    raise Conflict(f"{now.number} is {now.status.value}; it cannot be {verb}")


def _reloaded(uow: UnitOfWork, order: Order) -> Order:
    return uow.orders.get(order.id or 0) or order
