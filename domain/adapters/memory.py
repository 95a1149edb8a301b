"""In-memory twins of the repositories and unit of work, for unit tests of the service layer.

Each unit of work works on a copy of the store and writes it back on commit, so a test sees
the same all-or-nothing behaviour as with SQL.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Generic, Self, TypeVar

from domain.errors import Conflict
from domain.model.catalog import Product
from domain.model.order import Order, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import Scheme
from domain.services.unit_of_work import (
    InboundLog,
    MetaStore,
    OrderRepository,
    PartyRepository,
    ProductRepository,
    SchemeRepository,
    TokenStore,
)


@dataclass
class MemoryStore:
    products: dict[str, Product] = field(default_factory=dict)
    parties: dict[str, Party] = field(default_factory=dict)
    schemes: dict[str, Scheme] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    inbound: dict[str, str] = field(default_factory=dict)
    tokens: dict[int, tuple[str, str, bool]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
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

    def sku_counts(self, party_id: str) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for order in self.items.values():
            if order.party_id == party_id:
                counts.update({line.sku for line in order.lines if not line.free})
        return dict(counts)


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


TABLES = ("products", "parties", "schemes", "orders", "inbound", "tokens", "meta")


class MemoryUnitOfWork:
    products: ProductRepository
    parties: PartyRepository
    schemes: SchemeRepository
    orders: OrderRepository
    inbound: InboundLog
    tokens: TokenStore
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
        self.meta = MemoryMetaStore(self._work["meta"])

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
