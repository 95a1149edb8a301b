"""Schemes filed by what they look at, so pricing an order touches only the schemes on its SKUs.

A scheme is filed under each SKU, brand and category of its scope; one with an empty scope goes
in a separate bucket that every line sees. The cost of pricing then follows the schemes touching
the ordered SKUs, not the number of schemes on file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from domain.errors import InvalidInput
from domain.model.catalog import Product
from domain.model.scheme import Scheme, Slab
from domain.pricing.priced_order import Buyer, SchemeReason


def _key(name: str) -> str:
    # "Lay's" in a scheme file and "lay's" in the catalog are the same brand to a distributor.
    return name.casefold()


@dataclass(frozen=True, slots=True)
class IndexedScheme:
    """A scheme with what pricing needs precomputed once, not once per order."""

    scheme: Scheme
    # Slab minimums, exact: ints or fractions for qty slabs (ints compare fastest), Decimals
    # for value slabs.
    thresholds: tuple[int | Fraction | Decimal, ...]
    roles: frozenset[str]
    regions: frozenset[str]
    parties: frozenset[str]
    # What pricing already wrote about this scheme; it repeats across lines and orders.
    notes: dict[tuple[object, ...], str] = field(default_factory=dict, compare=False, repr=False)
    reasons: dict[tuple[object, ...], SchemeReason] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, scheme: Scheme) -> IndexedScheme:
        audience = scheme.audience
        return cls(
            scheme=scheme,
            thresholds=tuple(_threshold(slab) for slab in scheme.slabs),
            roles=frozenset(_key(r) for r in audience.roles),
            regions=frozenset(_key(r) for r in audience.regions),
            parties=frozenset(audience.parties),
        )

    def refusal(self, buyer: Buyer) -> str | None:
        """Why this buyer cannot have the scheme at all today: a reason code, or None."""
        scheme = self.scheme
        if not scheme.active:
            return "inactive"
        if not scheme.is_valid_on(buyer.on):
            return "dates"
        if self.roles and _key(buyer.role) not in self.roles:
            return "audience"
        if self.regions and (buyer.region is None or _key(buyer.region) not in self.regions):
            return "audience"
        if self.parties and buyer.party_id not in self.parties:
            return "audience"
        return None


def _threshold(slab: Slab) -> int | Fraction | Decimal:
    if slab.min_value is not None:
        return slab.min_value
    exact = Fraction(slab.minimum)
    return exact.numerator if exact.denominator == 1 else exact


def in_scope(scheme: Scheme, product: Product) -> bool:
    scope = scheme.scope
    if scope.is_everything or product.sku in scope.skus:
        return True
    brand, category = _key(product.brand), _key(product.category)
    return any(_key(b) == brand for b in scope.brands) or any(
        _key(c) == category for c in scope.categories
    )


class SchemeIndex:
    """Built once from the schemes on file and reused for many orders."""

    def __init__(self, schemes: Iterable[Scheme]) -> None:
        self._by_id: dict[str, IndexedScheme] = {}
        self._by_sku: dict[str, list[IndexedScheme]] = {}
        self._by_brand: dict[str, list[IndexedScheme]] = {}
        self._by_category: dict[str, list[IndexedScheme]] = {}
        self._everywhere: list[IndexedScheme] = []
        # Candidates per SKU, with the brand and category they were found under, so that a
        # re-branded SKU is looked up again.
        self._cache: dict[str, tuple[str, str, tuple[IndexedScheme, ...]]] = {}
        for scheme in schemes:
            if scheme.id in self._by_id:
                raise InvalidInput(f"scheme {scheme.id}: the id is used twice")
            entry = IndexedScheme.of(scheme)
            self._by_id[scheme.id] = entry
            scope = scheme.scope
            if scope.is_everything:
                self._everywhere.append(entry)
            for sku in scope.skus:
                self._by_sku.setdefault(sku, []).append(entry)
            for brand in scope.brands:
                self._by_brand.setdefault(_key(brand), []).append(entry)
            for category in scope.categories:
                self._by_category.setdefault(_key(category), []).append(entry)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Scheme]:
        return (entry.scheme for entry in self._by_id.values())

    def get(self, scheme_id: str) -> Scheme | None:
        entry = self._by_id.get(scheme_id)
        return None if entry is None else entry.scheme

    def candidates(self, product: Product) -> tuple[IndexedScheme, ...]:
        """Every scheme whose scope covers the product, each once, in filing order."""
        cached = self._cache.get(product.sku)
        if cached is not None and cached[0] == product.brand and cached[1] == product.category:
            return cached[2]
        merged: dict[str, IndexedScheme] = {}
        for bucket in (
            self._by_sku.get(product.sku, ()),
            self._by_brand.get(_key(product.brand), ()),
            self._by_category.get(_key(product.category), ()),
            self._everywhere,
        ):
            for entry in bucket:
                merged.setdefault(entry.scheme.id, entry)
        found = tuple(merged.values())
        self._cache[product.sku] = (product.brand, product.category, found)
        return found
