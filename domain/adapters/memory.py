"""In-memory twins of the repositories and unit of work, for unit tests of the service layer.

Each unit of work works on a copy of the store and writes it back on commit, so a test sees
the same all-or-nothing behaviour as with SQL.
"""

from __future__ import annotations

import builtins
import copy
import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Generic, NamedTuple, Self, TypeVar

from domain.errors import Conflict
from domain.model.catalog import Product
from domain.model.learned_alias import LearnedAlias, promoted
from domain.model.ledger import EntryKind, LedgerEntry
from domain.model.notice import Notice
from domain.model.order import Order, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import Scheme
from domain.model.stock import StockLevel
from domain.services.unit_of_work import (
    AlertStore,
    AliasRepository,
    InboundLog,
    LedgerRepository,
    MetaStore,
    Opening,
    Openings,
    OrderRepository,
    Outbox,
    PartyRepository,
    ProductRepository,
    SchemeRepository,
    StockRepository,
    TokenStore,
)


@dataclass
class MemoryStore:
    products: dict[str, Product] = field(default_factory=dict)
    parties: dict[str, Party] = field(default_factory=dict)
    schemes: dict[str, Scheme] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    inbound: dict[str, str] = field(default_factory=dict)
    ledger: dict[int, LedgerEntry] = field(default_factory=dict)
    stock: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    moves: list[tuple[str, str, int, str, str, datetime]] = field(default_factory=list)
    alerts: dict[str, str] = field(default_factory=dict)
    outbox: dict[int, OutboxItem] = field(default_factory=dict)
    tokens: dict[int, tuple[str, str, bool]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    aliases: dict[tuple[str, str | None], LearnedAlias] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


K = TypeVar("K")
V = TypeVar("V")


class _Upserts(Generic[K, V]):
    def __init__(self, items: dict[K, V]) -> None:
        self.items = items

    def _put(self, key: K, value: V) -> bool:
        if self.items.get(key) == value:
            return False
        self.items[key] = value
        return True


class MemoryProductRepository(_Upserts[str, Product]):
    def get(self, sku: str) -> Product | None:
        return self.items.get(sku)

    def list(self) -> list[Product]:
        return [self.items[k] for k in sorted(self.items)]

    def upsert(self, product: Product) -> bool:
        return self._put(product.sku, product)


class MemoryPartyRepository(_Upserts[str, Party]):
    def get(self, party_id: str) -> Party | None:
        return self.items.get(party_id)

    def get_many(self, party_ids: Collection[str]) -> dict[str, Party]:
        return {i: self.items[i] for i in party_ids if i in self.items}

    def by_phone(self, phone: str) -> Party | None:
        return next((p for p in self.items.values() if p.phone == phone), None)

    def by_telegram_user(self, user_id: int) -> Party | None:
        return next((p for p in self.items.values() if p.telegram_user_id == user_id), None)

    def bind_telegram(self, party_id: str, user_id: int) -> None:
        for key, other in list(self.items.items()):
            if other.telegram_user_id == user_id:
                self.items[key] = replace(other, telegram_user_id=None)
        if party_id in self.items:
            self.items[party_id] = replace(self.items[party_id], telegram_user_id=user_id)

    def list(self, role: Role | None = None) -> list[Party]:
        return [p for k, p in sorted(self.items.items()) if role is None or p.role == role]

    def upsert(self, party: Party) -> bool:
        return self._put(party.id, party)


class MemorySchemeRepository(_Upserts[str, Scheme]):
    def get(self, scheme_id: str) -> Scheme | None:
        return self.items.get(scheme_id)

    def list(self) -> list[Scheme]:
        return [self.items[k] for k in sorted(self.items)]

    def upsert(self, scheme: Scheme) -> bool:
        return self._put(scheme.id, scheme)


class MemoryOrderRepository:
    def __init__(self, items: dict[int, Order]) -> None:
        self.items = items

    def add(self, order: Order) -> Order:
        if order.draft_id and self.by_draft(order.draft_id):
            raise Conflict(f"draft {order.draft_id} already placed")
        order_id = max(self.items, default=0) + 1
        stored = replace(order, id=order_id, number=Order.number_for(order_id))
        self.items[order_id] = stored
        order.id, order.number = stored.id, stored.number
        return stored

    def get(self, order_id: int) -> Order | None:
        return self.items.get(order_id)

    def by_draft(self, draft_id: str) -> Order | None:
        return next((o for o in self.items.values() if o.draft_id == draft_id), None)

    def list(
        self,
        party_id: str | None = None,
        status: OrderStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Order], int]:
        found = [
            o for _, o in sorted(self.items.items(), reverse=True)
            if (party_id is None or o.party_id == party_id)
            and (status is None or o.status == status)
        ]
        return found[offset : offset + limit], len(found)

    def for_distributor(self, distributor_id: str, statuses: tuple[OrderStatus, ...] = (),
                        limit: int = 20) -> builtins.list[Order]:
        found = [o for _, o in sorted(self.items.items(), reverse=True)
                 if o.distributor_id == distributor_id and o.kind == "secondary"
                 and (not statuses or o.status in statuses)]
        return found[:limit]

    def move(self, order_id: int, from_statuses: tuple[OrderStatus, ...],
             to: OrderStatus, note: str | None, at: datetime) -> bool:
        order = self.items.get(order_id)
        if order is None or order.status not in from_statuses:
            return False
        self.items[order_id] = replace(order, status=to, status_note=note)
        return True

    def sku_counts(self, party_id: str) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for order in self.items.values():
            if order.party_id == party_id:
                counts.update({line.sku for line in order.lines if not line.free})
        return dict(counts)


class MemoryLedgerRepository:
    def __init__(self, items: dict[int, LedgerEntry]) -> None:
        self.items = items

    def add(self, entry: LedgerEntry) -> LedgerEntry:
        for other in self.items.values():
            if (entry.client_id and other.client_id == entry.client_id) or (
                    entry.reverses_id and other.reverses_id == entry.reverses_id):
                raise Conflict("this entry was recorded before")
        stored = replace(entry, id=max(self.items, default=0) + 1)
        assert stored.id is not None
        self.items[stored.id] = stored
        return stored

    def get(self, entry_id: int) -> LedgerEntry | None:
        return self.items.get(entry_id)

    def by_client_id(self, client_id: str) -> LedgerEntry | None:
        return next((e for e in self.items.values() if e.client_id == client_id), None)

    def for_order(self, order_id: int) -> builtins.list[LedgerEntry]:
        return [e for _, e in sorted(self.items.items()) if e.order_id == order_id]

    def balance_before(self, party_id: str, day: date) -> Decimal:
        return sum((e.amount for e in self.items.values()
                    if e.party_id == party_id and e.on < day), Decimal("0.00"))

    def entries(self, party_id: str, start: date | None, end: date) -> builtins.list[LedgerEntry]:
        found = [e for e in self.items.values() if e.party_id == party_id and e.on <= end
                 and (start is None or e.on >= start)]
        return sorted(found, key=lambda e: (e.on, e.id or 0))

    def latest_debits(self, party_id: str, end: date, limit: int, offset: int = 0
                      ) -> builtins.list[LedgerEntry]:
        entries = self.entries(party_id, None, end)
        reversed_ids = {e.reverses_id for e in entries if e.reverses_id is not None}
        found = [e for e in entries if e.debit > 0 and e.kind != EntryKind.REVERSAL
                 and e.id not in reversed_ids]
        return found[::-1][offset:offset + limit]


class MemoryStockRepository:
    def __init__(self, items: dict[tuple[str, str], StockLevel],
                 moves: builtins.list[tuple[str, str, int, str, str, datetime]]) -> None:
        self.items, self.moves = items, moves

    def level(self, distributor_id: str, sku: str) -> StockLevel:
        return self.items.get((distributor_id, sku), StockLevel(distributor_id, sku))

    def levels(self, distributor_id: str) -> builtins.list[StockLevel]:
        return [v for (d, _), v in sorted(self.items.items()) if d == distributor_id]

    def levels_of(self, distributor_id: str, skus: Collection[str]) -> dict[str, StockLevel]:
        return {sku: self.level(distributor_id, sku) for sku in skus}

    def receive(self, distributor_id: str, sku: str, qty_base: int, reason: str, ref: str,
                at: datetime) -> None:
        level = self.level(distributor_id, sku)
        self.items[(distributor_id, sku)] = replace(level, on_hand=level.on_hand + qty_base,
                                                    last_moved_at=at)
        self.moves.append((distributor_id, sku, qty_base, reason, ref, at))

    def reserve(self, distributor_id: str, sku: str, qty_base: int) -> bool:
        level = self.level(distributor_id, sku)
        if level.available < qty_base:
            return False
        self.items[(distributor_id, sku)] = replace(level, reserved=level.reserved + qty_base)
        return True

    def release(self, distributor_id: str, sku: str, qty_base: int) -> None:
        level = self.level(distributor_id, sku)
        self.items[(distributor_id, sku)] = replace(
            level, reserved=max(level.reserved - qty_base, 0))

    def issue(self, distributor_id: str, sku: str, qty_base: int, reason: str, ref: str,
              at: datetime, reserved: bool) -> bool:
        level = self.level(distributor_id, sku)
        if (level.on_hand if reserved else level.available) < qty_base:
            return False
        self.items[(distributor_id, sku)] = replace(
            level, on_hand=level.on_hand - qty_base, last_moved_at=at,
            reserved=level.reserved - qty_base if reserved else level.reserved)
        self.moves.append((distributor_id, sku, -qty_base, reason, ref, at))
        return True

    def moved_out_since(self, distributor_id: str, since: datetime) -> dict[str, int]:
        out: Counter[str] = Counter()
        for dist, sku, qty, reason, _, at in self.moves:
            if dist == distributor_id and reason == "dispatch" and at >= since:
                out[sku] -= qty
        return dict(out)


class MemoryAlertStore:
    def __init__(self, items: dict[str, str]) -> None:
        self.items = items  # key -> party id

    def raised(self, party_id: str) -> set[str]:
        return {k for k, p in self.items.items() if p == party_id}

    def raise_(self, key: str, party_id: str, at: datetime) -> bool:
        if key in self.items:
            return False
        self.items[key] = party_id
        return True

    def clear(self, key: str) -> None:
        self.items.pop(key, None)


class OutboxItem(NamedTuple):
    notice: Notice
    relayed: bool = False
    claimed_until: datetime | None = None


class MemoryOutbox:
    def __init__(self, items: dict[int, OutboxItem]) -> None:
        self.items = items

    def add(self, notice: Notice) -> None:
        notice_id = max(self.items, default=0) + 1
        self.items[notice_id] = OutboxItem(replace(notice, id=notice_id))

    def pending(self, limit: int = 100) -> builtins.list[Notice]:
        return [item.notice for _, item in sorted(self.items.items())
                if not item.relayed][:limit]

    def claim(self, now: datetime, lease_until: datetime, limit: int = 100
              ) -> builtins.list[Notice]:
        free = [(i, item) for i, item in sorted(self.items.items()) if not item.relayed
                and (item.claimed_until is None or item.claimed_until < now)][:limit]
        for notice_id, item in free:
            self.items[notice_id] = item._replace(claimed_until=lease_until)
        return [item.notice for _, item in free]

    def release(self, ids: builtins.list[int], lease_until: datetime) -> None:
        for notice_id in ids:
            item = self.items[notice_id]
            if not item.relayed and item.claimed_until == lease_until:
                self.items[notice_id] = item._replace(claimed_until=None)

    def mark_relayed(self, ids: builtins.list[int], at: datetime) -> None:
        for notice_id in ids:
            self.items[notice_id] = self.items[notice_id]._replace(relayed=True)


class MemoryInboundLog:
    def __init__(self, items: dict[str, str]) -> None:
        self.items = items

    def reply_for(self, key: str) -> str | None:
        return self.items.get(key)

    def record(self, key: str, party_id: str | None, reply: str) -> None:
        if key in self.items:
            raise Conflict(f"message {key} already handled")
        self.items[key] = reply


class MemoryTokenStore:
    def __init__(self, items: dict[int, tuple[str, str, bool]]) -> None:
        self.items = items  # id -> (role, hash, revoked)

    def add(self, role: str, token_hash: str) -> int:
        token_id = max(self.items, default=0) + 1
        self.items[token_id] = (role, token_hash, False)
        return token_id

    def role_for(self, token_hash: str) -> str | None:
        return next((role for role, h, revoked in self.items.values()
                     if h == token_hash and not revoked), None)

    def revoke(self, token_id: int) -> bool:
        found = self.items.get(token_id)
        if found is None or found[2]:
            return False
        self.items[token_id] = (found[0], found[1], True)
        return True


class MemoryMetaStore:
    def __init__(self, items: dict[str, str]) -> None:
        self.items = items

    def catalog_version(self) -> int:
        return int(self.items.get("catalog_version", "0"))

    def bump_catalog_version(self) -> None:
        self.items["catalog_version"] = str(self.catalog_version() + 1)


class MemoryAliasRepository:
    def __init__(self, items: dict[tuple[str, str | None], LearnedAlias]) -> None:
        self.items = items  # (phrase, sender or None) -> row

    def lookup(self, phrase: str, sender: str | None) -> str | None:
        found = self.items.get((phrase, sender)) if sender is not None else None
        found = found or self.items.get((phrase, None))
        return found.sku if found else None

    def learn(self, phrase: str, sku: str, sender: str | None) -> None:
        now = datetime.now(UTC)
        if sender is not None:
            own = self.items.get((phrase, sender))
            count = own.count + 1 if own is not None and own.sku == sku else 1
            self.items[(phrase, sender)] = LearnedAlias(phrase, sku, sender, count, now)
        agreeing = Counter(row.sku for (key, who), row in self.items.items()
                           if key == phrase and who is not None)
        shared = self.items.get((phrase, None))
        meaning = sku if sender is None else promoted(agreeing, shared.sku if shared else None)
        if meaning is not None and (shared is None or shared.sku != meaning
                                    or shared.count != agreeing[meaning]):
            self.items[(phrase, None)] = LearnedAlias(phrase, meaning, None, agreeing[meaning],
                                                      now)

    def all(self, since: datetime | None = None) -> builtins.list[LearnedAlias]:
        return [row for row in self.items.values() if since is None or row.updated_at >= since]


class MemoryOpenings:
    def __init__(self, inbound: InboundLog, parties: PartyRepository, meta: MetaStore) -> None:
        self.inbound, self.parties, self.meta = inbound, parties, meta

    def read(self, key: str, phone: str | None = None, party_id: str | None = None) -> Opening:
        party = (self.parties.get(party_id) if party_id is not None
                 else self.parties.by_phone(phone) if phone is not None else None)
        supplier = (self.parties.get(party.distributor_id)
                    if party is not None and party.distributor_id else None)
        return Opening(self.inbound.reply_for(key), party, self.meta.catalog_version(),
                       supplier.name if supplier is not None else None)


TABLES = ("products", "parties", "schemes", "orders", "inbound", "tokens", "meta", "ledger",
          "stock", "moves", "alerts", "outbox", "aliases")


class MemoryUnitOfWork:
    openings: Openings
    products: ProductRepository
    parties: PartyRepository
    schemes: SchemeRepository
    orders: OrderRepository
    ledger: LedgerRepository
    stock: StockRepository
    alerts: AlertStore
    outbox: Outbox
    inbound: InboundLog
    tokens: TokenStore
    aliases: AliasRepository
    meta: MetaStore

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()

    def __enter__(self) -> Self:
        self._load()
        return self

    def _load(self) -> None:
        with self.store.lock:
            self._work = {
                name: copy.copy(getattr(self.store, name))
                for name in TABLES
            }
        self.products = MemoryProductRepository(self._work["products"])
        self.parties = MemoryPartyRepository(self._work["parties"])
        self.schemes = MemorySchemeRepository(self._work["schemes"])
        self.orders = MemoryOrderRepository(self._work["orders"])
        self.inbound = MemoryInboundLog(self._work["inbound"])
        self.tokens = MemoryTokenStore(self._work["tokens"])
        self.ledger = MemoryLedgerRepository(self._work["ledger"])
        self.stock = MemoryStockRepository(self._work["stock"], self._work["moves"])
        self.alerts = MemoryAlertStore(self._work["alerts"])
        self.outbox = MemoryOutbox(self._work["outbox"])
        self.aliases = MemoryAliasRepository(self._work["aliases"])
        self.meta = MemoryMetaStore(self._work["meta"])
        self.openings = MemoryOpenings(self.inbound, self.parties, self.meta)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        with self.store.lock:
            for name, items in self._work.items():
                setattr(self.store, name, copy.copy(items))

    def rollback(self) -> None:
        self._load()
