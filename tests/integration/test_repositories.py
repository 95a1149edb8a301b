"""Repositories and the unit of work behave the same on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.errors import Conflict
from domain.model.catalog import Product
from domain.model.ledger import EntryKind, LedgerEntry
from domain.model.order import Order, OrderLine, OrderStatus
from domain.model.party import Party, Role

TU = Product(sku="TU-750", name="Thums Up 750ml PET", brand="Thums Up", category="Beverages",
             base_unit="bottle", pack_units={"case": 24}, default_unit="case",
             price=Decimal("38.00"), mrp=Decimal("45.00"), aliases=("tu", "thumsup"))
DIST = Party(id="D-1", role=Role.DISTRIBUTOR, name="Shree Ganesh", phone="+919700000001")
SHOP = Party(id="R-1", role=Role.RETAILER, name="Sharma Kirana", phone="+919800000001",
             distributor_id="D-1", routes=("NORTH-1",), lat=26.9, lon=75.8,
             credit_limit=Decimal("50000.00"))


def an_order(draft_id: str = "draft-1") -> Order:
    line = OrderLine(sku="TU-750", name=TU.name, qty=Decimal("2"), unit="case", qty_base=48,
                     unit_price=Decimal("912.00"), gross=Decimal("1824.00"),
                     discount=Decimal("0.00"), net=Decimal("1824.00"))
    return Order(party_id="R-1", distributor_id="D-1", lines=[line], gross=Decimal("1824.00"),
                 discount=Decimal("0.00"), net=Decimal("1824.00"),
                 created_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC), draft_id=draft_id)


@pytest.fixture
def uow(database_url: str) -> SqlUnitOfWork:
    return SqlUnitOfWork(make_engine(database_url))


def test_products_and_parties_round_trip_unchanged(uow: SqlUnitOfWork) -> None:
    with uow:
        assert uow.products.upsert(TU)
        assert uow.parties.upsert(DIST)
        assert uow.parties.upsert(SHOP)
        uow.commit()
    with uow:
        assert uow.products.get("TU-750") == TU
        assert uow.parties.get("R-1") == SHOP
        assert uow.parties.by_phone("+919800000001") == SHOP
        assert [p.id for p in uow.parties.list(Role.RETAILER)] == ["R-1"]
        # The same data again is not a change: imports are idempotent.
        assert not uow.products.upsert(TU)
        assert not uow.parties.upsert(SHOP)


def test_uncommitted_work_is_rolled_back(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.products.upsert(TU)
    with uow:
        assert uow.products.get("TU-750") is None


def test_order_gets_a_human_number_and_keeps_its_lines(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.parties.upsert(DIST)
        uow.parties.upsert(SHOP)
        placed = uow.orders.add(an_order())
        uow.commit()
    assert placed.number == f"ORD-{placed.id:06d}"
    with uow:
        assert placed.id is not None
        loaded = uow.orders.get(placed.id)
        assert loaded is not None
        assert loaded.lines == an_order().lines
        assert loaded.net == Decimal("1824.00")
        assert uow.orders.by_draft("draft-1") == loaded
        orders, count = uow.orders.list(party_id="R-1", status=OrderStatus.PLACED)
        assert count == 1 and orders[0].number == placed.number
        assert uow.orders.list(status=OrderStatus.DELIVERED) == ([], 0)
        assert uow.orders.sku_counts("R-1") == {"TU-750": 1}


def test_a_draft_places_one_order_only(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.orders.add(an_order())
        uow.commit()
    with uow, pytest.raises(Conflict):
        uow.orders.add(an_order())


def test_a_message_key_is_recorded_once(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.inbound.record("whatsapp:SM1", "R-1", "[]")
        uow.commit()
    with uow:
        assert uow.inbound.reply_for("whatsapp:SM1") == "[]"
        with pytest.raises(Conflict):
            uow.inbound.record("whatsapp:SM1", "R-1", "[]")


def test_catalog_version_counts_imports(uow: SqlUnitOfWork) -> None:
    with uow:
        assert uow.meta.catalog_version() == 0
        uow.meta.bump_catalog_version()
        uow.meta.bump_catalog_version()
        uow.commit()
    with uow:
        assert uow.meta.catalog_version() == 2


def test_migrations_are_at_head(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    engine.dispose()


def test_a_telegram_user_binds_to_one_party(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.parties.upsert(DIST)
        uow.parties.upsert(SHOP)
        uow.parties.bind_telegram("D-1", 555)
        uow.commit()
    with uow:
        assert uow.parties.by_telegram_user(555) == replace(DIST, telegram_user_id=555)
        uow.parties.bind_telegram("R-1", 555)
        uow.commit()
    with uow:
        found = uow.parties.by_telegram_user(555)
        assert found is not None and found.id == "R-1"
        dist = uow.parties.get("D-1")
        assert dist is not None and dist.telegram_user_id is None


def test_levels_of_reads_the_named_skus_and_zero_for_unstocked(uow: SqlUnitOfWork) -> None:
    at = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    with uow:
        uow.products.upsert(TU)
        uow.products.upsert(replace(TU, sku="TU-300", name="Thums Up 300ml"))
        uow.parties.upsert(DIST)
        uow.stock.receive("D-1", "TU-750", 240, "opening", "open-1", at)
        assert uow.stock.reserve("D-1", "TU-750", 48)
        uow.commit()
    with uow:
        levels = uow.stock.levels_of("D-1", {"TU-750", "TU-300"})
        assert {s: (lv.on_hand, lv.reserved, lv.available) for s, lv in levels.items()} == {
            "TU-750": (240, 48, 192), "TU-300": (0, 0, 0)}
        assert levels["TU-750"] == uow.stock.level("D-1", "TU-750")
        assert uow.stock.levels_of("D-1", []) == {}


def test_an_autocommit_unit_records_a_message_once(database_url: str) -> None:
    """The inbox reads and records through units on an AUTOCOMMIT engine: the INSERT commits by
    itself, and a second one for the same key is a Conflict that leaves the first standing."""
    engine = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    with SqlUnitOfWork(engine) as uow:
        uow.inbound.record("whatsapp:SM1", None, '["first"]')
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(Conflict):
            uow.inbound.record("whatsapp:SM1", None, '["second"]')
        uow.rollback()
        assert uow.inbound.reply_for("whatsapp:SM1") == '["first"]'


def test_a_message_opens_with_its_reply_sender_supplier_and_catalog_version(
        uow: SqlUnitOfWork) -> None:
    with uow:
        uow.parties.upsert(DIST)
        uow.parties.upsert(SHOP)
        uow.meta.bump_catalog_version()
        uow.meta.bump_catalog_version()
        uow.inbound.record("whatsapp:SM1", "R-1", '["done"]')
        uow.commit()
    with uow:
        first = uow.openings.read("whatsapp:SM2", phone=SHOP.phone)
        assert (first.reply, first.party, first.catalog_version) == (None, SHOP, 2)
        assert first.supplier_name == DIST.name
        again = uow.openings.read("whatsapp:SM1", phone=SHOP.phone)
        assert (again.reply, again.party) == ('["done"]', SHOP)
        by_id = uow.openings.read("webchat:m1", party_id="D-1")
        assert (by_id.party, by_id.supplier_name) == (DIST, None)  # a distributor has none
        stranger = uow.openings.read("whatsapp:SM3", phone="+919999999999")
        assert (stranger.reply, stranger.party, stranger.catalog_version,
                stranger.supplier_name) == (None, None, 2, None)


def test_parties_are_read_many_at_once(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.parties.upsert(DIST)
        uow.parties.upsert(SHOP)
        uow.commit()
    with uow:
        assert uow.parties.get_many(["R-1", "D-1", "R-404", "R-1"]) == {"R-1": SHOP, "D-1": DIST}
        assert uow.parties.get_many([]) == {}


def test_latest_debits_come_newest_first_a_page_at_a_time(uow: SqlUnitOfWork) -> None:
    made = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    with uow:
        uow.parties.upsert(SHOP)
        for n, (day, debit, credit) in enumerate([(1, "100.00", "0"), (3, "0", "50.00"),
                                                  (3, "200.00", "0"), (2, "300.00", "0"),
                                                  (30, "1.00", "0")]):
            uow.ledger.add(LedgerEntry(
                party_id="R-1", kind=EntryKind.INVOICE if debit != "0" else EntryKind.PAYMENT,
                ref=f"E{n}", debit=Decimal(debit), credit=Decimal(credit),
                on=date(2026, 11, day), created_at=made, client_id=f"c{n}"))
        uow.commit()
    with uow:
        first = uow.ledger.latest_debits("R-1", date(2026, 11, 28), limit=2)
        rest = uow.ledger.latest_debits("R-1", date(2026, 11, 28), limit=2, offset=2)
        assert [e.ref for e in first + rest] == ["E2", "E3", "E0"]
        assert [e.ref for e in uow.ledger.latest_debits("R-1", date(2026, 12, 31), 9)] == [
            "E4", "E2", "E3", "E0"]
