"""Facts the domain records, past tense."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPlaced:
    order_id: int
    number: str
    party_id: str
    distributor_id: str | None
