"""Scheme claims: what a distributor gave away under brand schemes in a period, per scheme,
ready to claim back from the brand. A read view over its dispatched orders."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.errors import InvalidInput
from domain.model.catalog import Product
from domain.model.order import OrderStatus
from domain.services.csv_cells import safe_cell
from domain.services.unit_of_work import UnitOfWork

CLAIMABLE = (OrderStatus.DISPATCHED, OrderStatus.DELIVERED)


@dataclass
class SchemeClaim:
    scheme_id: str
    orders: set[str] = field(default_factory=set)
    discount: Decimal = Decimal("0.00")  # money off given on invoices
    free_value: Decimal = Decimal("0.00")  # free goods at catalog price
    free_units: dict[str, int] = field(default_factory=dict)  # sku -> base units given free

    @property
    def total(self) -> Decimal:
        return self.discount + self.free_value


def scheme_claims(uow: UnitOfWork, distributor_id: str, start: date, end: date,
                  catalog: Mapping[str, Product]) -> list[SchemeClaim]:
    if start > end:
        raise InvalidInput("the period starts after it ends")
    claims: dict[str, SchemeClaim] = {}
    for order in uow.orders.for_distributor(distributor_id, CLAIMABLE, limit=100_000):
        if not start <= order.created_at.date() <= end:
            continue
        # A paid line names the free goods its scheme gave as a saving too (the shop is
        # shown it); the free line carries that value, so it is counted there only.
        giving_free = {sid for line in order.lines if line.free for sid, _ in line.savings}
        for line in order.lines:
            for scheme_id, saving in line.savings:
                if not line.free and scheme_id in giving_free:
                    continue
                claim = claims.setdefault(scheme_id, SchemeClaim(scheme_id))
                claim.orders.add(order.number or "")
                if line.free:
                    claim.free_value += saving
                    claim.free_units[line.sku] = claim.free_units.get(line.sku, 0) + line.qty_base
                else:
                    claim.discount += saving
    return [claims[k] for k in sorted(claims)]


def claims_csv(claims: list[SchemeClaim], catalog: Mapping[str, Product]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scheme", "orders", "discount", "free_goods", "free_value", "claim"])
    for c in claims:
        free = "; ".join(f"{catalog[s].name if s in catalog else s}: {q}"
                         for s, q in sorted(c.free_units.items()))
        writer.writerow([safe_cell(c.scheme_id), len(c.orders), f"{c.discount:.2f}",
                         safe_cell(free), f"{c.free_value:.2f}", f"{c.total:.2f}"])
    return out.getvalue()
