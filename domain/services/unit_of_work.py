"""The ports of the service layer: repositories and the unit of work that commits them as one.

Each port has a SQL implementation (domain.adapters.sql_*) and an in-memory twin
(domain.adapters.memory) behind the same interface.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from domain.model.catalog import Product
from domain.model.order import Order, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import Scheme


class ProductRepository(Protocol):
    def get(self, sku: str) -> Product | None: ...
    def list(self) -> list[Product]: ...
    def upsert(self, product: Product) -> bool:
        """Insert or update; True when something changed."""
        ...


class PartyRepository(Protocol):
    def get(self, party_id: str) -> Party | None: ...
    def by_phone(self, phone: str) -> Party | None: ...
    def by_telegram_user(self, user_id: int) -> Party | None: ...
    def bind_telegram(self, party_id: str, user_id: int) -> None:
        """Binds a Telegram user to the party (unbinding it from any other party)."""
        ...
    def list(self, role: Role | None = None) -> list[Party]: ...
    def upsert(self, party: Party) -> bool: ...


class SchemeRepository(Protocol):
    def get(self, scheme_id: str) -> Scheme | None: ...
    def list(self) -> list[Scheme]: ...
    def upsert(self, scheme: Scheme) -> bool: ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> Order:
        """Stores the order and gives it its id and number."""
        ...

    def get(self, order_id: int) -> Order | None: ...
    def by_draft(self, draft_id: str) -> Order | None: ...
    def list(
        self,
        party_id: str | None = None,
        status: OrderStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Order], int]: ...
    def sku_counts(self, party_id: str) -> dict[str, int]:
        """How many orders of this party held each SKU: the parser's history."""
        ...


class InboundLog(Protocol):
    """Messages already handled, with the reply they got: the durable half of dedup."""

    def reply_for(self, key: str) -> str | None: ...
    def record(self, key: str, party_id: str | None, reply: str) -> None: ...


class TokenStore(Protocol):
    """Console tokens: only a hash is stored; the token itself is shown once, at creation."""

    def add(self, role: str, token_hash: str) -> int: ...
    def role_for(self, token_hash: str) -> str | None: ...
    def revoke(self, token_id: int) -> bool: ...


class MetaStore(Protocol):
    def catalog_version(self) -> int: ...
    def bump_catalog_version(self) -> None: ...


class UnitOfWork(Protocol):
    products: ProductRepository
    parties: PartyRepository
    schemes: SchemeRepository
    orders: OrderRepository
    inbound: InboundLog
    tokens: TokenStore
    meta: MetaStore

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
