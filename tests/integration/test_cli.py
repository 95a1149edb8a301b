"""The `dms` import commands against a real database, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork

CATALOG = """sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases
TU-750,Thums Up 750ml PET,Thums Up,Beverages,bottle,case=24,case,38.00,45.00,thumsup|tu
"""


@pytest.fixture(autouse=True)
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


def test_catalog_import_twice_changes_nothing_the_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG)
    assert main(["catalog", "import", str(path)]) == 0
    assert "1 created or updated" in capsys.readouterr().out
    assert main(["catalog", "import", str(path)]) == 0
    assert "0 created or updated, 1 unchanged" in capsys.readouterr().out


def test_a_bad_file_imports_nothing_and_names_each_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG + "MAGGI,Maggi,Nestle,Noodles,packet,box=12,box,twelve,14,\n")
    assert main(["catalog", "import", str(path)]) == 1
    assert "line 3, column price: not a number: 'twelve'" in capsys.readouterr().err
    with SqlUnitOfWork(make_engine(database_url)) as uow:
        assert uow.products.list() == []


def test_schemes_need_their_products(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "schemes.yaml"
    path.write_text("- {id: X, name: x, kind: discount, scope: {skus: [NOPE]},\n"
                    "   slabs: [{min_qty: 1, unit: case, percent: 5}]}\n")
    assert main(["schemes", "import", str(path)]) == 1
    assert "unknown SKU 'NOPE'" in capsys.readouterr().err


def test_demo_data_is_built_once(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    assert main(["demo", "--data-only"]) == 0
    assert "demo data created: 155 products" in capsys.readouterr().out
    assert main(["demo", "--data-only"]) == 0
    assert "already present" in capsys.readouterr().out
    with SqlUnitOfWork(make_engine(database_url)) as uow:
        retailers = [p for p in uow.parties.list() if p.role.value == "retailer"]
        assert len(retailers) >= 60 and all(p.lat and p.lon for p in retailers)
        assert len({r for p in retailers for r in p.routes}) >= 6
        assert len(uow.schemes.list()) >= 5
        orders, count = uow.orders.list(limit=1000)
        assert count > 500
        assert (max(o.created_at for o in orders) - min(o.created_at for o in orders)).days >= 80


def test_tokens_are_created_and_revoked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "create", "--role", "manager"]) == 0
    out = capsys.readouterr().out
    assert "token 1 (manager)" in out and "dms_" in out
    assert main(["tokens", "revoke", "1"]) == 0
    assert main(["tokens", "revoke", "1"]) == 1


def test_several_workers_without_redis_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each process would keep its own drafts: a YES could reach one that never saw the order.
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["serve", "--workers", "2", "--port", "1"]) == 2
    assert "--workers 2 needs REDIS_URL" in capsys.readouterr().err
    assert main(["serve", "--workers", "0", "--port", "1"]) == 2
    assert "at least 1" in capsys.readouterr().err
