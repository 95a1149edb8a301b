"""Pure pricing: order lines + schemes -> a priced order with reasons and nudges."""

from __future__ import annotations

from domain.pricing.cumulative import cumulative_progress
from domain.pricing.engine import price_order
from domain.pricing.priced_order import (
    NOT_APPLIED_CODES,
    Buyer,
    FreeLine,
    Nudge,
    OrderLineInput,
    PricedLine,
    PricedOrder,
    SchemeReason,
)
from domain.pricing.scheme_index import SchemeIndex

__all__ = [
    "NOT_APPLIED_CODES",
    "Buyer",
    "FreeLine",
    "Nudge",
    "OrderLineInput",
    "PricedLine",
    "PricedOrder",
    "SchemeIndex",
    "SchemeReason",
    "cumulative_progress",
    "price_order",
]
