"""Parties: who buys, sells, visits and manages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Role(StrEnum):
    DISTRIBUTOR = "distributor"
    RETAILER = "retailer"
    REP = "rep"
    MANAGER = "manager"


CHANNELS = ("general_trade", "modern_trade", "horeca", "salon", "pharma", "building")


@dataclass(frozen=True)
class Party:
    id: str
    role: Role
    name: str
    phone: str
    telegram_user_id: int | None = None
    distributor_id: str | None = None
    routes: tuple[str, ...] = ()
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    outlet_class: str | None = None
    channel: str | None = None
    credit_limit: Decimal | None = None
    active: bool = True
