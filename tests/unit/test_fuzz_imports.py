"""Imports never crash: any text, and near-valid files with random bad cells, end either in the
parsed rows or in ImportFailed naming each bad row by line and column; a scheme given as a
random JSON-like dict is either a Scheme or InvalidInput naming the field.

(Tally XML imports are not built yet; their fuzzing joins here when they are.)
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.errors import ImportFailed, InvalidInput
from domain.model.catalog import Product
from domain.model.scheme import SCHEME_FIELDS, Scheme, scheme_from_dict
from domain.services.catalog_file import CATALOG_COLUMNS, parse_catalog_csv
from domain.services.imports import parse_schemes, read_scheme_file
from domain.services.party_file import parse_parties_csv

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

PARTY_COLUMNS = ("id", "role", "name", "phone", "telegram_user_id", "distributor_id", "route",
                 "region", "lat", "lon", "outlet_class", "channel", "credit_limit")
# Where a whole-file problem (unreadable CSV, not JSON or YAML) is reported.
FILE = "file"

# One cell of a spreadsheet: anything on one line (a quoted newline would make the record number
# and the physical line differ, which the structured tests below keep out of the way). NUL and
# lone surrogates stay in: PostgreSQL cannot store them, so they must be row errors too.
cell = st.text(alphabet=st.characters(exclude_characters="\r\n"), max_size=24)
any_text = st.text(max_size=400)


def physical_lines(text: str) -> int:
    return text.count("\n") + text.count("\r") + 1


def assert_rows_named(failed: ImportFailed, columns: tuple[str, ...], last_line: int) -> None:
    assert failed.errors, "ImportFailed must name at least one row"
    for error in failed.errors:
        assert 1 <= error.line <= last_line, error
        assert error.column in (*columns, FILE), error
        assert error.reason.strip(), error


def to_csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# -- catalog ---------------------------------------------------------------------------------

def catalog_row(n: int) -> dict[str, str]:
    return {"sku": f"SKU-{n}", "name": f"Thums Up 750ml PET {n}", "brand": "Thums Up",
            "category": "Beverages", "base_unit": "bottle", "pack_units": "case=24",
            "default_unit": "case", "price": "38.00", "mrp": "45.00", "aliases": "tu|thumsup"}


# A value each column must refuse when the rest of its row is good, written by hand.
CATALOG_BAD: dict[str, tuple[str, ...]] = {
    "sku": ("", "   ", "SKU\x00", "S" * 65),
    "name": ("", "Thums\x00Up", "x" * 201),
    "brand": ("", "\x00", "b" * 101),
    "category": ("", "Bev\ud800"),
    "base_unit": ("",),
    "pack_units": ("case", "case=0", "case=x", "=12", "case=²", "case=" + "9" * 5000,
                   "ca\x00se=24", "c" * 31 + "=24"),
    "default_unit": ("crate",),
    "price": ("", "abc", "-1", "NaN", "inf", "1,5", "1" * 13, "38.005", "1e12"),
    "mrp": ("abc", "-5", "sNaN", "45.001", "9" * 15),
    "aliases": ("tu|thums\x00up",),
}


@FUZZ
@given(text=st.one_of(any_text, any_text.map(lambda t: ",".join(CATALOG_COLUMNS) + "\n" + t)))
def test_any_text_as_a_catalog_is_parsed_or_refused_row_by_row(text: str) -> None:
    try:
        products = parse_catalog_csv(text)
    except ImportFailed as failed:
        assert_rows_named(failed, CATALOG_COLUMNS, physical_lines(text))
    else:
        assert all(isinstance(p, Product) for p in products)


@FUZZ
@given(rows=st.integers(min_value=1, max_value=6), data=st.data())
def test_a_near_valid_catalog_names_exactly_the_rows_with_bad_cells(rows: int,
                                                                   data: st.DataObject) -> None:
    table = [catalog_row(n) for n in range(rows)]
    skus = {r["sku"] for r in table}
    hits = data.draw(st.lists(st.tuples(st.integers(0, rows - 1),
                                        st.sampled_from(CATALOG_COLUMNS), st.booleans(), cell),
                              max_size=4), label="corruptions")
    sure: dict[int, str] = {}  # row -> the column given a known-bad value
    for index, column, known_bad, garbage in hits:
        value = garbage
        if known_bad and column in CATALOG_BAD:
            value = data.draw(st.sampled_from(CATALOG_BAD[column]))
            sure[index] = column
        if column == "sku":
            assume(value.strip() not in skus)  # a duplicate SKU is blamed on the later line
        table[index][column] = value
    counts = {i: sum(1 for j, *_ in hits if j == i) for i in sure}
    text = to_csv(CATALOG_COLUMNS, table)
    hit_lines = {i + 2 for i, *_ in hits}

    try:
        products = parse_catalog_csv(text)
    except ImportFailed as failed:
        assert_rows_named(failed, CATALOG_COLUMNS, rows + 1)
        named = {(e.line, e.column) for e in failed.errors}
        assert {line for line, _ in named} <= hit_lines, "a good row was blamed"
        for index, column in sure.items():
            if counts[index] == 1:  # the only bad cell of its row: it must be the one named
                assert (index + 2, column) in named, (table[index], failed.errors)
    else:
        assert not any(counts[i] == 1 for i in sure), "a known-bad cell was accepted"
        assert [p.sku for p in products] == [r["sku"].strip() for r in table]


# -- parties ---------------------------------------------------------------------------------

def party_rows(retailers: int) -> list[dict[str, str]]:
    rows = [{"id": "D-1", "role": "distributor", "name": "Shree Ganesh", "phone": "+919700000001",
             "telegram_user_id": "", "distributor_id": "", "route": "", "region": "north",
             "lat": "26.95", "lon": "75.80", "outlet_class": "", "channel": "",
             "credit_limit": "2500000"}]
    rows += [{"id": f"R-{n}", "role": "retailer", "name": f"Kirana {n}",
              "phone": f"+9198000000{n:02d}", "telegram_user_id": str(700000 + n),
              "distributor_id": "D-1", "route": "NORTH-1", "region": "north", "lat": "26.91",
              "lon": "75.79", "outlet_class": "A", "channel": "general_trade",
              "credit_limit": "50000"} for n in range(retailers)]
    return rows


PARTY_BAD: dict[str, tuple[str, ...]] = {
    "id": ("", "R 1", "-R1", "R/1"),
    "role": ("", "shopkeeper"),
    "name": ("", "Kirana\x00", "k" * 201),
    "phone": ("", "98000", "+0123456789", "+91 98000 00001"),
    "telegram_user_id": ("abc", "12.5", "-5", "²", "9" * 5000),
    "distributor_id": ("",),
    "lat": ("95", "abc", "nan", "inf"),
    "lon": ("200", "x"),
    "outlet_class": ("Z",),
    "channel": ("kirana",),
    "credit_limit": ("-1", "abc", "nan", "Infinity", "1" * 13, "50000.005"),
    "route": ("NORTH\x00",),
    "region": ("nor\x00th", "r" * 51),
}


@FUZZ
@given(text=st.one_of(any_text, any_text.map(lambda t: ",".join(PARTY_COLUMNS) + "\n" + t)))
def test_any_text_as_a_parties_file_is_parsed_or_refused_row_by_row(text: str) -> None:
    try:
        parse_parties_csv(text)
    except ImportFailed as failed:
        assert_rows_named(failed, PARTY_COLUMNS, physical_lines(text))


@FUZZ
@given(retailers=st.integers(min_value=1, max_value=5), data=st.data())
def test_a_near_valid_parties_file_names_exactly_the_rows_with_bad_cells(
        retailers: int, data: st.DataObject) -> None:
    table = party_rows(retailers)
    taken = {r["id"] for r in table} | {r["phone"] for r in table}
    # The distributor's row (line 2) stays good: only retailers' rows are spoilt.
    hits = data.draw(st.lists(st.tuples(st.integers(1, retailers), st.sampled_from(PARTY_COLUMNS),
                                        st.booleans(), cell), max_size=4), label="corruptions")
    sure: dict[int, str] = {}
    for index, column, known_bad, garbage in hits:
        value = garbage
        if known_bad and column in PARTY_BAD:
            value = data.draw(st.sampled_from(PARTY_BAD[column]))
            sure[index] = column
        if column in ("id", "phone"):
            assume(value.strip() not in taken)  # a duplicate is blamed on the later line
        table[index][column] = value
    counts = {i: sum(1 for j, *_ in hits if j == i) for i in sure}
    hit_lines = {i + 2 for i, *_ in hits}

    try:
        parties = parse_parties_csv(to_csv(PARTY_COLUMNS, table))
    except ImportFailed as failed:
        assert_rows_named(failed, PARTY_COLUMNS, retailers + 2)
        named = {(e.line, e.column) for e in failed.errors}
        assert {line for line, _ in named} <= hit_lines, "a good row was blamed"
        for index, column in sure.items():
            if counts[index] == 1:
                assert (index + 2, column) in named, (table[index], failed.errors)
    else:
        assert not any(counts[i] == 1 for i in sure), "a known-bad cell was accepted"
        assert len(parties) == retailers + 1


# -- schemes ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["2026-11-01", "2026-02-30", "case", "TU-750", "discount", "free_goods",
                       "fixed_price", "retailer"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10) | st.sampled_from(sorted(SCHEME_FIELDS)), inner,
                      max_size=4),
    max_leaves=16,
)


def a_scheme() -> dict[str, Any]:
    return {"id": "TU-5", "name": "Thums Up 750: 10 cases or more, 5% off", "kind": "discount",
            "scope": {"skus": ["TU-750"], "brands": [], "categories": []},
            "audience": {"roles": ["retailer"], "regions": [], "parties": []},
            "valid": {"from": "2026-11-01", "to": "2026-11-30"}, "pooled": False,
            "slabs": [{"min_qty": 10, "unit": "case", "percent": 5},
                      {"min_qty": 20, "unit": "case", "percent": 7}],
            "stackable": False, "priority": 0}


# Places a bad value can sit in a scheme: top-level fields, inside sections and inside a slab.
SCHEME_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("id",), ("name",), ("kind",), ("scope",), ("scope", "skus"), ("scope", "skus", 0),
    ("audience",), ("audience", "roles"), ("valid",), ("valid", "from"), ("valid", "to"),
    ("pooled",), ("slabs",), ("slabs", 0), ("slabs", 0, "min_qty"), ("slabs", 0, "percent"),
    ("slabs", 1, "min_qty"), ("slabs", 1, "unit"), ("slabs", 0, "free_qty"),
    ("slabs", 0, "price"), ("stackable",), ("priority",), ("recursive",), ("cumulative",),
    ("bogus",),
)


def put(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def assert_names_a_field(exc: InvalidInput, keys: tuple[str, ...] = ()) -> None:
    field, sep, reason = str(exc).partition(": ")
    # An unknown key is named as given, even a blank one.
    assert sep and reason.strip() and (field.strip() or field in keys), str(exc)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(sorted(SCHEME_FIELDS)) | st.text(max_size=10),
                            json_values, max_size=10))
def test_a_random_dict_is_a_scheme_or_invalid_input_naming_the_field(data: dict[str, Any]
                                                                      ) -> None:
    try:
        scheme = scheme_from_dict(data)
    except InvalidInput as exc:
        assert_names_a_field(exc, tuple(data))
    else:
        assert isinstance(scheme, Scheme)


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(SCHEME_PATHS), json_values), min_size=1,
                      max_size=3))
def test_a_good_scheme_with_random_bad_fields_fails_only_with_invalid_input(
        edits: list[tuple[tuple[str | int, ...], Any]]) -> None:
    data = a_scheme()
    for path, value in edits:
        try:
            put(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced the container this path goes through
    try:
        scheme_from_dict(data)
    except InvalidInput as exc:
        assert_names_a_field(exc)


@FUZZ
@given(text=st.one_of(any_text, json_values.map(json.dumps),
                      st.lists(json_values, max_size=3).map(json.dumps)))
def test_any_text_as_a_scheme_file_is_read_or_refused_as_a_whole(text: str) -> None:
    try:
        items = read_scheme_file(text)
    except ImportFailed as failed:
        assert_rows_named(failed, (), 1)
    else:
        assert all(isinstance(item, dict) for item in items)


TU_750 = Product(sku="TU-750", name="Thums Up 750ml PET", brand="Thums Up",
                 category="Beverages", base_unit="bottle", pack_units={"case": 24},
                 default_unit="case", price=Decimal("38.00"), mrp=Decimal("45.00"))


@FUZZ
@given(count=st.integers(min_value=1, max_value=4), data=st.data())
def test_a_scheme_file_with_bad_schemes_names_each_by_its_position(count: int,
                                                                   data: st.DataObject) -> None:
    schemes = []
    for n in range(count):
        scheme = a_scheme()
        scheme["id"] = f"S-{n}"
        for path, value in data.draw(st.lists(st.tuples(st.sampled_from(SCHEME_PATHS),
                                                        json_values), max_size=2)):
            try:
                put(scheme, path, value)
            except (KeyError, IndexError, TypeError):
                continue
        schemes.append(scheme)
    try:
        parsed = parse_schemes(read_scheme_file(json.dumps(schemes)), {"TU-750": TU_750})
    except ImportFailed as failed:
        assert failed.errors
        for error in failed.errors:
            assert 1 <= error.line <= count and error.column.strip() and error.reason.strip()
    else:
        assert len(parsed) == count


# -- found by the fuzzing above, kept as plain regressions -------------------------------------

@pytest.mark.parametrize(("parse", "text", "where"), [
    (parse_catalog_csv, ",".join(CATALOG_COLUMNS) + "\nA,n,b,c,piece,case=²,piece,1,1,\n",
     (2, "pack_units")),
    (parse_catalog_csv, ",".join(CATALOG_COLUMNS) + "\nA,n,b,c,piece,case=" + "1" * 5000
     + ",piece,1,1,\n", (2, "pack_units")),
    (parse_catalog_csv, ",".join(CATALOG_COLUMNS) + "\nA," + "x" * 200_000
     + ",b,c,piece,,piece,1,1,\n", (2, FILE)),
    (parse_parties_csv, "id,role,name,phone,telegram_user_id\n"
                        "D-1,distributor,x,+919700000001,²\n", (2, "telegram_user_id")),
    (parse_parties_csv, "id,role,name,phone,telegram_user_id\n"
                        "D-1,distributor,x,+919700000001," + "9" * 5000 + "\n",
     (2, "telegram_user_id")),
    (read_scheme_file, "- id: X\n  valid: {from: 2026-02-30}\n", (1, FILE)),
    (read_scheme_file, "[" * 100_000, (1, FILE)),
    (read_scheme_file, "- " * 3000 + "x", (1, FILE)),
], ids=["superscript-pack-count", "5000-digit-pack-count", "200kb-cell", "superscript-telegram-id",
        "5000-digit-telegram-id", "yaml-30-february", "deep-json", "deep-yaml"])
def test_files_that_once_crashed_the_import_are_refused_with_a_row_error(
        parse: Any, text: str, where: tuple[int, str]) -> None:
    with pytest.raises(ImportFailed) as failed:
        parse(text)
    assert where in {(e.line, e.column) for e in failed.value.errors}, failed.value.errors
