"""Stock alerts for a distributor: low cover and stock that has not moved.

Each condition is announced once, when it starts, and forgotten when it clears, so a daily
run (and a run after every dispatch) does not repeat itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.model.catalog import Product
from domain.model.notice import Notice
from domain.services.unit_of_work import UnitOfWork

LOOKBACK_DAYS = 30
DEAD_DAYS = 60


@dataclass(frozen=True)
class StockAlert:
    key: str
    sku: str
    text: str


def current_conditions(uow: UnitOfWork, catalog: Mapping[str, Product], distributor_id: str,
                       now: datetime, cover_days: float, skus: Iterable[str] | None = None
                       ) -> list[StockAlert]:
    sold = uow.stock.moved_out_since(distributor_id, now - timedelta(days=LOOKBACK_DAYS))
    levels = {lv.sku: lv for lv in uow.stock.levels(distributor_id)}
    wanted = set(skus) if skus is not None else set(levels) | set(sold)
    found = []
    for sku in sorted(wanted):
        product = catalog.get(sku)
        name = product.name if product else sku
        level = levels.get(sku)
        available = level.available if level else 0
        daily = sold.get(sku, 0) / LOOKBACK_DAYS
        if daily > 0 and available / daily < cover_days:
            days = available / daily
            found.append(StockAlert(f"low:{distributor_id}:{sku}", sku,
                                    f"{name}: {days:.1f} days of cover left "
                                    f"({available} {product.base_unit if product else 'units'})"))
        if level and level.on_hand > 0 and (
                level.last_moved_at is None
                or level.last_moved_at < now - timedelta(days=DEAD_DAYS)):
            found.append(StockAlert(f"dead:{distributor_id}:{sku}", sku,
                                    f"{name}: {level.on_hand} not moved in {DEAD_DAYS}+ days"))
    return found


def run_stock_alerts(uow: UnitOfWork, catalog: Mapping[str, Product], distributor_id: str,
                     now: datetime, cover_days: float, skus: Iterable[str] | None = None
                     ) -> list[StockAlert]:
    """Raises new conditions (one notice listing them), clears resolved ones; returns new."""
    skus = list(skus) if skus is not None else None
    with uow:
        current = current_conditions(uow, catalog, distributor_id, now, cover_days, skus)
        keys = {a.key for a in current}
        for key in uow.alerts.raised(distributor_id):
            sku = key.split(":", 2)[2]
            if key not in keys and (skus is None or sku in skus):
                uow.alerts.clear(key)
        new = [a for a in current if uow.alerts.raise_(a.key, distributor_id, now)]
        if new:
            uow.outbox.add(Notice(distributor_id, "\n".join(
                ["📦 Stock alert:", *(f"• {a.text}" for a in new),
                 "Reply 'suggest order' for a replenishment order."])))
        uow.commit()
    return new
