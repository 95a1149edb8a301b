"""Commands: what the bot and the console ask the service layer to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class DraftLine:
    sku: str
    qty: Decimal
    unit: str | None


@dataclass(frozen=True)
class PlaceOrder:
    party_id: str
    lines: tuple[DraftLine, ...]
    draft_id: str
    channel: str
    at: datetime
