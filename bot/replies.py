"""Domain results -> chat text and buttons. Channel limits are the adapters' business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from bot.messages import Button, Reply
from domain.model.catalog import Product
from domain.model.money import format_rupees
from domain.model.order import Order
from domain.pricing import PricedOrder

CONFIRM_BUTTONS = (Button("YES, confirm", "yes"), Button("Cancel", "cancel"))

EXAMPLE_ORDER = "2 cs thums up 750, 5 box maggi 70g"

HELP_TEXT = (
    "You can order by typing it the way you talk, e.g.\n"
    f"  {EXAMPLE_ORDER}\n"
    "Then:\n"
    "  YES to confirm, CANCEL to drop the draft\n"
    "  'make maggi 5', 'remove coke', 'add 2 cs sprite' to edit\n"
    "  'repeat last order', 'my orders', 'offers'"
)

NOT_REGISTERED = (
    "Namaste! This number is not registered with us yet, so I can't take orders from it. "
    "Please ask your distributor or sales rep to register this WhatsApp number; "
    "once they have, just say hi again."
)


def plural(unit: str, qty: Decimal) -> str:
    if qty == 1 or unit in ("dozen",) or unit.endswith("s"):
        return unit
    return unit + ("es" if unit.endswith(("x", "ch", "sh")) else "s")


def qty_text(qty: Decimal, unit: str) -> str:
    shown = qty.normalize()
    number = f"{shown:f}" if shown != shown.to_integral_value() else f"{int(shown)}"
    return f"{number} {plural(unit, qty)}"


def draft_reply(
    priced: PricedOrder,
    catalog: Mapping[str, Product],
    notes: Sequence[str] = (),
    not_found: Sequence[str] = (),
) -> Reply:
    out = ["🧾 *Your order (not placed yet)*"]
    for n, line in enumerate(priced.lines, start=1):
        name = catalog[line.sku].name
        out.append(
            f"{n}. {name}: {qty_text(line.qty, line.unit)} x {format_rupees(line.unit_price)}"
            f" = {format_rupees(line.gross)}"
        )
        out.extend(f"   🎁 {reason.text}" for reason in line.applied)
    for free in priced.free:
        out.append(
            f"   FREE: {qty_text(Decimal(free.qty), free.unit)} {catalog[free.sku].name}"
            f" ({free.scheme_name})"
        )
    total = f"*Total: {format_rupees(priced.net)}*"
    if priced.discount > 0:
        total += f" (you save {format_rupees(priced.discount)})"
    out.append(total)
    out.extend(f"ℹ️ {note}" for note in notes)
    out.extend(f"❓ {missing}" for missing in not_found)
    out.extend(f"💡 {nudge.text}" for nudge in priced.nudges[:2])
    out.append("Reply YES to confirm, CANCEL to drop it, or edit: 'make maggi 5', "
               "'remove coke', 'add 2 cs sprite'.")
    return Reply("\n".join(out), CONFIRM_BUTTONS)


def placed_reply(order: Order, distributor_name: str | None) -> Reply:
    paid_lines = sum(1 for line in order.lines if not line.free)
    text = (
        f"✅ Order *{order.number}* placed: {paid_lines} item(s), {format_rupees(order.net)}."
    )
    if distributor_name:
        text += f"\n{distributor_name} will confirm it and let you know when it is dispatched."
    return Reply(text)


def order_summary(order: Order) -> str:
    day = order.created_at.strftime("%d %b")
    return f"{order.number} ({day}): {format_rupees(order.net)}, {order.status.value}"
