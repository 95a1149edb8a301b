"""Stock at a distributor's depot, in base units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StockLevel:
    distributor_id: str
    sku: str
    on_hand: int = 0
    reserved: int = 0
    last_moved_at: datetime | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved
