"""A small catalog and scheme builders shared by the pricing tests (no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.model.catalog import Product
from domain.model.scheme import Scheme, scheme_from_dict
from domain.pricing import Buyer, OrderLineInput, PricedOrder, SchemeIndex, price_order


def _product(
    sku: str, brand: str, category: str, base: str, packs: dict[str, int], price: str
) -> Product:
    return Product(
        sku=sku, name=sku.title(), brand=brand, category=category, base_unit=base,
        pack_units=packs, default_unit=next(iter(packs), base), price=Decimal(price),
    )


CATALOG: dict[str, Product] = {
    p.sku: p
    for p in (
        _product("COLA-750", "Cola", "Drinks", "bottle", {"case": 24}, "38.00"),
        _product("COLA-2L", "Cola", "Drinks", "bottle", {"case": 9}, "82.00"),
        _product("CHIPS-10", "Crispy", "Snacks", "packet", {"box": 12, "case": 72}, "8.60"),
        _product("CHIPS-20", "Crispy", "Snacks", "packet", {"box": 12, "case": 48}, "17.20"),
        _product("SOAP-100", "Glow", "Care", "piece", {"dozen": 12, "case": 72}, "30.50"),
        _product("CANDY-1", "Sweet", "Snacks", "piece", {"jar": 50}, "0.995"),
    )
}

NOV_15 = date(2026, 11, 15)
RETAILER = Buyer(on=NOV_15, role="retailer", region="north", party_id="R-1")


def scheme(**fields: Any) -> Scheme:
    """A valid discount scheme (5% on a case of COLA-750) with the given fields replaced."""
    data: dict[str, Any] = {
        "id": "S",
        "name": "a scheme",
        "kind": "discount",
        "scope": {"skus": ["COLA-750"]},
        "slabs": [{"min_qty": 1, "unit": "case", "percent": 5}],
    }
    data.update(fields)
    return scheme_from_dict(data)


def line(sku: str, qty: int | str, unit: str | None = None) -> OrderLineInput:
    return OrderLineInput(sku, Decimal(qty), unit)


def price(
    lines: list[OrderLineInput], schemes: list[Scheme], buyer: Buyer = RETAILER
) -> PricedOrder:
    return price_order(lines, CATALOG, SchemeIndex(schemes), buyer)
