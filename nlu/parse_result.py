"""The shape of a parse: what the bot, the eval harness and the Rasa backend all produce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

INTENTS = (
    "place_order", "reorder_last", "return_request", "statement_query", "order_status",
    "log_visit", "show_schemes", "loyalty_points", "recommend", "confirm", "cancel",
    "greet", "help", "out_of_scope",
)


@dataclass(frozen=True)
class ParsedItem:
    """One product mention. `sku` is None when ambiguous: then `candidates` lists the options."""

    qty: Decimal
    unit: str | None  # canonical unit the message names; None -> the product's default unit
    sku: str | None = None
    candidates: tuple[str, ...] = ()
    text: str = ""  # the span of the message this item came from
    phrase: str = ""  # the product words of that span alone: what learned aliases key on
    note: str = ""  # e.g. "picked 750ml from your past orders"

    @property
    def ambiguous(self) -> bool:
        return self.sku is None

    def to_json(self) -> dict[str, Any]:
        qty: int | float = int(self.qty) if self.qty == int(self.qty) else float(self.qty)
        out: dict[str, Any] = {"sku": self.sku, "qty": qty, "unit": self.unit}
        if self.sku is None:
            out["candidates"] = list(self.candidates)
        return out


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class Parse:
    intent: str
    items: tuple[ParsedItem, ...] = ()
    period: Period | None = None
    reason: str | None = None
    amount: Decimal | None = None
    outlet: str | None = None
    unknown: tuple[str, ...] = field(default=())  # spans naming nothing the catalog holds

    def to_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "items": [i.to_json() for i in self.items],
            "period": self.period.to_json() if self.period else None,
            "reason": self.reason,
            "amount": float(self.amount) if self.amount is not None else None,
            "outlet": self.outlet,
            "unknown": list(self.unknown),
        }


@dataclass(frozen=True)
class ParseContext:
    """What the parser may know besides the text: who is writing, when, and their habits."""

    role: str = "retailer"
    now: datetime | None = None
    sender: str | None = None  # party id, for learned aliases and history
    # sku -> how many times this sender ordered it; lets history settle a size
    history: Mapping[str, int] = field(default_factory=dict)
