"""The ports of the service layer: repositories and the unit of work that commits them as one.

Each port has a SQL implementation (domain.adapters.sql and sql_uow) and an in-memory twin
(domain.adapters.memory) behind the same interface.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from domain.model.catalog import Product
from domain.model.learned_alias import LearnedAlias
from domain.model.ledger import LedgerEntry
from domain.model.notice import Notice
from domain.model.order import Order, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import Scheme
from domain.model.stock import StockLevel


class ProductRepository(Protocol):
    def get(self, sku: str) -> Product | None: ...
    def list(self) -> list[Product]: ...
    def upsert(self, product: Product) -> bool:
        """Insert or update; True when something changed."""
        ...


class PartyRepository(Protocol):
    def get(self, party_id: str) -> Party | None: ...
    def get_many(self, party_ids: Collection[str]) -> dict[str, Party]:
        """The parties that exist among these ids, in one read."""
        ...

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

    def for_distributor(self, distributor_id: str, statuses: tuple[OrderStatus, ...] = (),
                        limit: int = 20) -> builtins.list[Order]:
        """Secondary orders a distributor serves, newest first."""
        ...

    def move(self, order_id: int, from_statuses: tuple[OrderStatus, ...],
             to: OrderStatus, note: str | None, at: datetime) -> bool:
        """Moves the order only if it is in one of from_statuses; False if it was not.

        The check and the change are one statement, so two concurrent moves cannot both win.
        """
        ...


class LedgerRepository(Protocol):
    def add(self, entry: LedgerEntry) -> LedgerEntry:
        """Raises Conflict if the client_id (or the reversed entry) was used before."""
        ...

    def get(self, entry_id: int) -> LedgerEntry | None: ...
    def by_client_id(self, client_id: str) -> LedgerEntry | None: ...
    def for_order(self, order_id: int) -> list[LedgerEntry]: ...
    def balance_before(self, party_id: str, day: date) -> Decimal: ...
    def entries(self, party_id: str, start: date | None, end: date) -> list[LedgerEntry]:
        """Entries dated start..end inclusive (all up to end when start is None), in order."""
        ...

    def latest_debits(self, party_id: str, end: date, limit: int, offset: int = 0
                      ) -> list[LedgerEntry]:
        """Entries with a debit dated up to end, newest first (by date, then id), a page."""
        ...


class StockRepository(Protocol):
    def level(self, distributor_id: str, sku: str) -> StockLevel: ...
    def levels(self, distributor_id: str) -> list[StockLevel]: ...
    def levels_of(self, distributor_id: str, skus: Collection[str]) -> dict[str, StockLevel]:
        """The levels of these SKUs, in one read; a SKU never stocked is at zero."""
        ...

    def receive(self, distributor_id: str, sku: str, qty_base: int, reason: str, ref: str,
                at: datetime) -> None: ...
    def reserve(self, distributor_id: str, sku: str, qty_base: int) -> bool:
        """Reserves if on-hand minus reserved covers it; False (and nothing changed) if not."""
        ...

    def release(self, distributor_id: str, sku: str, qty_base: int) -> None: ...
    def issue(self, distributor_id: str, sku: str, qty_base: int, reason: str, ref: str,
              at: datetime, reserved: bool) -> bool:
        """Takes stock out (from the reservation when `reserved`); False if not enough."""
        ...

    def moved_out_since(self, distributor_id: str, since: datetime) -> dict[str, int]:
        """Base units dispatched per SKU since a time: the secondary sales."""
        ...


class Outbox(Protocol):
    """Notices written in the same transaction as the change that caused them."""

    def add(self, notice: Notice) -> None: ...
    def pending(self, limit: int = 100) -> builtins.list[Notice]:
        """Unrelayed notices, oldest first (claimed or not)."""
        ...

    def claim(self, now: datetime, lease_until: datetime, limit: int = 100
              ) -> builtins.list[Notice]:
        """Unrelayed notices no other relay holds, oldest first, held until `lease_until`
        once the unit commits: a relay that dies holding them frees them when it runs out."""
        ...

    def release(self, ids: builtins.list[int], lease_until: datetime) -> None:
        """Lets go of notices claimed with this lease and not relayed, for the next relay to
        take; one whose lease ran out and another relay claimed is that relay's."""
        ...

    def mark_relayed(self, ids: builtins.list[int], at: datetime) -> None: ...


class AlertStore(Protocol):
    def raised(self, party_id: str) -> set[str]: ...
    def raise_(self, key: str, party_id: str, at: datetime) -> bool:
        """True if newly raised (so announce it), False if it was already up."""
        ...

    def clear(self, key: str) -> None: ...


class InboundLog(Protocol):
    """Messages already handled, with the reply they got: the durable half of dedup."""

    def reply_for(self, key: str) -> str | None: ...
    def record(self, key: str, party_id: str | None, reply: str) -> None: ...


class TokenStore(Protocol):
    """Console tokens: only a hash is stored; the token itself is shown once, at creation."""

    def add(self, role: str, token_hash: str) -> int: ...
    def role_for(self, token_hash: str) -> str | None: ...
    def revoke(self, token_id: int) -> bool: ...


class AliasRepository(Protocol):
    """Learned phrases (domain.model.learned_alias); phrases arrive already keyed."""

    def lookup(self, phrase: str, sender: str | None) -> str | None:
        """The SKU this sender taught for the phrase, else the global one, else None."""
        ...

    def learn(self, phrase: str, sku: str, sender: str | None) -> None:
        """Remembers the sender's answer (None: for everyone at once); the phrase goes
        global once GLOBAL_AFTER_SENDERS distinct senders taught it the same SKU."""
        ...

    def all(self, since: datetime | None = None) -> builtins.list[LearnedAlias]:
        """Every row (or those changed at or after `since`), for loading the parser's book."""
        ...


class MetaStore(Protocol):
    def catalog_version(self) -> int: ...
    def bump_catalog_version(self) -> None: ...


@dataclass(frozen=True)
class Opening:
    """What a chat message reads before anything else."""

    reply: str | None  # the reply it got, if this very message was handled before
    party: Party | None  # who sent it, active or not; None: no one registered
    catalog_version: int
    supplier_name: str | None = None  # the name of the party's distributor, if it has one


class Openings(Protocol):
    def read(self, key: str, phone: str | None = None, party_id: str | None = None) -> Opening:
        """By the sender's phone, or by party id for channels that know it; in one round trip
        where the store allows (every message pays for this read)."""
        ...


class UnitOfWork(Protocol):
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
