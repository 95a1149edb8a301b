"""Primary orders: a distributor orders stock from the brand, with a suggested basket.

The suggestion covers `cover_days` of the distributor's secondary sales over the last
`lookback_days`, less what it has available and what is already on order, rounded up to
whole cases (or the product's largest pack when it has no case).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from domain.commands import DraftLine, PlacePrimaryOrder
from domain.model.catalog import Product
from domain.model.order import Order, OrderStatus
from domain.model.party import Role
from domain.pricing import SchemeIndex
from domain.services.ordering import (
    PlacedOrder,
    order_lines,
    ordering_party,
    place_once,
    price_draft,
)
from domain.services.unit_of_work import UnitOfWork

OPEN = (OrderStatus.PLACED, OrderStatus.ACCEPTED)


def pack_unit(product: Product) -> str:
    units = product.units
    return "case" if "case" in units else max(units, key=lambda u: units[u])


def on_order(uow: UnitOfWork, distributor_id: str) -> dict[str, int]:
    """Base units in the distributor's primary orders not yet delivered."""
    orders, _ = uow.orders.list(party_id=distributor_id, limit=500)
    pending: Counter[str] = Counter()
    for order in orders:
        if order.kind == "primary" and order.status in OPEN:
            for line in order.lines:
                pending[line.sku] += line.qty_base
    return dict(pending)


def suggest_replenishment(uow: UnitOfWork, catalog: Mapping[str, Product], distributor_id: str,
                          now: datetime, cover_days: int = 14, lookback_days: int = 30
                          ) -> tuple[DraftLine, ...]:
    """Within an open unit of work."""
    sold = uow.stock.moved_out_since(distributor_id, now - timedelta(days=lookback_days))
    coming = on_order(uow, distributor_id)
    lines = []
    for sku, qty in sorted(sold.items()):
        product = catalog.get(sku)
        if product is None or qty <= 0:
            continue
        target = qty * cover_days / lookback_days
        have = uow.stock.level(distributor_id, sku).available + coming.get(sku, 0)
        missing = target - have
        if missing <= 0:
            continue
        unit = pack_unit(product)
        packs = math.ceil(missing / product.units[unit])
        lines.append(DraftLine(sku=sku, qty=Decimal(packs), unit=unit))
    return tuple(lines)


def place_primary_order(cmd: PlacePrimaryOrder, uow: UnitOfWork,
                        catalog: Mapping[str, Product], schemes: SchemeIndex) -> PlacedOrder:
    """A distributor's order to the company, placed once per draft."""

    def build(uow: UnitOfWork) -> Order:
        party = ordering_party(uow, cmd.distributor_id, Role.DISTRIBUTOR, cmd.lines)
        priced = price_draft(cmd.lines, catalog, schemes, party, cmd.at)
        return Order(party_id=party.id, distributor_id=None, lines=order_lines(priced, catalog),
                     gross=priced.gross, discount=priced.discount, net=priced.net,
                     created_at=cmd.at, channel=cmd.channel, draft_id=cmd.draft_id,
                     kind="primary")

    return place_once(uow, cmd.draft_id, build)
