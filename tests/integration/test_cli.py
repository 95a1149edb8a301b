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


def test_missing_or_unreadable_files_get_one_line_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    utf16 = tmp_path / "u16.csv"
    utf16.write_text(CATALOG, encoding="utf-16")
    cases = tmp_path / "bad.jsonl"
    cases.write_text("{not json\n")
    good = tmp_path / "catalog.csv"
    good.write_text(CATALOG)
    for argv in (["nlu", "parse", "--catalog", str(tmp_path / "nope.csv"), "2 cs tu"],
                 ["nlu", "parse", "--catalog", str(utf16), "2 cs tu"],
                 ["nlu", "eval", "--catalog", str(good), str(cases)],
                 ["schemes", "eval", "--catalog", str(good), str(tmp_path)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("dms ") and "Traceback" not in err


def test_out_of_range_ids_and_ports_are_refused_by_the_parser() -> None:
    for argv in (["tokens", "revoke", "99999999999999999999"], ["serve", "--port", "99999"]):
        with pytest.raises(SystemExit) as refused:
            main(argv)
        assert refused.value.code == 2


def test_scheme_files_that_explode_are_refused_quickly_and_politely(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    huge = tmp_path / "huge.json"
    huge.write_text('[{"id": "X", "priority": ' + "9" * 5000 + "}]")
    assert main(["schemes", "import", str(huge)]) == 1
    laughs = tmp_path / "laughs.yaml"  # nested aliases: 9**6 strings once expanded
    anchors = ['&a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    anchors += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 7)]
    laughs.write_text("- id: A\n  kind: discount\n  anchors: [" + ", ".join(anchors) + "]\n"
                      "- id: B\n  kind: *a6\n")
    assert main(["schemes", "import", str(laughs)]) == 1  # row errors, as any bad scheme
    err = capsys.readouterr().err
    assert len(err) < 10_000 and "Traceback" not in err


def test_a_phone_moved_to_another_party_in_one_file_imports(tmp_path: Path) -> None:
    header = "id,role,name,phone,distributor_id\n"
    first = tmp_path / "first.csv"
    first.write_text(header + "D-1,distributor,Ganesh,+919700000001,\n"
                              "R-1,retailer,Sharma,+919800000001,D-1\n")
    assert main(["parties", "import", str(first)]) == 0
    # Sharma changes number and a new shop takes the old one; the new shop's row comes first
    # and its distributor last, so the file's own order would break both keys.
    moved = tmp_path / "moved.csv"
    moved.write_text(header + "R-2,retailer,Gupta,+919800000001,D-2\n"
                              "R-1,retailer,Sharma,+919800000009,D-1\n"
                              "D-2,distributor,Maruti,+919700000002,\n")
    assert main(["parties", "import", str(moved)]) == 0
