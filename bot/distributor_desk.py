"""What a distributor does in chat: act on its retailers' orders, read statements, restock.

Order buttons carry `ord:<action>:<order id>`; every action checks that the order is this
distributor's before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.catalog_cache import CatalogSnapshot
from bot.messages import Button, Document, Reply
from domain.commands import AcceptOrder, DispatchOrder, RejectOrder
from domain.errors import DomainError
from domain.model.money import format_rupees
from domain.model.order import Order, OrderStatus
from domain.model.party import Party
from domain.services.fulfilment import (
    StepResult,
    accept_order,
    dispatch_order,
    order_to_act_on,
    reject_order,
)
from domain.services.ordering import fulfilment_buttons
from domain.services.statements import Statement, statement, statement_csv
from domain.services.stock_alerts import run_stock_alerts
from domain.services.unit_of_work import UnitOfWorkFactory
from nlu.parse_result import Period

REJECT_REASONS = ("Out of stock", "Credit limit crossed", "Outlet closed", "Duplicate order")
LONG_STATEMENT = 12  # more entries than this go as a CSV file
# Order ids are 32-bit INTEGER on PostgreSQL: a larger one names no order and must not
# reach the database, which refuses it with an error instead of finding nothing.
MAX_ORDER_ID = 2**31 - 1


@dataclass(frozen=True)
class DeskSettings:
    stock_alert_cover_days: float = 7.0


class DistributorDesk:
    def __init__(self, uow_factory: UnitOfWorkFactory, settings: DeskSettings) -> None:
        self.uow_factory = uow_factory
        self.settings = settings

    # -- orders ---------------------------------------------------------------------------

    def act(self, party: Party, state: dict[str, Any], payload: str, snapshot: CatalogSnapshot,
            at: datetime) -> list[Reply]:
        """Handles `ord:accept:ID`, `ord:dispatch:ID`, `ord:reject:ID[:reason]`."""
        parts = payload.split(":", 3)
        if len(parts) < 3 or not parts[2].isdecimal() or int(parts[2]) > MAX_ORDER_ID:
            return [Reply("Sorry, that button is not valid any more.")]
        action, order_id = parts[1], int(parts[2])
        try:
            if action == "accept":
                return [self._accepted(accept_order(
                    AcceptOrder(order_id, party.id, at), self.uow_factory(), snapshot.products))]
            if action == "dispatch":
                result = dispatch_order(DispatchOrder(order_id, party.id, at), self.uow_factory(),
                                        snapshot.products)
                if result.changed:
                    run_stock_alerts(self.uow_factory(), snapshot.products, party.id, at,
                                     self.settings.stock_alert_cover_days,
                                     skus={ln.sku for ln in result.order.lines})
                return [self._dispatched(result)]
            if action == "reject":
                if len(parts) == 4 and parts[3].strip():
                    return [self._rejected(order_id, party, parts[3], at)]
                with self.uow_factory() as uow:  # theirs, before asking them why
                    order = order_to_act_on(uow, order_id, party.id)
                state["rejecting"] = {"order": order_id, "asked": at.isoformat()}
                buttons = tuple(Button(r, f"ord:reject:{order_id}:{r}") for r in REJECT_REASONS)
                return [Reply(f"Why are you rejecting {order.number}? Tap a reason or type "
                              "it (or 'cancel').", buttons)]
        except DomainError as exc:
            return [Reply(f"Sorry, {exc}")]
        return [Reply("Sorry, I don't know that action.")]

    def reason_typed(self, party: Party, order_id: int, text: str, at: datetime
                     ) -> list[Reply]:
        try:
            return [self._rejected(order_id, party, text, at)]
        except DomainError as exc:
            return [Reply(f"Sorry, {exc}")]

    def _rejected(self, order_id: int, party: Party, reason: str, at: datetime) -> Reply:
        result = reject_order(RejectOrder(order_id, party.id, reason, at), self.uow_factory())
        if not result.changed:
            return Reply(f"{result.order.number} was already rejected.")
        return Reply(f"❌ {result.order.number} rejected ({reason.strip()}). "
                     "The retailer has been told.")

    def _accepted(self, result: StepResult) -> Reply:
        order = result.order
        if result.short:
            return Reply(
                "\n".join([f"⚠️ {order.number} cannot be accepted: your stock is short.",
                           *(f"• {s}" for s in result.shortages),
                           "Reject it, or receive stock and try again."]),
                (Button("Reject", f"ord:reject:{order.id}"),))
        if not result.changed:
            return Reply(f"{order.number} was already accepted.")
        return Reply(f"👍 {order.number} accepted; the stock is reserved. Tap Dispatched when "
                     "it leaves.", (Button("Dispatched", f"ord:dispatch:{order.id}"),))

    def _dispatched(self, result: StepResult) -> Reply:
        order = result.order
        if result.short:
            return Reply("\n".join([f"⚠️ {order.number} cannot be dispatched: stock is short.",
                                    *(f"• {s}" for s in result.shortages)]))
        if not result.changed:
            return Reply(f"{order.number} was already dispatched.")
        return Reply(f"🚚 {order.number} dispatched and invoiced ({format_rupees(order.net)}). "
                     "The retailer has been told.")

    def open_orders(self, party: Party) -> list[Reply]:
        with self.uow_factory() as uow:
            orders = uow.orders.for_distributor(
                party.id, (OrderStatus.PLACED, OrderStatus.ACCEPTED), limit=10)
            names = {o.party_id: (p.name if (p := uow.parties.get(o.party_id)) else o.party_id)
                     for o in orders}
        if not orders:
            return [Reply("No orders are waiting for you. 🎉")]
        return [Reply(_order_card(o, names[o.party_id]), _buttons_for(o)) for o in orders]

    # -- statements -----------------------------------------------------------------------

    def statement_reply(self, party: Party, period: Period | None, today: date) -> list[Reply]:
        start, end = (period.start, period.end) if period else (today - timedelta(days=30), today)
        try:
            st = statement(self.uow_factory(), party.id, start, end, today)
        except DomainError as exc:
            return [Reply(f"Sorry, {exc}. Try e.g. 'statement since 1 oct' or 'statement Q2'.")]
        return [statement_reply(st)]


def _order_card(order: Order, retailer: str) -> str:
    lines = [f"{order.number} from {retailer}: {format_rupees(order.net)} ({order.status.value})"]
    lines += [f"• {ln.name}: {ln.qty.normalize():f} {ln.unit}" + (" (free)" if ln.free else "")
              for ln in order.lines]
    if order.status_note:
        lines.append(f"⚠️ {order.status_note}")
    return "\n".join(lines)


def _buttons_for(order: Order) -> tuple[Button, ...]:
    wanted = {"placed": ("accept", "reject", "dispatch"), "accepted": ("dispatch", "reject")}
    allowed = wanted.get(order.status.value, ())
    return tuple(Button(title, payload) for title, payload in fulfilment_buttons(order)
                 if payload.split(":")[1] in allowed)


def statement_reply(st: Statement, long_after: int = LONG_STATEMENT) -> Reply:
    def money(amount: Any) -> str:
        return format_rupees(amount)

    head = [f"📒 Statement for {st.party_name}, {st.start:%d %b %Y} to {st.end:%d %b %Y}",
            f"Opening balance: {money(st.opening)}"]
    tail = [f"Closing balance: {money(st.closing)}"
            + (" (you owe)" if st.closing > 0 else " (in credit)" if st.closing < 0 else ""),
            "Outstanding by age: " + ", ".join(f"{k} days {money(v)}"
                                               for k, v in st.ageing.items())]
    if st.credit_limit is not None and st.headroom is not None:
        tail.append(f"Credit limit {money(st.credit_limit)}, headroom {money(st.headroom)}")
    if len(st.lines) > long_after:
        body = [f"{len(st.lines)} entries: debits {money(st.total_debit)}, "
                f"credits {money(st.total_credit)}. The full statement is attached."]
        doc = Document(f"statement-{st.party_id}-{st.start}-{st.end}.csv", "text/csv",
                       statement_csv(st))
        return Reply("\n".join([*head, *body, *tail]), document=doc)
    body = [f"{ln.on:%d %b} {ln.kind.replace('_', ' ')} {ln.ref}: "
            + (f"+{money(ln.debit)}" if ln.debit else f"-{money(ln.credit)}")
            + f" → {money(ln.balance)}" for ln in st.lines] or ["No entries in this period."]
    return Reply("\n".join([*head, *body, *tail]))

