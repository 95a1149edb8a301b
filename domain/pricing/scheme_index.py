"""Schemes filed by what they look at, so pricing an order touches only the schemes on its SKUs.

A scheme is filed under each SKU, brand and category of its scope; one with an empty scope goes
in a separate bucket that every line sees. The cost of pricing then follows the schemes touching
the ordered SKUs, not the number of schemes on file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from domain.errors import InvalidInput
from domain.model.catalog import Product
from domain.model.scheme import Scheme, Slab
from domain.pricing.priced_order import Buyer, SchemeReason

# The measures key of value slabs (no unit can be named this).
VALUE = "\0value"


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
    # The scheme's fields that pricing reads on every line, one attribute away instead of two.
    id: str
    name: str
    priority: int
    pooled: bool
    stackable: bool
    cumulative: bool
    stack_order: tuple[int, str]  # stackables apply by priority (highest first), then id
    # Per slab: what its threshold is measured in (the slab's unit, or VALUE), and its percent
    # as a rate (None for other benefits), so no order divides by 100 again.
    measured_in: tuple[str | None, ...]
    rates: tuple[Decimal | None, ...]
    proper_rates: tuple[bool, ...]  # per slab: is the rate in (0, 1]
    top: int  # the last slab
    # Whether the top slab, once reached, still has a next step to nudge towards: a recursive
    # free-goods slab pays again at every full multiple.
    nudges_past_top: bool
    # What pricing already wrote about this scheme; it repeats across lines and orders.
    # applied_notes: per slab, per base unit, the note of a line it applied to.
    applied_notes: tuple[dict[str, str], ...] = field(compare=False, repr=False)
    notes: dict[tuple[object, ...], str] = field(default_factory=dict, compare=False, repr=False)
    reasons: dict[tuple[object, ...], SchemeReason] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, scheme: Scheme) -> IndexedScheme:
        audience = scheme.audience
        thresholds = tuple(_threshold(slab) for slab in scheme.slabs)
        # Exact: dividing by 100 only moves the decimal point.
        rates = tuple(None if slab.percent is None else slab.percent / 100 for slab in scheme.slabs)
        return cls(
            scheme=scheme,
            thresholds=thresholds,
            roles=frozenset(_key(r) for r in audience.roles),
            regions=frozenset(_key(r) for r in audience.regions),
            parties=frozenset(audience.parties),
            id=scheme.id,
            name=scheme.name,
            priority=scheme.priority,
            pooled=scheme.pooled,
            stackable=scheme.stackable,
            cumulative=scheme.cumulative,
            stack_order=(-scheme.priority, scheme.id),
            measured_in=tuple(
                VALUE if slab.min_value is not None else slab.unit for slab in scheme.slabs
            ),
            rates=rates,
            proper_rates=tuple(rate is not None and 0 < rate <= 1 for rate in rates),
            top=len(scheme.slabs) - 1,
            applied_notes=tuple({} for _ in scheme.slabs),
            nudges_past_top=scheme.kind == "free_goods"
            and scheme.slab_is_recursive(scheme.slabs[-1])
            and thresholds[-1] > 0,
        )

    def refusal(self, buyer: Buyer) -> str | None:
        """Why this buyer cannot have the scheme at all today: a reason code, or None."""
        region = buyer.region
        return self._refusal(
            buyer.on, _key(buyer.role), None if region is None else _key(region), buyer.party_id
        )

    def _refusal(self, on: date, role: str, region: str | None, party_id: str | None) -> str | None:
        """refusal(), for a buyer whose role and region are already keys (see _key)."""
        scheme = self.scheme
        if not scheme.active:
            return "inactive"
        start, end = scheme.valid_from, scheme.valid_to  # Scheme.is_valid_on, inlined
        if (start is not None and on < start) or (end is not None and on > end):
            return "dates"
        if self.roles and role not in self.roles:
            return "audience"
        if self.regions and (region is None or region not in self.regions):
            return "audience"
        if self.parties and party_id not in self.parties:
            return "audience"
        return None


def refusals(entries: Iterable[IndexedScheme], buyer: Buyer) -> dict[str, str | None]:
    """IndexedScheme.refusal for many schemes, keying the buyer's role and region once."""
    region = buyer.region
    role_key, region_key = _key(buyer.role), None if region is None else _key(region)
    on, party_id = buyer.on, buyer.party_id
    return {entry.id: entry._refusal(on, role_key, region_key, party_id) for entry in entries}


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


@dataclass(frozen=True, slots=True)
class ProductSchemes:
    """One product as pricing sees it, looked up once per product, not once per order line."""

    product: Product
    sizes: dict[str, int]  # product.units: every unit it is sold in -> base units
    schemes: tuple[IndexedScheme, ...]  # every scheme whose scope covers it, in filing order
    # (priority, id) of those that compete to be a line's one winner: not stackable, not
    # cumulative; the buyer's refusals are taken out per order.
    rivals: tuple[tuple[int, str], ...]
    rival_ids: tuple[str, ...]


class SchemeIndex:
    """Built once from the schemes on file and reused for many orders."""

    def __init__(self, schemes: Iterable[Scheme]) -> None:
        self._by_id: dict[str, IndexedScheme] = {}
        self._by_sku: dict[str, list[IndexedScheme]] = {}
        self._by_brand: dict[str, list[IndexedScheme]] = {}
        self._by_category: dict[str, list[IndexedScheme]] = {}
        self._everywhere: list[IndexedScheme] = []
        # Per SKU, for the product object it was looked up with: a changed product (a new
        # catalog, a re-branded SKU) is looked up again.
        self._cache: dict[str, ProductSchemes] = {}
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
        return self.for_product(product).schemes

    def for_product(self, product: Product) -> ProductSchemes:
        cached = self._cache.get(product.sku)
        if cached is not None and cached.product is product:
            return cached
        if (
            cached is not None
            and cached.product.brand == product.brand
            and cached.product.category == product.category
        ):
            schemes = cached.schemes  # same scope, another copy of the product
        else:
            merged: dict[str, IndexedScheme] = {}
            for bucket in (
                self._by_sku.get(product.sku, ()),
                self._by_brand.get(_key(product.brand), ()),
                self._by_category.get(_key(product.category), ()),
                self._everywhere,
            ):
                for entry in bucket:
                    merged.setdefault(entry.id, entry)
            schemes = tuple(merged.values())
        rivals = tuple(
            (entry.priority, entry.id)
            for entry in schemes
            if not entry.stackable and not entry.cumulative
        )
        found = ProductSchemes(
            product, product.units, schemes, rivals, tuple(sid for _, sid in rivals)
        )
        self._cache[product.sku] = found
        return found
