"""Files with values PostgreSQL cannot store (a NUL character, a price past NUMERIC(14,2)) are
refused by `dms ... import` with a row error, nothing written, the same on SQLite and
PostgreSQL: never a DataError from the driver."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork

CATALOG = """sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases
TU-750,Thums Up 750ml PET,Thums Up,Beverages,bottle,case=24,case,38.00,45.00,thumsup|tu
"""
PARTIES = """id,role,name,phone,telegram_user_id,distributor_id,route,region,lat,lon,outlet_class,channel,credit_limit
D-001,distributor,Shree Ganesh,+919700000001,,,,north,26.9,75.8,,,100000
"""


@pytest.fixture(autouse=True)
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


def run_import(kind: str, path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    path.write_text(text, encoding="utf-8")
    assert main([kind, "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err
    return err


def test_a_catalog_with_a_nul_or_an_overlong_price_imports_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    err = run_import("catalog", tmp_path / "catalog.csv", CATALOG
                     + "MAGGI,Mag\x00gi 70g,Nestle,Noodles,packet,box=12,box,12.00,14.00,maggi\n"
                     + "ATTA,Atta 5kg,Aashirvaad,Staples,bag,,bag,1234567890123,1,atta|a\x00tta\n"
                     + "SALT,Salt 1kg,Tata,Staples,packet,,packet,20.005,22,\n", capsys)
    assert "line 3, column name: must not contain a NUL character" in err
    assert ("line 4, column price: must have at most 12 digits before the decimal point: "
            "'1234567890123'") in err
    assert "line 4, column aliases: must not contain a NUL character" in err
    assert "line 5, column price: must have at most 2 decimal places: '20.005'" in err
    with SqlUnitOfWork(make_engine(database_url)) as uow:
        assert uow.products.list() == []


def test_a_parties_file_with_a_nul_or_an_overlong_credit_limit_imports_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    err = run_import("parties", tmp_path / "parties.csv", PARTIES
                     + "R-1,retailer,Sharma\x00 Kirana,+919800000001,,D-001,NORTH-1,north,,,A,"
                       "general_trade,50000\n"
                     + "R-2,retailer,Gupta Store,+919800000002,,D-001,NORTH-1,north,,,B,"
                       "general_trade,12345678901234\n"
                     + "R-3,retailer,Jain Store,+919800000003,,D-0\x0001,NORTH-1,north,,,B,"
                       "general_trade,\n", capsys)
    assert "line 3, column name: must not contain a NUL character" in err
    assert ("line 4, column credit_limit: must have at most 12 digits before the decimal point"
            in err)
    assert "line 5, column distributor_id: must not contain a NUL character" in err
    with SqlUnitOfWork(make_engine(database_url)) as uow:
        assert uow.parties.list() == []


def test_a_scheme_file_with_a_nul_or_an_overlong_name_imports_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert main(["catalog", "import", str(path)]) == 0
    capsys.readouterr()
    slabs = '"slabs": [{"min_qty": 10, "unit": "case", "percent": 5}]'
    err = run_import("schemes", tmp_path / "schemes.json", (
        f'[{{"id": "TU-5", "kind": "discount", "scope": {{"skus": ["TU-750"]}}, {slabs}}},'
        f' {{"id": "TU-\\u0000", "kind": "discount", {slabs}}},'
        f' {{"id": "TU-7", "name": "{"n" * 301}", "kind": "discount", {slabs}}}]'), capsys)
    assert "line 2, column id: must not contain a NUL character" in err
    assert "line 3, column name: must be at most 300 characters (got 301)" in err
    with SqlUnitOfWork(make_engine(database_url)) as uow:
        assert uow.schemes.list() == []
