"""Imports are all-or-nothing, name every bad row, and change nothing the second time."""

from __future__ import annotations

import pytest

from domain.adapters.memory import MemoryStore, MemoryUnitOfWork
from domain.errors import ImportFailed
from domain.services.imports import import_catalog, import_parties, import_schemes

CATALOG = """sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases
TU-750,Thums Up 750ml PET,Thums Up,Beverages,bottle,case=24,case,38.00,45.00,thumsup|tu
MAGGI-70G,Maggi 70g,Nestle,Noodles,packet,box=12;case=96,box,12.00,14.00,maggi
"""

PARTIES = """id,role,name,phone,telegram_user_id,distributor_id,route,region,lat,lon,outlet_class,channel,credit_limit
D-001,distributor,Shree Ganesh,+919700000001,,,,north,26.9,75.8,,,100000
R-0001,retailer,Sharma Kirana,+919800000001,,D-001,NORTH-1,north,26.91,75.79,A,general_trade,50000
"""


def test_catalog_import_is_idempotent() -> None:
    uow = MemoryUnitOfWork()
    first = import_catalog(uow, CATALOG)
    second = import_catalog(uow, CATALOG)
    assert (first.rows, first.changed) == (2, 2)
    assert (second.rows, second.changed) == (2, 0)
    with uow:
        product = uow.products.get("MAGGI-70G")
        assert product is not None and product.units == {"packet": 1, "box": 12, "case": 96}
        assert uow.meta.catalog_version() == 1


def test_a_catalog_with_bad_rows_imports_nothing_and_names_each_row() -> None:
    bad = CATALOG + "X-1,,Brand,Cat,piece,,piece,abc,1,\nTU-750,Dup,B,C,bottle,case=x,case,1,1,\n"
    uow = MemoryUnitOfWork()
    with pytest.raises(ImportFailed) as failed:
        import_catalog(uow, bad)
    where = {(e.line, e.column) for e in failed.value.errors}
    assert {(4, "name"), (4, "price"), (5, "sku"), (5, "pack_units")} <= where
    with uow:
        assert uow.products.list() == []


def test_parties_import_checks_links_and_phones() -> None:
    store = MemoryStore()
    report = import_parties(MemoryUnitOfWork(store), PARTIES)
    assert (report.rows, report.changed) == (2, 2)
    assert import_parties(MemoryUnitOfWork(store), PARTIES).changed == 0
    bad = PARTIES + (
        "R-0002,retailer,Gupta,+919800000002,,D-999,,north,,,B,general_trade,\n"
        "R-0003,retailer,Jain,98000,,D-001,,north,95,,Z,kirana,\n"
        "R-0004,shopkeeper,Verma,+919800000004,,D-001,,,,,,,\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_parties(MemoryUnitOfWork(store), bad)
    where = {(e.line, e.column) for e in failed.value.errors}
    assert {(5, "phone"), (5, "lat"), (5, "outlet_class"), (5, "channel"), (6, "role"),
            } <= where
    assert (4, "distributor_id") not in where  # syntax errors first; links checked after
    with MemoryUnitOfWork(store) as uow:
        assert {p.id for p in uow.parties.list()} == {"D-001", "R-0001"}


def test_a_retailer_must_point_at_a_known_distributor() -> None:
    bad = PARTIES + "R-0002,retailer,Gupta,+919800000002,,D-999,,north,,,B,general_trade,\n"
    with pytest.raises(ImportFailed) as failed:
        import_parties(MemoryUnitOfWork(), bad)
    assert [(e.line, e.column) for e in failed.value.errors] == [(4, "distributor_id")]


def test_schemes_import_validates_against_the_catalog() -> None:
    store = MemoryStore()
    import_catalog(MemoryUnitOfWork(store), CATALOG)
    good = """- id: TU-5
  name: Thums Up 10 cases 5%
  kind: discount
  scope: {skus: [TU-750]}
  slabs: [{min_qty: 10, unit: case, percent: 5}]
"""
    assert import_schemes(MemoryUnitOfWork(store), good).changed == 1
    assert import_schemes(MemoryUnitOfWork(store), good).changed == 0
    bad = good + """- id: BAD
  name: unknown sku and a silly percent
  kind: discount
  scope: {skus: [NOPE]}
  slabs: [{min_qty: 1, unit: case, percent: 500}]
"""
    with pytest.raises(ImportFailed) as failed:
        import_schemes(MemoryUnitOfWork(store), bad)
    assert failed.value.errors[0].line == 2
    with pytest.raises(ImportFailed):
        import_schemes(MemoryUnitOfWork(store), "{not: [valid")


def test_a_telegram_binding_survives_the_same_file_and_goes_with_a_new_phone() -> None:
    from dataclasses import replace

    store = MemoryStore()
    import_parties(MemoryUnitOfWork(store), PARTIES)
    with MemoryUnitOfWork(store) as uow:  # R-0001 shared its contact on Telegram
        shop = uow.parties.get("R-0001")
        assert shop is not None
        uow.parties.upsert(replace(shop, telegram_user_id=5550001))
        uow.commit()
    again = import_parties(MemoryUnitOfWork(store), PARTIES)
    assert again.changed == 0
    with MemoryUnitOfWork(store) as uow:
        assert uow.parties.get("R-0001").telegram_user_id == 5550001  # type: ignore[union-attr]
    import_parties(MemoryUnitOfWork(store), PARTIES.replace("+919800000001", "+919800000009"))
    with MemoryUnitOfWork(store) as uow:
        assert uow.parties.get("R-0001").telegram_user_id is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("rows", "error"), [
    # A Telegram user twice in the file, or already bound to another party.
    ("R-0002,retailer,Gupta,+919800000002,5550001,D-001,,north,,,,,\n"
     "R-0003,retailer,Jain,+919800000003,5550001,D-001,,north,,,,,\n",
     "line 3, column telegram_user_id: same Telegram user as line 2"),
    ("R-0002,retailer,Gupta,+919800000002,4242,D-001,,north,,,,,\n",
     "line 2, column telegram_user_id: already bound to R-0001"),
    # Two parties trading phones in one file.
    ("R-0001,retailer,Sharma,+919800000002,,D-001,,north,,,,,\n"
     "R-0002,retailer,Gupta,+919800000001,,D-001,,north,,,,,\n",
     "line 2, column phone: phones passed round in a circle (a swap): the unique key "
     "cannot take that row by row; do it in two imports"),
    # A phone in other digits than ASCII is no number WhatsApp sends.
    ("R-0009,retailer,Nair,+91९८००००००९९,,D-001,,north,,,,,\n",
     "line 2, column phone: not an E.164 number: '+91९८००००००९९'"),
])
def test_what_the_unique_keys_would_refuse_is_a_row_error(rows: str, error: str) -> None:
    store = MemoryStore()
    import_parties(MemoryUnitOfWork(store), PARTIES.replace(
        "+919800000001,,D-001", "+919800000001,4242,D-001"))
    import_parties(MemoryUnitOfWork(store), PARTIES.splitlines()[0] + "\n"
                   "R-0002,retailer,Gupta,+919800000002,,D-001,,north,,,,,\n")
    header = PARTIES.splitlines()[0] + "\n"
    with pytest.raises(ImportFailed) as failed:
        import_parties(MemoryUnitOfWork(store), header + rows)
    assert error in [str(e) for e in failed.value.errors]


def test_rows_are_named_by_their_line_in_the_file_and_extra_cells_are_refused() -> None:
    catalog = CATALOG.replace("\nMAGGI", '\n\nSPRITE,"Sprite\n750",Sprite,Beverages,bottle,'
                              'case=24,case,38.00,45.00,sprite\nMAGGI')
    bad = catalog.replace("14.00,maggi", "fourteen,maggi")
    with pytest.raises(ImportFailed) as failed:
        import_catalog(MemoryUnitOfWork(), bad)
    # Line 1 the header, 2 Thums Up, 3 blank, 4-5 Sprite (a quoted name on two lines).
    assert [e.line for e in failed.value.errors] == [6]
    trailing = CATALOG.replace("maggi\n", "maggi,\n")  # spreadsheets add a comma: fine
    assert import_catalog(MemoryUnitOfWork(), trailing).rows == 2
    extra = CATALOG.replace("maggi\n", "maggi,maggi noodles\n")
    with pytest.raises(ImportFailed) as failed:
        import_catalog(MemoryUnitOfWork(), extra)
    assert "line 3, column file: 11 cells, but the header has 10 columns" in str(
        failed.value.errors[0])
    with pytest.raises(ImportFailed) as failed:
        import_parties(MemoryUnitOfWork(), PARTIES.replace("\nR-0001", "\n\nR-0001").replace(
            ",D-001,", ",D-404,"))
    assert [(e.line, e.column) for e in failed.value.errors] == [(4, "distributor_id")]
