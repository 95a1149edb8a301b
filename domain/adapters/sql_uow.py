"""The SQL unit of work: one session, one transaction, committed whole or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.adapters.sql.catalog import (
    SqlAliasRepository,
    SqlMetaStore,
    SqlProductRepository,
    SqlSchemeRepository,
)
from domain.adapters.sql.ledger import SqlLedgerRepository
from domain.adapters.sql.messages import SqlInboundLog, SqlOpenings, SqlOutbox
from domain.adapters.sql.orders import SqlOrderRepository
from domain.adapters.sql.parties import SqlPartyRepository, SqlTokenStore
from domain.adapters.sql.stock import SqlAlertStore, SqlStockRepository
from domain.services.unit_of_work import (
    AlertStore,
    AliasRepository,
    InboundLog,
    LedgerRepository,
    MetaStore,
    Openings,
    OrderRepository,
    Outbox,
    PartyRepository,
    ProductRepository,
    SchemeRepository,
    StockRepository,
    TokenStore,
)


class SqlUnitOfWork:
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

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Self:
        self.session = Session(self.engine, expire_on_commit=False)
        self.products = SqlProductRepository(self.session)
        self.parties = SqlPartyRepository(self.session)
        self.schemes = SqlSchemeRepository(self.session)
        self.orders = SqlOrderRepository(self.session)
        self.ledger = SqlLedgerRepository(self.session)
        self.stock = SqlStockRepository(self.session)
        self.alerts = SqlAlertStore(self.session)
        self.outbox = SqlOutbox(self.session)
        self.inbound = SqlInboundLog(self.session)
        self.tokens = SqlTokenStore(self.session)
        self.aliases = SqlAliasRepository(self.session)
        self.meta = SqlMetaStore(self.session)
        self.openings = SqlOpenings(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed explicitly is rolled back: no half-written records.
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
