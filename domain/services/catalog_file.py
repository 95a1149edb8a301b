"""Catalog CSV (spec/nlu-eval.md) -> products, with every bad row named."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from domain.errors import ImportFailed, RowError
from domain.model.catalog import Product
from domain.model.field_limits import (
    BRAND_LENGTH,
    CATEGORY_LENGTH,
    ID_LENGTH,
    MONEY,
    PACK_SIZE_MAX,
    PRODUCT_NAME_LENGTH,
    UNIT_LENGTH,
)
from domain.services.csv_rows import check_text, csv_rows

CATALOG_COLUMNS = (
    "sku", "name", "brand", "category", "base_unit", "pack_units",
    "default_unit", "price", "mrp", "aliases",
)
REQUIRED = ("sku", "name", "brand", "category", "base_unit", "price")
# Free-text columns as stored: the longest each may be. None: a JSON list, no limit; pack unit
# names are JSON too, but an order line stores the unit it was bought in.
TEXT_LENGTHS: dict[str, int | None] = {
    "sku": ID_LENGTH, "name": PRODUCT_NAME_LENGTH, "brand": BRAND_LENGTH,
    "category": CATEGORY_LENGTH, "base_unit": UNIT_LENGTH, "default_unit": UNIT_LENGTH,
    "pack_units": UNIT_LENGTH, "aliases": None,
}
# ASCII digits only, and few of them: str.isdigit() takes "²", which int() then refuses.
PACK_COUNT = re.compile(r"[0-9]{1,9}")


def _money(raw: str, column: str, line: int, errors: list[RowError]) -> Decimal:
    try:
        value = Decimal(raw.strip() or "0")
    except InvalidOperation:
        errors.append(RowError(line, column, f"not a number: {raw!r}"))
        return Decimal("0")
    if not value.is_finite() or value < 0:
        errors.append(RowError(line, column, f"must be zero or more: {raw!r}"))
    elif (reason := MONEY.problem(value)) is not None:
        errors.append(RowError(line, column, f"{reason}: {raw!r}"))
    return value


def _pack_units(raw: str, line: int, errors: list[RowError]) -> dict[str, int]:
    units: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        name, eq, count = part.partition("=")
        if not eq or not name.strip() or not PACK_COUNT.fullmatch(count.strip()) or int(count) < 1:
            errors.append(RowError(line, "pack_units", f"expected name=count, got {part!r}"))
            continue
        unit = name.strip().lower()
        check_text(line, "pack_units", unit, TEXT_LENGTHS["pack_units"], errors)
        if int(count) > PACK_SIZE_MAX:
            errors.append(RowError(line, "pack_units", f"a pack holds at most {PACK_SIZE_MAX:,} "
                                                       f"base units, got {part!r}"))
            continue
        units[unit] = int(count)
    return units


def parse_catalog_csv(text: str) -> list[Product]:
    """All rows or none: raises ImportFailed listing every bad row."""
    products: list[Product] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, row, row_errors in csv_rows(text, REQUIRED):
        sku = row.get("sku", "")
        if sku and sku in seen:
            row_errors.append(RowError(line, "sku", f"duplicate of line {seen[sku]}"))
        price = _money(row.get("price", ""), "price", line, row_errors)
        mrp = _money(row.get("mrp", ""), "mrp", line, row_errors)
        base_unit = row.get("base_unit", "").lower()
        packs = _pack_units(row.get("pack_units", ""), line, row_errors)
        default_unit = (row.get("default_unit") or base_unit).lower()
        if base_unit and default_unit not in {base_unit, *packs}:
            row_errors.append(
                RowError(line, "default_unit", f"{default_unit!r} is neither base nor pack unit")
            )
        aliases = tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip())
        # Checked as stored: lower-casing can lengthen a unit's name. An empty default_unit is
        # the base unit, named under base_unit.
        stored = {"sku": sku, "name": row.get("name", ""), "brand": row.get("brand", ""),
                  "category": row.get("category", ""), "base_unit": base_unit,
                  "default_unit": default_unit if row.get("default_unit") else "",
                  "aliases": "|".join(aliases)}
        for column, value in stored.items():
            check_text(line, column, value, TEXT_LENGTHS[column], row_errors)
        errors.extend(row_errors)
        if row_errors:
            continue
        seen[sku] = line
        products.append(
            Product(
                sku=sku, name=row["name"], brand=row["brand"], category=row["category"],
                base_unit=base_unit, pack_units=packs, default_unit=default_unit,
                price=price, mrp=mrp, aliases=aliases,
            )
        )
    if errors:
        raise ImportFailed(errors)
    return products


def load_catalog_csv(path: Path) -> list[Product]:
    return parse_catalog_csv(path.read_text(encoding="utf-8"))
