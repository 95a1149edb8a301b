"""Repositories over SQLModel tables: rows in, plain dataclasses out."""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Collection
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
    Select,
    Table,
    bindparam,
    func,
    insert,
    literal,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from domain.adapters.tables import (
    AlertStateRow,
    ApiTokenRow,
    InboundMessageRow,
    LearnedAliasRow,
    LedgerEntryRow,
    MetaRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
    PartyRow,
    ProductRow,
    SchemeRow,
    StockLevelRow,
    StockMoveRow,
)
from domain.errors import Conflict
from domain.model.catalog import Product
from domain.model.learned_alias import LearnedAlias, promoted
from domain.model.ledger import EntryKind, LedgerEntry
from domain.model.notice import Notice
from domain.model.order import Order, OrderLine, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import Scheme, scheme_from_dict, scheme_to_dict
from domain.model.stock import StockLevel
from domain.services.unit_of_work import Opening


def _table(model: type[SQLModel]) -> Table:
    return model.metadata.tables[str(model.__tablename__)]


# What every chat message runs (dedup, identity, catalog version, history, the inbound record)
# and what a confirmed order adds, as Core statements built once. Building and hashing an ORM
# statement per call, then loading ORM objects, cost more than the round trip itself: about
# twice the CPU of these. Results become the same plain dataclasses as elsewhere.
_PARTIES, _INBOUND, _META = _table(PartyRow), _table(InboundMessageRow), _table(MetaRow)
_ORDERS, _LINES, _STOCK = _table(OrderRow), _table(OrderLineRow), _table(StockLevelRow)
_PARTY_BY_ID = sa_select(_PARTIES).where(_PARTIES.c.id == bindparam("b_id"))
_PARTY_BY_PHONE = sa_select(_PARTIES).where(_PARTIES.c.phone == bindparam("b_phone"))
_PARTIES_BY_ID = sa_select(_PARTIES).where(_PARTIES.c.id.in_(bindparam("b_ids", expanding=True)))
_REPLY_FOR = sa_select(_INBOUND.c.reply).where(_INBOUND.c.key == bindparam("b_key"))
_RECORD_INBOUND = insert(_INBOUND)
_META_VALUE = sa_select(_META.c.value).where(_META.c.key == bindparam("b_key"))
CATALOG_VERSION_KEY = "catalog_version"


def _opening(party_matches: ColumnElement[bool]) -> Select[Any]:
    """One row whatever matches: the stored reply and the catalog version as scalar
    subqueries, beside the sender's party columns (all NULL when no one has that phone)."""
    anchor = sa_select(literal(1).label("one")).subquery("anchor")
    stored = sa_select(_INBOUND.c.reply).where(_INBOUND.c.key == bindparam("b_message"))
    version = sa_select(_META.c.value).where(_META.c.key == CATALOG_VERSION_KEY)
    return (sa_select(stored.scalar_subquery().label("stored_reply"),
                      version.scalar_subquery().label("stored_catalog_version"), *_PARTIES.c)
            .select_from(anchor.outerjoin(_PARTIES, party_matches)).limit(1))


_OPENING_BY_PHONE = _opening(_PARTIES.c.phone == bindparam("b_phone"))
_OPENING_BY_ID = _opening(_PARTIES.c.id == bindparam("b_id"))
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
_INSERT_OUTBOX = insert(_table(OutboxRow))
_LEDGER = _table(LedgerEntryRow)
_BALANCE_BEFORE = sa_select(func.coalesce(func.sum(_LEDGER.c.debit - _LEDGER.c.credit), 0)).where(
    _LEDGER.c.party_id == bindparam("b_party"), _LEDGER.c.entry_date < bindparam("b_day"))
_ENTRIES_UNTIL = (sa_select(_LEDGER)
                  .where(_LEDGER.c.party_id == bindparam("b_party"),
                         _LEDGER.c.entry_date <= bindparam("b_end"))
                  .order_by(_LEDGER.c.entry_date, _LEDGER.c.id))
_ENTRIES_BETWEEN = _ENTRIES_UNTIL.where(_LEDGER.c.entry_date >= bindparam("b_start"))
_STOCK_LEVEL = sa_select(_STOCK.c.qty_base, _STOCK.c.reserved_base, _STOCK.c.last_moved_at).where(
    _STOCK.c.distributor_id == bindparam("b_distributor"), _STOCK.c.sku == bindparam("b_sku"))
_STOCK_LEVELS_OF = sa_select(
    _STOCK.c.sku, _STOCK.c.qty_base, _STOCK.c.reserved_base, _STOCK.c.last_moved_at).where(
    _STOCK.c.distributor_id == bindparam("b_distributor"),
    _STOCK.c.sku.in_(bindparam("b_skus", expanding=True)))


def _run(session: Session, statement: Executable, params: dict[str, Any]
         ) -> CursorResult[*tuple[Any, ...]]:
    """A Core statement in the unit of work's transaction. Unlike an ORM query it does not
    autoflush, so flush first (a no-op when nothing is pending): it sees this unit's writes."""
    session.flush()
    # On the session's connection, past the ORM's execute: these statements map no entities.
    return session.connection().execute(statement, params)


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


def _party(row: PartyRow | Any) -> Party:  # an ORM row, or a Core row with its columns
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
        row = _run(self.session, _PARTY_BY_ID, {"b_id": party_id}).first()
        return _party(row) if row else None

    def get_many(self, party_ids: Collection[str]) -> dict[str, Party]:
        if not party_ids:
            return {}
        rows = _run(self.session, _PARTIES_BY_ID, {"b_ids": sorted(set(party_ids))})
        return {row.id: _party(row) for row in rows}

    def by_phone(self, phone: str) -> Party | None:
        row = _run(self.session, _PARTY_BY_PHONE, {"b_phone": phone}).first()
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
            inserted = _run(self.session, _INSERT_ORDER, {
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
        _run(self.session, _NUMBER_ORDER, {"b_id": order_id, "b_number": number})
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
        # Asked before every order is placed, and nearly always answered "none".
        order_id = _run(self.session, _ORDER_BY_DRAFT, {"b_draft": draft_id}).scalar()
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
        rows = _run(self.session, _SKU_COUNTS, {"b_party": party_id}).all()
        return dict(Counter({str(sku): int(n) for sku, n in rows}))


class SqlInboundLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def reply_for(self, key: str) -> str | None:
        reply = _run(self.session, _REPLY_FOR, {"b_key": key}).scalar()
        return str(reply) if reply is not None else None

    def record(self, key: str, party_id: str | None, reply: str) -> None:
        try:
            _run(self.session, _RECORD_INBOUND, {"key": key, "party_id": party_id,
                                                 "received_at": datetime.now(UTC),
                                                 "reply": reply})
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


class SqlOpenings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, key: str, phone: str | None = None, party_id: str | None = None) -> Opening:
        if party_id is not None:
            row = _run(self.session, _OPENING_BY_ID, {"b_message": key, "b_id": party_id}).one()
        else:
            row = _run(self.session, _OPENING_BY_PHONE, {"b_message": key, "b_phone": phone}).one()
        version = row.stored_catalog_version
        return Opening(reply=str(row.stored_reply) if row.stored_reply is not None else None,
                       party=_party(row) if row.id is not None else None,
                       catalog_version=int(version) if version is not None else 0)


class SqlMetaStore:
    KEY = CATALOG_VERSION_KEY

    def __init__(self, session: Session) -> None:
        self.session = session

    def catalog_version(self) -> int:
        value = _run(self.session, _META_VALUE, {"b_key": self.KEY}).scalar()
        return int(value) if value is not None else 0

    def bump_catalog_version(self) -> None:
        row = self.session.get(MetaRow, self.KEY, with_for_update=True)
        if row is None:
            self.session.add(MetaRow(key=self.KEY, value="1"))
        else:
            row.value = str(int(row.value) + 1)


def _entry(row: LedgerEntryRow | Any) -> LedgerEntry:  # an ORM row, or a Core row
    return LedgerEntry(
        id=row.id, party_id=row.party_id, kind=EntryKind(row.kind), ref=row.ref,
        debit=Decimal(row.debit), credit=Decimal(row.credit), on=row.entry_date,
        created_at=row.created_at, narration=row.narration, client_id=row.client_id,
        reverses_id=row.reverses_id, order_id=row.order_id,
    )


class SqlLedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: LedgerEntry) -> LedgerEntry:
        row = LedgerEntryRow(
            party_id=entry.party_id, kind=entry.kind.value, ref=entry.ref, debit=entry.debit,
            credit=entry.credit, entry_date=entry.on, created_at=entry.created_at,
            narration=entry.narration, client_id=entry.client_id,
            reverses_id=entry.reverses_id, order_id=entry.order_id,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("this entry was recorded before") from exc
        return _entry(row)

    def get(self, entry_id: int) -> LedgerEntry | None:
        row = self.session.get(LedgerEntryRow, entry_id)
        return _entry(row) if row else None

    def by_client_id(self, client_id: str) -> LedgerEntry | None:
        row = self.session.exec(
            select(LedgerEntryRow).where(LedgerEntryRow.client_id == client_id)).first()
        return _entry(row) if row else None

    def for_order(self, order_id: int) -> list[LedgerEntry]:
        rows = self.session.exec(select(LedgerEntryRow).where(
            LedgerEntryRow.order_id == order_id).order_by(col(LedgerEntryRow.id))).all()
        return [_entry(r) for r in rows]

    # A statement in chat reads these three: built once, rows without ORM objects (above).
    def balance_before(self, party_id: str, day: date) -> Decimal:
        total = _run(self.session, _BALANCE_BEFORE, {"b_party": party_id, "b_day": day}).scalar()
        return Decimal(total or 0).quantize(Decimal("0.01"))

    def entries(self, party_id: str, start: date | None, end: date) -> list[LedgerEntry]:
        if start is None:
            rows = _run(self.session, _ENTRIES_UNTIL, {"b_party": party_id, "b_end": end})
        else:
            rows = _run(self.session, _ENTRIES_BETWEEN,
                        {"b_party": party_id, "b_end": end, "b_start": start})
        return [_entry(r) for r in rows.all()]


class SqlStockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, distributor_id: str, sku: str) -> StockLevelRow:
        row = self.session.get(StockLevelRow, (distributor_id, sku))
        if row is None:
            row = StockLevelRow(distributor_id=distributor_id, sku=sku)
            self.session.add(row)
            self.session.flush()
        return row

    def level(self, distributor_id: str, sku: str) -> StockLevel:
        row = _run(self.session, _STOCK_LEVEL,
                   {"b_distributor": distributor_id, "b_sku": sku}).first()
        if row is None:
            return StockLevel(distributor_id, sku)
        return StockLevel(distributor_id, sku, int(row.qty_base), int(row.reserved_base),
                          row.last_moved_at)

    def levels_of(self, distributor_id: str, skus: Collection[str]) -> dict[str, StockLevel]:
        found = {sku: StockLevel(distributor_id, sku) for sku in skus}
        if found:
            for row in _run(self.session, _STOCK_LEVELS_OF,
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
        if self.session.get(AlertStateRow, key) is not None:
            return False
        self.session.add(AlertStateRow(key=key, party_id=party_id, raised_at=at))
        try:
            self.session.flush()
        except IntegrityError:
            return False
        return True

    def clear(self, key: str) -> None:
        row = self.session.get(AlertStateRow, key)
        if row is not None:
            self.session.delete(row)


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notice: Notice) -> None:
        _run(self.session, _INSERT_OUTBOX, {"party_id": notice.party_id, "body": notice.to_json(),
                                            "created_at": datetime.now(UTC)})

    def pending(self, limit: int = 100) -> builtins.list[Notice]:
        query = (select(OutboxRow).where(col(OutboxRow.relayed_at).is_(None))
                 .order_by(col(OutboxRow.id)).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            # Several app processes relay at once: each takes rows the others have not.
            query = query.with_for_update(skip_locked=True)
        return [Notice.from_json(r.party_id, r.body, r.id) for r in self.session.exec(query)]

    def mark_relayed(self, ids: builtins.list[int], at: datetime) -> None:
        if ids:
            self.session.execute(update(OutboxRow).where(col(OutboxRow.id).in_(ids))
                                 .values(relayed_at=at))


def _alias(row: LearnedAliasRow) -> LearnedAlias:
    return LearnedAlias(phrase=row.phrase, sku=row.sku, sender_id=row.sender_id,
                        count=row.count, updated_at=row.updated_at)


class SqlAliasRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, phrase: str, sender: str | None) -> LearnedAliasRow | None:
        owner = (col(LearnedAliasRow.sender_id).is_(None) if sender is None
                 else col(LearnedAliasRow.sender_id) == sender)
        return self.session.exec(
            select(LearnedAliasRow).where(LearnedAliasRow.phrase == phrase, owner)).first()

    def lookup(self, phrase: str, sender: str | None) -> str | None:
        if sender is not None:
            own = self._row(phrase, sender)
            if own is not None:
                return own.sku
        shared = self._row(phrase, None)
        return shared.sku if shared else None

    def learn(self, phrase: str, sku: str, sender: str | None) -> None:
        now = datetime.now(UTC)
        if sender is not None:
            self._put(phrase, sender, sku, now, teach=True)
        agreeing = {
            taught: int(n) for taught, n in self.session.exec(
                select(LearnedAliasRow.sku, func.count())
                .where(LearnedAliasRow.phrase == phrase,
                       col(LearnedAliasRow.sender_id).is_not(None))
                .group_by(col(LearnedAliasRow.sku))).all()
        }
        shared = self._row(phrase, None)
        current = shared.sku if shared else None
        meaning = sku if sender is None else promoted(agreeing, current)
        if meaning is not None and (shared is None or shared.sku != meaning
                                    or shared.count != agreeing.get(meaning, 0)):
            self._put(phrase, None, meaning, now, teach=False, count=agreeing.get(meaning, 0))

    def _put(self, phrase: str, sender: str | None, sku: str, at: datetime, teach: bool,
             count: int = 1) -> None:
        row = self._row(phrase, sender)
        if row is None:
            self.session.add(LearnedAliasRow(phrase=phrase, sku=sku, sender_id=sender,
                                             count=count, updated_at=at))
        else:
            if teach:
                count = row.count + 1 if row.sku == sku else 1
            row.sku, row.count, row.updated_at = sku, count, at
        try:
            self.session.flush()
        except IntegrityError as exc:  # another worker learned the same phrase at once
            raise Conflict(f"phrase {phrase!r} was being learned concurrently") from exc

    def all(self, since: datetime | None = None) -> builtins.list[LearnedAlias]:
        query = select(LearnedAliasRow)
        if since is not None:
            query = query.where(col(LearnedAliasRow.updated_at) >= since)
        return [_alias(r) for r in self.session.exec(query.order_by(col(LearnedAliasRow.id)))]
