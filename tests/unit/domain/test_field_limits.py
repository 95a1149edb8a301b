"""Values PostgreSQL would refuse (or round) are refused before anything is written, with the
same row error on every database: NUL characters, lone surrogates, text past its VARCHAR,
numbers past their NUMERIC precision or scale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.adapters.memory import MemoryUnitOfWork
from domain.errors import ImportFailed
from domain.model.catalog import Product
from domain.model.field_limits import MONEY, QUANTITY, text_problem
from domain.model.scheme import Scheme, scheme_from_dict, scheme_storage_problems
from domain.services.catalog_file import parse_catalog_csv
from domain.services.imports import import_catalog, import_parties, parse_schemes
from domain.services.party_file import parse_parties_csv

CATALOG_HEADER = "sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases\n"
GOOD_PRODUCT = "TU-750,Thums Up 750ml PET,Thums Up,Beverages,bottle,case=24,case,38.00,45.00,tu\n"
PARTIES_HEADER = ("id,role,name,phone,telegram_user_id,distributor_id,route,region,lat,lon,"
                  "outlet_class,channel,credit_limit\n")
DISTRIBUTOR = "D-001,distributor,Shree Ganesh,+919700000001,,,,north,26.9,75.8,,,100000\n"


def catalog_errors(row: str) -> set[tuple[int, str, str]]:
    with pytest.raises(ImportFailed) as failed:
        parse_catalog_csv(CATALOG_HEADER + GOOD_PRODUCT + row)
    return {(e.line, e.column, e.reason) for e in failed.value.errors}


def party_errors(row: str) -> set[tuple[int, str, str]]:
    with pytest.raises(ImportFailed) as failed:
        parse_parties_csv(PARTIES_HEADER + DISTRIBUTOR + row)
    return {(e.line, e.column, e.reason) for e in failed.value.errors}


def a_scheme(**overrides: object) -> Scheme:
    return scheme_from_dict({"id": "TU-5", "name": "Thums Up 5% off", "kind": "discount",
                             "scope": {"skus": ["TU-750"]},
                             "slabs": [{"min_qty": 10, "unit": "case", "percent": 5}],
                             **overrides})


# -- the rules -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["0", "0.00", "0E-10", "1.5", "1.50", "1.500", "1E+3",
                                   "999999999999.99", "-999999999999.99"])
def test_money_the_column_holds_exactly_is_accepted(value: str) -> None:
    assert MONEY.problem(Decimal(value)) is None


@pytest.mark.parametrize(("value", "reason"), [
    ("1000000000000", "must have at most 12 digits before the decimal point"),
    ("1E+12", "must have at most 12 digits before the decimal point"),
    ("999999999999.999", "must have at most 2 decimal places"),
    ("1.005", "must have at most 2 decimal places"),
    ("0.001", "must have at most 2 decimal places"),
    ("1E-5", "must have at most 2 decimal places"),
    ("1.00000000000000000000000000000001", "must have at most 2 decimal places"),
    ("NaN", "must be a finite number"),
    ("Infinity", "must be a finite number"),
])
def test_money_the_column_cannot_hold_exactly_is_refused(value: str, reason: str) -> None:
    assert MONEY.problem(Decimal(value)) == reason


def test_quantities_keep_three_places_and_eleven_whole_digits() -> None:
    assert QUANTITY.problem(Decimal("99999999999.999")) is None
    assert QUANTITY.problem(Decimal("100000000000")) is not None
    assert QUANTITY.problem(Decimal("0.0005")) == "must have at most 3 decimal places"
    # Only the size matters when the value is kept in JSON and rounded when priced.
    assert QUANTITY.size_problem(Decimal("0.0005")) is None


@pytest.mark.parametrize(("value", "limit", "reason"), [
    ("Sharma\x00Kirana", None, "must not contain a NUL character"),
    ("\x00", 200, "must not contain a NUL character"),
    ("Sharma \ud800", None, "must be valid Unicode text"),
    ("x" * 201, 200, "must be at most 200 characters (got 201)"),
])
def test_text_a_database_cannot_store_is_refused(value: str, limit: int | None,
                                                 reason: str) -> None:
    assert text_problem(value, limit) == reason


@pytest.mark.parametrize("value", ["", "शर्मा किराना स्टोर", "x" * 200, "tab\tand emoji 🙏"])
def test_ordinary_text_within_its_length_is_accepted(value: str) -> None:
    assert text_problem(value, 200) is None


# -- catalog file ----------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "column"), [
    ("X-1,Mag\x00gi,Nestle,Noodles,packet,,packet,12.00,14.00,\n", "name"),
    ("X-\x001,Maggi,Nestle,Noodles,packet,,packet,12.00,14.00,\n", "sku"),
    ("X-1,Maggi,Nes\x00tle,Noodles,packet,,packet,12.00,14.00,\n", "brand"),
    ("X-1,Maggi,Nestle,Nood\x00les,packet,,packet,12.00,14.00,\n", "category"),
    ("X-1,Maggi,Nestle,Noodles,packet,,packet,12.00,14.00,maggi|mag\x00gi\n", "aliases"),
    ("X-1,Maggi,Nestle,Noodles,packet,b\x00ox=12,packet,12.00,14.00,\n", "pack_units"),
])
def test_a_nul_in_a_catalog_cell_is_a_row_error(row: str, column: str) -> None:
    assert catalog_errors(row) == {(3, column, "must not contain a NUL character")}


@pytest.mark.parametrize(("cell", "reason"), [
    ("1234567890123", "must have at most 12 digits before the decimal point: '1234567890123'"),
    ("1e20", "must have at most 12 digits before the decimal point: '1e20'"),
    ("12.345", "must have at most 2 decimal places: '12.345'"),
])
def test_a_price_past_the_money_column_is_a_row_error(cell: str, reason: str) -> None:
    assert catalog_errors(f"X-1,Maggi,Nestle,Noodles,packet,,packet,{cell},14.00,\n") == {
        (3, "price", reason)}
    assert catalog_errors(f"X-1,Maggi,Nestle,Noodles,packet,,packet,12.00,{cell},\n") == {
        (3, "mrp", reason)}


def test_the_largest_price_the_column_holds_imports() -> None:
    (_, product) = parse_catalog_csv(
        CATALOG_HEADER + GOOD_PRODUCT
        + "X-1,Maggi,Nestle,Noodles,packet,,packet,999999999999.99,12.50,\n")
    assert product.price == Decimal("999999999999.99")


@pytest.mark.parametrize(("row", "column", "limit"), [
    ("S" * 65 + ",Maggi,Nestle,Noodles,packet,,packet,1,1,\n", "sku", 64),
    ("X-1," + "M" * 201 + ",Nestle,Noodles,packet,,packet,1,1,\n", "name", 200),
    ("X-1,Maggi," + "N" * 101 + ",Noodles,packet,,packet,1,1,\n", "brand", 100),
    ("X-1,Maggi,Nestle," + "C" * 101 + ",packet,,packet,1,1,\n", "category", 100),
    ("X-1,Maggi,Nestle,Noodles," + "p" * 31 + ",,,1,1,\n", "base_unit", 30),
    ("X-1,Maggi,Nestle,Noodles,packet," + "b" * 31 + "=12,packet,1,1,\n", "pack_units", 30),
])
def test_text_longer_than_its_column_is_a_row_error(row: str, column: str, limit: int) -> None:
    ((line, named, reason),) = catalog_errors(row)
    assert (line, named) == (3, column) and reason.startswith(f"must be at most {limit} ")


def test_a_unit_is_measured_as_stored_after_lower_casing() -> None:
    # "İ".lower() is two characters: 30 of them are 60 once stored.
    errors = catalog_errors("X-1,Maggi,Nestle,Noodles," + "İ" * 30 + ",,,1,1,\n")
    assert errors == {(3, "base_unit", "must be at most 30 characters (got 60)")}


def test_a_catalog_with_a_nul_or_an_overlong_price_imports_nothing() -> None:
    uow = MemoryUnitOfWork()
    bad = (CATALOG_HEADER + GOOD_PRODUCT
           + "X-1,Mag\x00gi,Nestle,Noodles,packet,,packet,12.00,14.00,\n"
           + "X-2,Atta,Aashirvaad,Staples,bag,,bag,99999999999999,1,\n")
    with pytest.raises(ImportFailed) as failed:
        import_catalog(uow, bad)
    assert [str(e) for e in failed.value.errors] == [
        "line 3, column name: must not contain a NUL character",
        "line 4, column price: must have at most 12 digits before the decimal point: "
        "'99999999999999'",
    ]
    with uow:
        assert uow.products.list() == []


# -- parties file ----------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "column"), [
    ("R-1,retailer,Sharma\x00,+919800000001,,D-001,NORTH-1,north,,,A,general_trade,\n", "name"),
    ("R-1,retailer,Sharma,+919800000001,,D-001,NORTH\x00,north,,,A,general_trade,\n", "route"),
    ("R-1,retailer,Sharma,+919800000001,,D-001,NORTH-1,nor\x00th,,,A,general_trade,\n",
     "region"),
    ("R-1,retailer,Sharma,+919800000001,,D-0\x0001,NORTH-1,north,,,A,general_trade,\n",
     "distributor_id"),
])
def test_a_nul_in_a_party_cell_is_a_row_error(row: str, column: str) -> None:
    assert party_errors(row) == {(3, column, "must not contain a NUL character")}


def test_a_nul_in_a_phone_or_id_fails_their_format() -> None:
    errors = party_errors("R-\x001,retailer,Sharma,+9198000\x0000001,,D-001,,,,,,,\n")
    assert {(line, column) for line, column, _ in errors} == {(3, "id"), (3, "phone")}


@pytest.mark.parametrize(("cell", "reason"), [
    ("10000000000000", "must have at most 12 digits before the decimal point"),
    ("50000.005", "must have at most 2 decimal places"),
])
def test_a_credit_limit_past_the_money_column_is_a_row_error(cell: str, reason: str) -> None:
    row = f"R-1,retailer,Sharma,+919800000001,,D-001,NORTH-1,north,,,A,general_trade,{cell}\n"
    assert party_errors(row) == {(3, "credit_limit", reason)}


def test_party_text_longer_than_its_column_is_a_row_error() -> None:
    row = ("R-1,retailer," + "S" * 201 + ",+919800000001,,D-001,NORTH-1," + "n" * 51
           + ",,,A,general_trade,\n")
    assert party_errors(row) == {(3, "name", "must be at most 200 characters (got 201)"),
                                 (3, "region", "must be at most 50 characters (got 51)")}


def test_a_parties_file_with_a_nul_imports_nothing() -> None:
    uow = MemoryUnitOfWork()
    bad = PARTIES_HEADER + DISTRIBUTOR + (
        "R-1,retailer,Sharma\x00,+919800000001,,D-001,NORTH-1,north,,,A,general_trade,\n")
    with pytest.raises(ImportFailed) as failed:
        import_parties(uow, bad)
    assert [str(e) for e in failed.value.errors] == [
        "line 3, column name: must not contain a NUL character"]
    with uow:
        assert uow.parties.list() == []


# -- schemes ---------------------------------------------------------------------------------

SCHEMES_THE_TABLES_CANNOT_HOLD = [
    ({"id": "TU\x005"}, ("id", "must not contain a NUL character")),
    ({"id": "T" * 65}, ("id", "must be at most 64 characters (got 65)")),
    ({"name": "Thums Up\x00"}, ("name", "must not contain a NUL character")),
    ({"name": "n" * 301}, ("name", "must be at most 300 characters (got 301)")),
    ({"name": "Thums Up \ud800"}, ("name", "must be valid Unicode text")),
    ({"scope": {"brands": ["Thums\x00Up"]}},
     ("scope.brands[0]", "must not contain a NUL character")),
    ({"audience": {"regions": ["north", "\x00"]}},
     ("audience.regions[1]", "must not contain a NUL character")),
    ({"slabs": [{"min_qty": 10, "unit": "ca\x00se", "percent": 5}]},
     ("slabs[0].unit", "must not contain a NUL character")),
    ({"slabs": [{"min_value": 1e13, "percent": 5}]},
     ("slabs[0].min_value", "must have at most 12 digits before the decimal point")),
    ({"slabs": [{"min_qty": 10, "amount_off": 10**12}]},
     ("slabs[0].amount_off", "must have at most 12 digits before the decimal point")),
    ({"kind": "fixed_price", "slabs": [{"min_qty": 10**11, "price": 30}]},
     ("slabs[0].min_qty", "must have at most 11 digits before the decimal point")),
    # Applied once per threshold reached: a tiny one made pricing overflow.
    ({"kind": "free_goods", "recursive": True,
      "slabs": [{"min_qty": 1e-30, "unit": "case", "free_qty": 1}]},
     ("slabs[0].min_qty", "must have at most 3 decimal places")),
    ({"recursive": True, "slabs": [{"min_value": 1e-30, "amount_off": 1}]},
     ("slabs[0].min_value", "must have at most 2 decimal places")),
    ({"kind": "free_goods", "slabs": [{"min_qty": 1, "free_qty": 0.0001}]},
     ("slabs[0].free_qty", "must have at most 3 decimal places")),
    ({"id": "TU/5"}, ("id", "must not contain '/'")),
]


@pytest.mark.parametrize(("overrides", "problem"), SCHEMES_THE_TABLES_CANNOT_HOLD)
def test_a_scheme_value_the_tables_cannot_hold_is_named_by_its_field(
        overrides: dict[str, object], problem: tuple[str, str]) -> None:
    assert scheme_storage_problems(a_scheme(**overrides)) == [problem]


@pytest.mark.parametrize(("overrides", "problem"), SCHEMES_THE_TABLES_CANNOT_HOLD)
def test_a_scheme_file_with_such_a_value_is_refused_with_a_row_error(
        overrides: dict[str, object], problem: tuple[str, str]) -> None:
    item = {"id": "TU-5", "kind": "discount", "scope": {"skus": ["TU-750"]},
            "slabs": [{"min_qty": 10, "unit": "case", "percent": 5}], **overrides}
    catalog = {"TU-750": Product(sku="TU-750", name="Thums Up", brand="Thums Up",
                                 category="Beverages", base_unit="bottle",
                                 pack_units={"case": 24})}
    with pytest.raises(ImportFailed) as failed:
        parse_schemes([item], catalog)
    assert (1, *problem) in {(e.line, e.column, e.reason) for e in failed.value.errors}


def test_a_scheme_stored_before_the_limits_still_loads() -> None:
    # Stored schemes are read back through scheme_from_dict: the limits guard writes only.
    scheme = a_scheme(slabs=[{"min_value": 1e13, "percent": 5}], scope={"brands": ["a\x00"]})
    assert scheme.scope.brands == ("a\x00",) and scheme.slabs[0].min_value == Decimal("1e13")
    assert [path for path, _ in scheme_storage_problems(scheme)] == ["scope.brands[0]",
                                                                    "slabs[0].min_value"]


def test_a_scheme_amount_may_carry_fractions_of_a_paisa() -> None:
    # Kept in the scheme's JSON exactly; pricing rounds once per line.
    assert scheme_storage_problems(a_scheme(slabs=[{"min_qty": 10, "amount_off": 0.125}])) == []


def test_a_pack_past_the_largest_size_is_a_row_error() -> None:
    """10,000 packs of the largest size to a line must still fit an INTEGER of base units."""
    assert (3, "pack_units", "a pack holds at most 100,000 base units, got 'bag=100001'") in (
        catalog_errors("SALT-50,Salt,Salty,Staples,gram,bag=100001,bag,0.01,0.02,\n"))
    (_, salt) = parse_catalog_csv(
        CATALOG_HEADER + GOOD_PRODUCT + "SALT-50,Salt,Salty,Staples,gram,bag=100000,bag,0.01,0.02,\n")
    assert salt.pack_units == {"bag": 100_000}
