"""Stock: each distributor's levels and reservations, the moves behind them, and the stock
alerts already raised."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from domain.adapters.sql.core import insert_if_absent, run_statement, table_of
from domain.adapters.tables import AlertStateRow, StockLevelRow, StockMoveRow
from domain.model.stock import StockLevel

_STOCK = table_of(StockLevelRow)
_STOCK_LEVEL = sa_select(_STOCK.c.qty_base, _STOCK.c.reserved_base, _STOCK.c.last_moved_at).where(
    _STOCK.c.distributor_id == bindparam("b_distributor"), _STOCK.c.sku == bindparam("b_sku"))
_STOCK_LEVELS_OF = sa_select(
    _STOCK.c.sku, _STOCK.c.qty_base, _STOCK.c.reserved_base, _STOCK.c.last_moved_at).where(
    _STOCK.c.distributor_id == bindparam("b_distributor"),
    _STOCK.c.sku.in_(bindparam("b_skus", expanding=True)))


class SqlStockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, distributor_id: str, sku: str) -> None:
        """Makes sure the level's row exists; two first receipts at once both find none."""
        insert_if_absent(self.session, _STOCK, {"distributor_id": distributor_id, "sku": sku,
                                                "qty_base": 0, "reserved_base": 0})

    def level(self, distributor_id: str, sku: str) -> StockLevel:
        row = run_statement(self.session, _STOCK_LEVEL,
                            {"b_distributor": distributor_id, "b_sku": sku}).first()
        if row is None:
            return StockLevel(distributor_id, sku)
        return StockLevel(distributor_id, sku, int(row.qty_base), int(row.reserved_base),
                          row.last_moved_at)

    def levels_of(self, distributor_id: str, skus: Collection[str]) -> dict[str, StockLevel]:
        found = {sku: StockLevel(distributor_id, sku) for sku in skus}
        if found:
            for row in run_statement(self.session, _STOCK_LEVELS_OF,
                                     {"b_distributor": distributor_id, "b_skus": sorted(found)}):
                found[row.sku] = StockLevel(distributor_id, row.sku, int(row.qty_base),
                                            int(row.reserved_base), row.last_moved_at)
        return found

    def levels(self, distributor_id: str) -> list[StockLevel]:
        rows = self.session.exec(select(StockLevelRow).where(
            StockLevelRow.distributor_id == distributor_id).order_by(col(StockLevelRow.sku))).all()
        return [StockLevel(r.distributor_id, r.sku, r.qty_base, r.reserved_base, r.last_moved_at)
                for r in rows]

    def _move(self, distributor_id: str, sku: str, qty: int, reason: str, ref: str,
              at: datetime) -> None:
        self.session.add(StockMoveRow(distributor_id=distributor_id, sku=sku, qty_base=qty,
                                      reason=reason, ref=ref, created_at=at))

    def receive(self, distributor_id: str, sku: str, qty_base: int, reason: str, ref: str,
                at: datetime) -> None:
        self._row(distributor_id, sku)
        self.session.execute(
            update(StockLevelRow)
            .where(col(StockLevelRow.distributor_id) == distributor_id,
                   col(StockLevelRow.sku) == sku)
            .values(qty_base=StockLevelRow.qty_base + qty_base, last_moved_at=at))
        self._move(distributor_id, sku, qty_base, reason, ref, at)

    def reserve(self, distributor_id: str, sku: str, qty_base: int) -> bool:
        # No row means no stock: the UPDATE below then matches nothing and says so.
        # One conditional UPDATE: concurrent reservations serialise on the row lock and the
        # condition is re-checked, so the last units are never promised twice.
        result = self.session.execute(
            update(StockLevelRow)
            .where(col(StockLevelRow.distributor_id) == distributor_id,
                   col(StockLevelRow.sku) == sku,
                   col(StockLevelRow.qty_base) - col(StockLevelRow.reserved_base) >= qty_base)
            .values(reserved_base=StockLevelRow.reserved_base + qty_base))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self, distributor_id: str, sku: str, qty_base: int) -> None:
        self.session.execute(
            update(StockLevelRow)
            .where(col(StockLevelRow.distributor_id) == distributor_id,
                   col(StockLevelRow.sku) == sku)
            .values(reserved_base=func.max(StockLevelRow.reserved_base - qty_base, 0)
                    if self.session.get_bind().dialect.name == "sqlite"
                    else func.greatest(StockLevelRow.reserved_base - qty_base, 0)))

    def issue(self, distributor_id: str, sku: str, qty_base: int, reason: str, ref: str,
              at: datetime, reserved: bool) -> bool:
        condition = (col(StockLevelRow.qty_base) >= qty_base) if reserved else (
            col(StockLevelRow.qty_base) - col(StockLevelRow.reserved_base) >= qty_base)
        values: dict[str, object] = {"qty_base": StockLevelRow.qty_base - qty_base,
                                     "last_moved_at": at}
        if reserved:
            values["reserved_base"] = StockLevelRow.reserved_base - qty_base
        result = self.session.execute(
            update(StockLevelRow)
            .where(col(StockLevelRow.distributor_id) == distributor_id,
                   col(StockLevelRow.sku) == sku, condition)
            .values(**values))
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        self._move(distributor_id, sku, -qty_base, reason, ref, at)
        return True

    def moved_out_since(self, distributor_id: str, since: datetime) -> dict[str, int]:
        rows = self.session.exec(
            select(StockMoveRow.sku, func.sum(StockMoveRow.qty_base))
            .where(StockMoveRow.distributor_id == distributor_id,
                   col(StockMoveRow.created_at) >= since, StockMoveRow.reason == "dispatch")
            .group_by(col(StockMoveRow.sku))).all()
        return {sku: -int(total) for sku, total in rows}


class SqlAlertStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def raised(self, party_id: str) -> set[str]:
        rows = self.session.exec(
            select(AlertStateRow.key).where(AlertStateRow.party_id == party_id)).all()
        return set(rows)

    def raise_(self, key: str, party_id: str, at: datetime) -> bool:
        # Up already, or raised by another run at the same moment: not new, and no error.
        return insert_if_absent(self.session, table_of(AlertStateRow),
                                {"key": key, "party_id": party_id, "raised_at": at})

    def clear(self, key: str) -> None:
        row = self.session.get(AlertStateRow, key)
        if row is not None:
            self.session.delete(row)
