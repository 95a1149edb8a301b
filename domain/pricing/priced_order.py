"""What goes into pricing (buyer, lines) and what comes out (priced lines, free lines, nudges)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from domain.model.money import ZERO, format_rupees
from domain.pricing.quantity_words import units

# Why a scheme in scope of a line did not apply to it.
NOT_APPLIED_CODES = frozenset(
    {"threshold_not_reached", "audience", "dates", "lost_to_priority", "lost_to_better_saving",
     "inactive", "no_saving"}
)
APPLIED = "applied"


@dataclass(frozen=True)
class Buyer:
    on: date
    role: str
    region: str | None = None
    party_id: str | None = None


@dataclass(frozen=True)
class OrderLineInput:
    sku: str
    qty: Decimal
    unit: str | None = None  # None: the product's default unit


# SchemeReason and PricedLine are built once per line and per scheme on a line, hundreds per
# order: they are NamedTuples, as immutable as a frozen dataclass and three times cheaper to
# build, which the 1 ms pricing budget needs.


class SchemeReason(NamedTuple):
    """A scheme that applied to a line (code "applied", with its saving) or why it did not.

    `note` is the scheme's own part ("5% off on 10+ cases", "needs 10+ cases in all"); `text`
    is the sentence a shopkeeper reads, written when asked for.
    """

    scheme_id: str
    scheme_name: str
    code: str
    note: str
    saving: Decimal = ZERO

    @property
    def text(self) -> str:
        if self.code == APPLIED:
            return f"{self.scheme_id}: {self.note}, saved {format_rupees(self.saving)}"
        return f"{self.scheme_id}: {self.note}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scheme": self.scheme_id, "name": self.scheme_name,
                                "code": self.code, "text": self.text}
        if self.code == APPLIED:
            data["saving"] = str(self.saving)
        return data


class PricedLine(NamedTuple):
    sku: str
    qty: Decimal
    unit: str
    qty_base: int
    unit_price: Decimal  # per `unit`
    gross: Decimal
    discount: Decimal
    net: Decimal
    applied: tuple[SchemeReason, ...] = ()
    not_applied: tuple[SchemeReason, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku, "qty": str(self.qty), "unit": self.unit, "qty_base": self.qty_base,
            "unit_price": str(self.unit_price), "gross": str(self.gross),
            "discount": str(self.discount), "net": str(self.net),
            "applied": [r.to_json() for r in self.applied],
            "not_applied": [r.to_json() for r in self.not_applied],
        }


@dataclass(frozen=True)
class FreeLine:
    """Goods given at zero price, on a line of their own, named with the scheme that gave them."""

    sku: str
    qty: int
    unit: str
    qty_base: int
    scheme_id: str
    scheme_name: str

    def to_json(self) -> dict[str, Any]:
        return {"sku": self.sku, "qty": self.qty, "unit": self.unit, "qty_base": self.qty_base,
                "scheme": self.scheme_id, "name": self.scheme_name}


@dataclass(frozen=True)
class Nudge:
    """The smallest extra (add_qty of unit, or add_value) that reaches a scheme's next slab."""

    scheme_id: str
    scheme_name: str
    saving: Decimal  # what the scheme alone gives once the extra is added (total, not increase)
    sku: str  # the line the extra would go to
    benefit: str  # what the next slab gives: "8% off", "1 case Thums Up 750ml free"
    what: str  # what to add: the product's name, or for a value nudge the scheme's scope
    add_qty: int | None = None
    unit: str | None = None
    add_value: Decimal | None = None

    @property
    def text(self) -> str:
        """`Add 2 cases Maggi 70g -> 8% off, save Rs 182.40`, written when asked for."""
        gets = f"-> {self.benefit}, save {format_rupees(self.saving)}"
        if self.add_qty is not None and self.unit is not None:
            return f"Add {units(self.add_qty, self.unit)} {self.what} {gets}"
        return f"Add {format_rupees(self.add_value or ZERO)} more of {self.what} {gets}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scheme": self.scheme_id, "name": self.scheme_name}
        if self.add_qty is not None:
            data["add_qty"] = self.add_qty
            data["unit"] = self.unit
        if self.add_value is not None:
            data["add_value"] = str(self.add_value)
        data.update(saving=str(self.saving), sku=self.sku, text=self.text)
        return data


@dataclass(frozen=True)
class PricedOrder:
    lines: tuple[PricedLine, ...]
    free: tuple[FreeLine, ...]
    gross: Decimal
    discount: Decimal
    net: Decimal
    nudges: tuple[Nudge, ...] = ()

    def applied_map(self) -> dict[str, list[str]]:
        """Ordered SKU -> schemes applied on its line(s), free-goods schemes it earned included."""
        applied: dict[str, list[str]] = {}
        for line in self.lines:
            ids = applied.setdefault(line.sku, [])
            ids.extend(r.scheme_id for r in line.applied if r.scheme_id not in ids)
        return applied

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: every Decimal (money and quantities) as a string, counts as ints."""
        return {
            "lines": [line.to_json() for line in self.lines],
            "free": [free.to_json() for free in self.free],
            "gross": str(self.gross),
            "discount": str(self.discount),
            "net": str(self.net),
            "nudges": [nudge.to_json() for nudge in self.nudges],
            "applied": self.applied_map(),
        }
