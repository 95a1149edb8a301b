"""Repositories over SQLModel tables: rows in, plain dataclasses out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.adapters.tables import (
    ApiTokenRow,
    InboundMessageRow,
    MetaRow,
    OrderLineRow,
    OrderRow,
    PartyRow,
    ProductRow,
    SchemeRow,
)
from domain.errors import Conflict
from domain.model.catalog import Product
from domain.model.order import Order, OrderLine, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import Scheme, scheme_from_dict, scheme_to_dict


def _product(row: ProductRow) -> Product:
    return Product(
        sku=row.sku, name=row.name, brand=row.brand, category=row.category,
        base_unit=row.base_unit, pack_units=dict(row.pack_units), default_unit=row.default_unit,
        price=Decimal(row.price), mrp=Decimal(row.mrp), aliases=tuple(row.aliases),
        active=row.active,
    )


def _product_fields(p: Product) -> dict[str, object]:
    return {
        "name": p.name, "brand": p.brand, "category": p.category, "base_unit": p.base_unit,
        "pack_units": dict(p.pack_units), "default_unit": p.default_unit, "price": p.price,
        "mrp": p.mrp, "aliases": list(p.aliases), "active": p.active,
    }


def _apply(row: object, fields: dict[str, object]) -> bool:
    changed = False
    for name, value in fields.items():
        current = getattr(row, name)
        if isinstance(value, Decimal) and current is not None:
            same = Decimal(current) == value
        else:
            same = current == value
        if not same:
            setattr(row, name, value)
            changed = True
    return changed


class SqlProductRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, sku: str) -> Product | None:
        row = self.session.get(ProductRow, sku)
        return _product(row) if row else None

    def list(self) -> list[Product]:
        rows = self.session.exec(select(ProductRow).order_by(col(ProductRow.sku))).all()
        return [_product(r) for r in rows]

    def upsert(self, product: Product) -> bool:
        row = self.session.get(ProductRow, product.sku)
        if row is None:
            fields = {"sku": product.sku, **_product_fields(product)}
            self.session.add(ProductRow.model_validate(fields))
            return True
        return _apply(row, _product_fields(product))


def _party(row: PartyRow) -> Party:
    return Party(
        id=row.id, role=Role(row.role), name=row.name, phone=row.phone,
        telegram_user_id=row.telegram_user_id, distributor_id=row.distributor_id,
        routes=tuple(row.routes), region=row.region, lat=row.lat, lon=row.lon,
        outlet_class=row.outlet_class, channel=row.channel,
        credit_limit=Decimal(row.credit_limit) if row.credit_limit is not None else None,
        active=row.active,
    )


def _party_fields(p: Party) -> dict[str, object]:
    return {
        "role": p.role.value, "name": p.name, "phone": p.phone,
        "telegram_user_id": p.telegram_user_id, "distributor_id": p.distributor_id,
        "routes": list(p.routes), "region": p.region, "lat": p.lat, "lon": p.lon,
        "outlet_class": p.outlet_class, "channel": p.channel, "credit_limit": p.credit_limit,
        "active": p.active,
    }


class SqlPartyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, party_id: str) -> Party | None:
        row = self.session.get(PartyRow, party_id)
        return _party(row) if row else None

    def by_phone(self, phone: str) -> Party | None:
        row = self.session.exec(select(PartyRow).where(PartyRow.phone == phone)).first()
        return _party(row) if row else None

    def by_telegram_user(self, user_id: int) -> Party | None:
        row = self.session.exec(
            select(PartyRow).where(PartyRow.telegram_user_id == user_id)).first()
        return _party(row) if row else None

    def bind_telegram(self, party_id: str, user_id: int) -> None:
        for other in self.session.exec(
                select(PartyRow).where(PartyRow.telegram_user_id == user_id)).all():
            other.telegram_user_id = None
        self.session.flush()
        row = self.session.get(PartyRow, party_id)
        if row is not None:
            row.telegram_user_id = user_id

    def list(self, role: Role | None = None) -> list[Party]:
        query = select(PartyRow).order_by(col(PartyRow.id))
        if role is not None:
            query = query.where(PartyRow.role == role.value)
        return [_party(r) for r in self.session.exec(query).all()]

    def upsert(self, party: Party) -> bool:
        row = self.session.get(PartyRow, party.id)
        if row is None:
            self.session.add(PartyRow.model_validate({"id": party.id, **_party_fields(party)}))
            return True
        return _apply(row, _party_fields(party))


class SqlSchemeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scheme_id: str) -> Scheme | None:
        row = self.session.get(SchemeRow, scheme_id)
        return scheme_from_dict(row.body) if row else None

    def list(self) -> list[Scheme]:
        rows = self.session.exec(select(SchemeRow).order_by(col(SchemeRow.id))).all()
        return [scheme_from_dict(r.body) for r in rows]

    def upsert(self, scheme: Scheme) -> bool:
        fields: dict[str, object] = {
            "name": scheme.name, "active": scheme.active, "body": scheme_to_dict(scheme),
        }
        row = self.session.get(SchemeRow, scheme.id)
        if row is None:
            self.session.add(SchemeRow.model_validate({"id": scheme.id, **fields}))
            return True
        return _apply(row, fields)


def _order(row: OrderRow, lines: list[OrderLineRow]) -> Order:
    assert row.id is not None
    return Order(
        id=row.id, number=row.number, party_id=row.party_id, distributor_id=row.distributor_id,
        status=OrderStatus(row.status), channel=row.channel, draft_id=row.draft_id,
        gross=Decimal(row.gross), discount=Decimal(row.discount), net=Decimal(row.net),
        created_at=row.created_at, notes=list(row.notes),
        lines=[
            OrderLine(
                sku=ln.sku, name=ln.name, qty=Decimal(ln.qty).normalize(), unit=ln.unit,
                qty_base=ln.qty_base, unit_price=Decimal(ln.unit_price), gross=Decimal(ln.gross),
                discount=Decimal(ln.discount), net=Decimal(ln.net), free=ln.free,
                schemes=tuple(ln.schemes), reasons=tuple(ln.reasons),
            )
            for ln in sorted(lines, key=lambda ln: ln.position)
        ],
    )


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order: Order) -> Order:
        row = OrderRow(
            party_id=order.party_id, distributor_id=order.distributor_id,
            status=order.status.value, channel=order.channel, draft_id=order.draft_id,
            gross=order.gross, discount=order.discount, net=order.net,
            created_at=order.created_at, notes=list(order.notes),
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            # The draft_id unique constraint: a concurrent YES already placed this draft.
            raise Conflict(f"draft {order.draft_id} already placed") from exc
        assert row.id is not None
        row.number = Order.number_for(row.id)
        for position, line in enumerate(order.lines):
            self.session.add(
                OrderLineRow(
                    order_id=row.id, position=position, sku=line.sku, name=line.name,
                    qty=line.qty, unit=line.unit, qty_base=line.qty_base,
                    unit_price=line.unit_price, gross=line.gross, discount=line.discount,
                    net=line.net, free=line.free, schemes=list(line.schemes),
                    reasons=list(line.reasons),
                )
            )
        self.session.flush()
        order.id, order.number = row.id, row.number
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
        row = self.session.exec(select(OrderRow).where(OrderRow.draft_id == draft_id)).first()
        if row is None or row.id is None:
            return None
        return _order(row, self._lines([row.id])[row.id])

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

    def sku_counts(self, party_id: str) -> dict[str, int]:
        query = (
            select(OrderLineRow.sku, func.count(func.distinct(OrderLineRow.order_id)))
            .join(OrderRow, col(OrderRow.id) == col(OrderLineRow.order_id))
            .where(OrderRow.party_id == party_id, col(OrderLineRow.free).is_(False))
            .group_by(col(OrderLineRow.sku))
        )
        return dict(Counter({sku: int(n) for sku, n in self.session.exec(query).all()}))


class SqlInboundLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def reply_for(self, key: str) -> str | None:
        row = self.session.get(InboundMessageRow, key)
        return row.reply if row else None

    def record(self, key: str, party_id: str | None, reply: str) -> None:
        self.session.add(
            InboundMessageRow(key=key, party_id=party_id, received_at=datetime.now(UTC),
                              reply=reply)
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"message {key} already handled") from exc


class SqlTokenStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, role: str, token_hash: str) -> int:
        row = ApiTokenRow(role=role, token_hash=token_hash, created_at=datetime.now(UTC))
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def role_for(self, token_hash: str) -> str | None:
        row = self.session.exec(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash,
                                      col(ApiTokenRow.revoked_at).is_(None))
        ).first()
        return row.role if row else None

    def revoke(self, token_id: int) -> bool:
        row = self.session.get(ApiTokenRow, token_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = datetime.now(UTC)
        return True


class SqlMetaStore:
    KEY = "catalog_version"

    def __init__(self, session: Session) -> None:
        self.session = session

    def catalog_version(self) -> int:
        row = self.session.get(MetaRow, self.KEY)
        return int(row.value) if row else 0

    def bump_catalog_version(self) -> None:
        row = self.session.get(MetaRow, self.KEY, with_for_update=True)
        if row is None:
            self.session.add(MetaRow(key=self.KEY, value="1"))
        else:
            row.value = str(int(row.value) + 1)
