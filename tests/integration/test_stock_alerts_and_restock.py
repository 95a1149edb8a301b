"""Stock alerts are announced once per condition; the suggested primary order covers the
distributor's recent sales in whole cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.model.catalog import Product
from domain.model.party import Party, Role
from domain.services.replenishment import suggest_replenishment
from domain.services.stock_alerts import run_stock_alerts

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TU = Product(sku="TU-750", name="Thums Up 750ml PET", brand="Thums Up", category="Beverages",
             base_unit="bottle", pack_units={"case": 24}, default_unit="case",
             price=Decimal("38.00"), mrp=Decimal("45.00"))
WAX = Product(sku="WAX", name="Rica Wax 800ml", brand="Rica", category="Salon",
              base_unit="jar", pack_units={"case": 6}, default_unit="jar",
              price=Decimal("900.00"), mrp=Decimal("1000.00"))
CATALOG = {p.sku: p for p in (TU, WAX)}
DIST = Party(id="D-1", role=Role.DISTRIBUTOR, name="Shree Ganesh", phone="+919700000001")


@pytest.fixture
def uow_factory(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    with SqlUnitOfWork(engine) as uow:
        uow.parties.upsert(DIST)
        for p in CATALOG.values():
            uow.products.upsert(p)
        # 30 days ago: 20 cases of Thums Up and 10 jars of wax arrive; the wax never sells.
        uow.stock.receive("D-1", "TU-750", 480, "receipt", "GRN-1", NOW - timedelta(days=70))
        uow.stock.receive("D-1", "WAX", 10, "receipt", "GRN-1", NOW - timedelta(days=70))
        # Thums Up sells 12 bottles a day over the last 30 days: 360 out, 120 left.
        for day in range(30):
            assert uow.stock.issue("D-1", "TU-750", 12, "dispatch", f"ORD-{day}",
                                   NOW - timedelta(days=day, hours=1), reserved=False)
        uow.commit()
    yield lambda: SqlUnitOfWork(engine)
    engine.dispose()


def notices(uow_factory) -> list[str]:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        return [n.text for n in uow.outbox.pending()]


def test_low_cover_and_dead_stock_are_announced_once(uow_factory) -> None:  # type: ignore[no-untyped-def]
    new = run_stock_alerts(uow_factory(), CATALOG, "D-1", NOW, cover_days=14)
    assert {a.key for a in new} == {"low:D-1:TU-750", "dead:D-1:WAX"}
    (text,) = notices(uow_factory)
    assert "Thums Up 750ml PET: 10.0 days of cover left (120 bottle)" in text
    assert "Rica Wax 800ml: 10 not moved in 60+ days" in text

    assert run_stock_alerts(uow_factory(), CATALOG, "D-1", NOW, cover_days=14) == []
    assert len(notices(uow_factory)) == 1  # the daily run does not repeat itself


def test_a_cleared_condition_is_announced_again_when_it_returns(uow_factory) -> None:  # type: ignore[no-untyped-def]
    run_stock_alerts(uow_factory(), CATALOG, "D-1", NOW, cover_days=14)
    with uow_factory() as uow:
        uow.stock.receive("D-1", "TU-750", 480, "receipt", "GRN-2", NOW)
        uow.commit()
    assert run_stock_alerts(uow_factory(), CATALOG, "D-1", NOW, cover_days=14,
                            skus=["TU-750"]) == []
    with uow_factory() as uow:
        assert "low:D-1:TU-750" not in uow.alerts.raised("D-1")
        uow.stock.issue("D-1", "TU-750", 500, "dispatch", "ORD-big", NOW, reserved=False)
        uow.commit()
    again = run_stock_alerts(uow_factory(), CATALOG, "D-1", NOW, cover_days=14,
                             skus=["TU-750"])
    assert [a.key for a in again] == ["low:D-1:TU-750"]


def test_the_suggestion_covers_two_weeks_of_sales_in_whole_cases(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        lines = suggest_replenishment(uow, CATALOG, "D-1", NOW, cover_days=14)
    # 12 a day x 14 days = 168 wanted, 120 available: 48 short = exactly 2 cases.
    assert [(ln.sku, ln.qty, ln.unit) for ln in lines] == [("TU-750", Decimal(2), "case")]
