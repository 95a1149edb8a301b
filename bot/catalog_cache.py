"""The loaded catalog, schemes and parser, rebuilt only when an import changes the catalog.

Every worker checks one small version counter per message instead of reloading products.
Learned aliases ride along: read whole with each snapshot, then topped up in place when this
worker learns a phrase and, for what other workers learned, at most every ALIAS_RESYNC.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.model.catalog import Product
from domain.model.scheme import Scheme
from domain.pricing import SchemeIndex
from domain.services.unit_of_work import UnitOfWork
from nlu.aliases import AliasBook, LearnedAliasBook
from nlu.parser import Parser

ParserFactory = Callable[[Sequence[Product], AliasBook | None], Parser]

ALIAS_RESYNC = timedelta(seconds=30)
# rows other workers wrote just before our last read may carry a slightly earlier clock
_ALIAS_OVERLAP = timedelta(seconds=10)


@dataclass(frozen=True)
class CatalogSnapshot:
    version: int
    products: dict[str, Product]
    schemes: tuple[Scheme, ...]
    scheme_index: SchemeIndex
    parser: Parser


class CatalogCache:
    def __init__(self, make_parser: ParserFactory,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.make_parser = make_parser
        self.clock = clock
        self.aliases = LearnedAliasBook()
        self._aliases_read_at: datetime | None = None
        self._snapshot: CatalogSnapshot | None = None
        self._lock = threading.Lock()

    def current(self, uow: UnitOfWork, version: int | None = None) -> CatalogSnapshot:
        """Call inside an open unit of work; `version`, if the caller read it already."""
        if version is None:
            version = uow.meta.catalog_version()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            read_at = self._aliases_read_at
            if read_at is None or self.clock() - read_at >= ALIAS_RESYNC:
                self.refresh_aliases(uow)
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                products = [p for p in uow.products.list() if p.active]
                schemes = tuple(uow.schemes.list())
                read_at = self.clock()
                self.aliases = LearnedAliasBook(uow.aliases.all())
                self._aliases_read_at = read_at
                self._snapshot = CatalogSnapshot(
                    version=version,
                    products={p.sku: p for p in products},
                    schemes=schemes,
                    scheme_index=SchemeIndex(schemes),
                    parser=self.make_parser(products, self.aliases),
                )
            return self._snapshot

    def refresh_aliases(self, uow: UnitOfWork) -> None:
        """Tops the alias book up with rows changed since the last read (call inside an open
        unit of work, e.g. right after committing a learned phrase)."""
        read_at = self.clock()
        last = self._aliases_read_at
        self.aliases.apply(uow.aliases.all(since=last - _ALIAS_OVERLAP if last else None))
        self._aliases_read_at = max(last, read_at) if last else read_at
