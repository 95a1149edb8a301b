"""Orders and their lines."""

from __future__ import annotations

import builtins
from collections import Counter
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.adapters.sql.core import run_statement, table_of
from domain.adapters.tables import OrderLineRow, OrderRow
from domain.errors import Conflict
from domain.model.order import Order, OrderLine, OrderStatus

_ORDERS, _LINES = table_of(OrderRow), table_of(OrderLineRow)
_SKU_COUNTS = (
    sa_select(_LINES.c.sku, func.count(func.distinct(_LINES.c.order_id)))
    .join(_ORDERS, _ORDERS.c.id == _LINES.c.order_id)
    .where(_ORDERS.c.party_id == bindparam("b_party"), _LINES.c.free.is_(False))
    .group_by(_LINES.c.sku)
)
_ORDER_BY_DRAFT = sa_select(_ORDERS.c.id).where(_ORDERS.c.draft_id == bindparam("b_draft"))
_INSERT_ORDER = insert(_ORDERS)
_NUMBER_ORDER = (update(_ORDERS).where(_ORDERS.c.id == bindparam("b_id"))
                 .values(number=bindparam("b_number")))
_INSERT_LINES = insert(_LINES)


def _order(row: OrderRow, lines: list[OrderLineRow]) -> Order:
    assert row.id is not None
    return Order(
        id=row.id, number=row.number, party_id=row.party_id, distributor_id=row.distributor_id,
        status=OrderStatus(row.status), channel=row.channel, draft_id=row.draft_id,
        gross=Decimal(row.gross), discount=Decimal(row.discount), net=Decimal(row.net),
        created_at=row.created_at, notes=list(row.notes), kind=row.kind,
        status_note=row.status_note,
        lines=[
            OrderLine(
                sku=ln.sku, name=ln.name, qty=Decimal(ln.qty).normalize(), unit=ln.unit,
                qty_base=ln.qty_base, unit_price=Decimal(ln.unit_price), gross=Decimal(ln.gross),
                discount=Decimal(ln.discount), net=Decimal(ln.net), free=ln.free,
                schemes=tuple(ln.schemes), reasons=tuple(ln.reasons),
                savings=tuple((k, Decimal(v)) for k, v in ln.savings.items()),
            )
            for ln in sorted(lines, key=lambda ln: ln.position)
        ],
    )


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order: Order) -> Order:
        try:
            inserted = run_statement(self.session, _INSERT_ORDER, {
                "party_id": order.party_id, "distributor_id": order.distributor_id,
                "status": order.status.value, "channel": order.channel,
                "draft_id": order.draft_id, "gross": order.gross, "discount": order.discount,
                "net": order.net, "created_at": order.created_at, "notes": list(order.notes),
                "kind": order.kind, "status_note": order.status_note,
            })
        except IntegrityError as exc:
            # The draft_id unique constraint: a concurrent YES already placed this draft.
            raise Conflict(f"draft {order.draft_id} already placed") from exc
        assert inserted.inserted_primary_key is not None
        order_id = int(inserted.inserted_primary_key[0])
        number = Order.number_for(order_id)
        run_statement(self.session, _NUMBER_ORDER, {"b_id": order_id, "b_number": number})
        if order.lines:
            self.session.connection().execute(_INSERT_LINES, [
                {"order_id": order_id, "position": position, "sku": line.sku,
                 "name": line.name, "qty": line.qty, "unit": line.unit,
                 "qty_base": line.qty_base, "unit_price": line.unit_price,
                 "gross": line.gross, "discount": line.discount, "net": line.net,
                 "free": line.free, "schemes": list(line.schemes),
                 "reasons": list(line.reasons),
                 "savings": {k: str(v) for k, v in line.savings}}
                for position, line in enumerate(order.lines)])
        order.id, order.number = order_id, number
        return order

    def _lines(self, order_ids: list[int]) -> dict[int, list[OrderLineRow]]:
        grouped: dict[int, list[OrderLineRow]] = {i: [] for i in order_ids}
        if order_ids:
            query = select(OrderLineRow).where(col(OrderLineRow.order_id).in_(order_ids))
            for line in self.session.exec(query).all():
                grouped[line.order_id].append(line)
        return grouped

    def get(self, order_id: int) -> Order | None:
        row = self.session.get(OrderRow, order_id)
        if row is None:
            return None
        return _order(row, self._lines([order_id])[order_id])

    def by_draft(self, draft_id: str) -> Order | None:
        # Asked after a confirmation the draft's unique key refused: who placed it first.
        order_id = run_statement(self.session, _ORDER_BY_DRAFT, {"b_draft": draft_id}).scalar()
        return self.get(int(order_id)) if order_id is not None else None

    def list(
        self,
        party_id: str | None = None,
        status: OrderStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Order], int]:
        query = select(OrderRow)
        count = select(func.count()).select_from(OrderRow)
        if party_id is not None:
            query = query.where(OrderRow.party_id == party_id)
            count = count.where(OrderRow.party_id == party_id)
        if status is not None:
            query = query.where(OrderRow.status == status.value)
            count = count.where(OrderRow.status == status.value)
        query = query.order_by(col(OrderRow.id).desc()).offset(offset).limit(limit)
        rows = self.session.exec(query).all()
        lines = self._lines([r.id for r in rows if r.id is not None])
        total = self.session.exec(count).one()
        return [_order(r, lines[r.id]) for r in rows if r.id is not None], int(total)

    def for_distributor(self, distributor_id: str, statuses: tuple[OrderStatus, ...] = (),
                        limit: int = 20) -> builtins.list[Order]:
        query = select(OrderRow).where(OrderRow.distributor_id == distributor_id,
                                       OrderRow.kind == "secondary")
        if statuses:
            query = query.where(col(OrderRow.status).in_([s.value for s in statuses]))
        rows = self.session.exec(query.order_by(col(OrderRow.id).desc()).limit(limit)).all()
        lines = self._lines([r.id for r in rows if r.id is not None])
        return [_order(r, lines[r.id]) for r in rows if r.id is not None]

    def move(self, order_id: int, from_statuses: tuple[OrderStatus, ...],
             to: OrderStatus, note: str | None, at: datetime) -> bool:
        result = self.session.execute(
            update(OrderRow)
            .where(col(OrderRow.id) == order_id,
                   col(OrderRow.status).in_([s.value for s in from_statuses]))
            .values(status=to.value, status_note=note, updated_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def sku_counts(self, party_id: str) -> dict[str, int]:
        rows = run_statement(self.session, _SKU_COUNTS, {"b_party": party_id}).all()
        return dict(Counter({str(sku): int(n) for sku, n in rows}))
