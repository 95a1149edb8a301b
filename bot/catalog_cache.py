"""The loaded catalog, schemes and parser, rebuilt only when an import changes the catalog.

Every worker checks one small version counter per message instead of reloading products.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nlu.parser import Parser

from domain.model.catalog import Product
from domain.model.scheme import Scheme
from domain.pricing import SchemeIndex
from domain.services.unit_of_work import UnitOfWork

ParserFactory = Callable[[Sequence[Product]], Parser]


@dataclass(frozen=True)
class CatalogSnapshot:
    version: int
    products: dict[str, Product]
    schemes: tuple[Scheme, ...]
    scheme_index: SchemeIndex
    parser: Parser


class CatalogCache:
    def __init__(self, make_parser: ParserFactory) -> None:
        self.make_parser = make_parser
        self._snapshot: CatalogSnapshot | None = None
        self._lock = threading.Lock()

    def current(self, uow: UnitOfWork) -> CatalogSnapshot:
        """Call inside an open unit of work."""
        version = uow.meta.catalog_version()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                products = [p for p in uow.products.list() if p.active]
                schemes = tuple(uow.schemes.list())
                self._snapshot = CatalogSnapshot(
                    version=version,
                    products={p.sku: p for p in products},
                    schemes=schemes,
                    scheme_index=SchemeIndex(schemes),
                    parser=self.make_parser(products),
                )
            return self._snapshot
