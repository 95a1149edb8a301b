"""Orders as placed: lines frozen with the prices and schemes they were confirmed with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    PLACED = "placed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    qty: Decimal
    unit: str
    qty_base: int
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal
    free: bool = False
    schemes: tuple[str, ...] = ()  # ids of the schemes applied (or that gave this free line)
    reasons: tuple[str, ...] = ()  # one short human line each
    # What each scheme gave on this line: money off, or the catalog value of free goods.
    savings: tuple[tuple[str, Decimal], ...] = ()


@dataclass
class Order:
    party_id: str
    distributor_id: str | None
    lines: list[OrderLine]
    gross: Decimal
    discount: Decimal
    net: Decimal
    created_at: datetime
    channel: str = "whatsapp"
    status: OrderStatus = OrderStatus.PLACED
    # The draft this order came from: a second YES for the same draft finds this order.
    draft_id: str | None = None
    kind: str = "secondary"  # secondary: retailer -> distributor; primary: distributor -> brand
    status_note: str | None = None  # why it was rejected, what was short
    id: int | None = None
    number: str | None = None
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def number_for(order_id: int) -> str:
        return f"ORD-{order_id:06d}"
