"""Races on the real stores: many threads released at once, each with its own unit of work, on
SQLite and on PostgreSQL (and, through the inbox, with in-process and with Redis locks).

Whatever the interleaving: one draft makes one order, the last units are never promised twice,
a dispatch moves stock once and a payment sent twice at once is recorded once. SQLite
serialises writers on its file lock; it must still give the same answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import TypeVar

import pytest
from sqlalchemy.engine import Engine

from api.bootstrap import Services, bootstrap
from api.settings import Settings
from bot.messages import IncomingMessage
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.commands import (
    AcceptOrder,
    DispatchOrder,
    DraftLine,
    PlaceOrder,
    PlacePrimaryOrder,
    RecordPayment,
)
from domain.model.catalog import Product
from domain.model.ledger import EntryKind
from domain.model.order import Order, OrderLine, OrderStatus
from domain.model.party import Party, Role
from domain.pricing import SchemeIndex
from domain.services.fulfilment import StepResult, accept_order, dispatch_order
from domain.services.imports import import_catalog, import_parties
from domain.services.ledger import Posted, record_payment
from domain.services.ordering import PlacedOrder, place_order
from domain.services.replenishment import place_primary_order

T = TypeVar("T")
# Seconds any one race may take before it fails instead of stalling CI.
TIMEOUT = 60.0
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
TU = Product(sku="TU-750", name="Thums Up 750ml PET", brand="Thums Up", category="Beverages",
             base_unit="bottle", pack_units={"case": 24}, default_unit="case",
             price=Decimal("38.00"), mrp=Decimal("45.00"), aliases=("tu",))
CATALOG = {"TU-750": TU}
DIST = Party(id="D-1", role=Role.DISTRIBUTOR, name="Shree Ganesh", phone="+919700000001")
SHOP = Party(id="R-1", role=Role.RETAILER, name="Sharma Kirana", phone="+919800000001",
             distributor_id="D-1", credit_limit=Decimal("100000000.00"))


def race(n: int, task: Callable[[int], T]) -> list[T | Exception]:
    """task(0) .. task(n-1) on n threads released together; each one's result or exception."""
    gate = threading.Barrier(n, timeout=TIMEOUT)

    def run(i: int) -> T | Exception:
        gate.wait()
        try:
            return task(i)
        except Exception as exc:  # the test decides which exceptions are acceptable
            return exc

    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        return [f.result(timeout=TIMEOUT) for f in futures]


def ok(results: list[T | Exception]) -> list[T]:
    failed = [r for r in results if isinstance(r, Exception)]
    assert not failed, f"{len(failed)} of {len(results)} failed, e.g. {failed[0]!r}"
    return [r for r in results if not isinstance(r, Exception)]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with SqlUnitOfWork(engine) as uow:
        uow.products.upsert(TU)
        uow.parties.upsert(DIST)
        uow.parties.upsert(SHOP)
        uow.commit()
    yield engine
    engine.dispose()


def receive(engine: Engine, bottles: int) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.stock.receive("D-1", "TU-750", bottles, "receipt", "GRN-1", NOW)
        uow.commit()


def add_orders(engine: Engine, count: int, bottles: int) -> list[int]:
    net = Decimal("38.00") * bottles
    line = OrderLine(sku="TU-750", name=TU.name, qty=Decimal(bottles), unit="bottle",
                     qty_base=bottles, unit_price=Decimal("38.00"), gross=net,
                     discount=Decimal("0.00"), net=net)
    ids = []
    with SqlUnitOfWork(engine) as uow:
        for n in range(count):
            placed = uow.orders.add(Order(party_id="R-1", distributor_id="D-1", lines=[line],
                                          gross=net, discount=Decimal("0.00"), net=net,
                                          created_at=NOW, draft_id=f"draft-{n}"))
            assert placed.id is not None
            ids.append(placed.id)
        uow.commit()
    return ids


# -- one draft, one order ----------------------------------------------------------------------

PARTIES = """id,role,name,phone,distributor_id
D-001,distributor,Shree Ganesh Distributors,+919700000001,
R-0001,retailer,Sharma Kirana Store,+919800000001,D-001
"""


@pytest.fixture
def services(stack: tuple[str, str | None]) -> Iterator[Services]:
    database_url, redis_url = stack
    engine = make_engine(database_url)
    catalog = files("domain.services").joinpath("demo_catalog.csv").read_text(encoding="utf-8")
    import_catalog(SqlUnitOfWork(engine), catalog)
    import_parties(SqlUnitOfWork(engine), PARTIES)
    engine.dispose()
    # No rate limit: all fifty must be handled, one at a time under the sender's lock.
    services = bootstrap(Settings(DATABASE_URL=database_url, REDIS_URL=redis_url,
                                  RATE_LIMIT_PER_MINUTE=0, SENDER_LOCK_WAIT_SECONDS=TIMEOUT,
                                  OUTBOX_RELAY_INTERVAL_SECONDS=0), run_migrations=False)
    yield services
    services.close()


def whatsapp(message_id: str, text: str) -> IncomingMessage:
    return IncomingMessage(channel="whatsapp", message_id=message_id, sender="+919800000001",
                           text=text)


def test_fifty_yes_at_once_for_one_draft_make_one_order(services: Services) -> None:
    (draft,) = services.inbox.handle(whatsapp("SMdraft", "2 cs thums up 750"))
    assert "Reply YES" in draft.text

    replies = ok(race(50, lambda n: services.inbox.handle(whatsapp(f"SMyes{n:04d}", "YES"))))

    texts = [" ".join(r.text for r in reply) for reply in replies]
    placed = [t for t in texts if "placed:" in t]
    assert len(placed) == 1, placed
    assert all("already placed" in t for t in texts if t not in placed), texts
    with services.uow() as uow:
        orders, count = uow.orders.list(party_id="R-0001")
    assert count == 1 and f"*{orders[0].number}*" in placed[0]


def test_fifty_confirmations_of_one_draft_without_the_sender_lock_make_one_order(
        engine: Engine) -> None:
    # Two workers whose lock lease ran out: only the draft's unique constraint stands between.
    cmd = PlaceOrder(party_id="R-1", lines=(DraftLine("TU-750", Decimal("2"), "case"),),
                     draft_id="draft-once", channel="whatsapp", at=NOW)
    results: list[PlacedOrder] = ok(race(50, lambda _: place_order(
        cmd, SqlUnitOfWork(engine), CATALOG, SchemeIndex([]))))
    assert sum(not r.already_placed for r in results) == 1
    assert len({r.order.id for r in results}) == 1
    with SqlUnitOfWork(engine) as uow:
        assert uow.orders.list(party_id="R-1")[1] == 1


def test_fifty_confirmations_of_one_primary_draft_make_one_order(engine: Engine) -> None:
    cmd = PlacePrimaryOrder(distributor_id="D-1",
                            lines=(DraftLine("TU-750", Decimal("20"), "case"),),
                            draft_id="primary-once", channel="telegram", at=NOW)
    results: list[PlacedOrder] = ok(race(50, lambda _: place_primary_order(
        cmd, SqlUnitOfWork(engine), CATALOG, SchemeIndex([]))))
    assert sum(not r.already_placed for r in results) == 1
    assert len({r.order.id for r in results}) == 1
    with SqlUnitOfWork(engine) as uow:
        assert uow.orders.list(party_id="D-1")[1] == 1


# -- the last units ----------------------------------------------------------------------------

def test_two_hundred_accepts_for_the_last_hundred_bottles_never_oversell(engine: Engine) -> None:
    ids = add_orders(engine, 200, bottles=1)
    receive(engine, 100)

    results: list[StepResult] = ok(race(200, lambda i: accept_order(
        AcceptOrder(ids[i], "D-1", NOW), SqlUnitOfWork(engine), CATALOG)))

    won = [r for r in results if r.changed]
    assert len(won) == 100 and sum(r.short for r in results) == 100
    with SqlUnitOfWork(engine) as uow:
        level = uow.stock.level("D-1", "TU-750")
        accepted = uow.orders.list(status=OrderStatus.ACCEPTED, limit=500)[1]
    assert level.reserved == len(won) * 1 == accepted
    assert level.reserved <= level.on_hand == 100


def test_reservations_that_do_not_divide_the_stock_stop_short_of_it(engine: Engine) -> None:
    receive(engine, 100)

    def reserve(_: int) -> bool:
        with SqlUnitOfWork(engine) as uow:
            done = uow.stock.reserve("D-1", "TU-750", 3)
            uow.commit()
            return done

    granted = sum(ok(race(60, reserve)))
    with SqlUnitOfWork(engine) as uow:
        level = uow.stock.level("D-1", "TU-750")
    assert granted == 33 and level.reserved == 99 <= level.on_hand


# -- dispatch and payment, twice at once -------------------------------------------------------

def test_two_dispatches_of_one_order_at_once_move_stock_once(engine: Engine) -> None:
    # Ten orders of a case each, every one dispatched by two taps at once; half were accepted
    # (their stock reserved) and half go straight from placed.
    ids = add_orders(engine, 10, bottles=24)
    receive(engine, 300)
    for order_id in ids[:5]:
        assert accept_order(AcceptOrder(order_id, "D-1", NOW), SqlUnitOfWork(engine),
                            CATALOG).changed

    results: list[StepResult] = ok(race(20, lambda i: dispatch_order(
        DispatchOrder(ids[i // 2], "D-1", NOW), SqlUnitOfWork(engine), CATALOG)))

    for n, order_id in enumerate(ids):
        pair = results[2 * n: 2 * n + 2]
        assert sorted(r.changed for r in pair) == [False, True], order_id
        assert all(r.order.status == OrderStatus.DISPATCHED for r in pair)
    with SqlUnitOfWork(engine) as uow:
        level = uow.stock.level("D-1", "TU-750")
        moved = uow.stock.moved_out_since("D-1", NOW - timedelta(days=1))
        invoices = [e for i in ids for e in uow.ledger.for_order(i)]
    assert (level.on_hand, level.reserved) == (300 - 10 * 24, 0)
    assert moved == {"TU-750": 10 * 24}
    assert len(invoices) == 10 and all(e.kind == EntryKind.INVOICE for e in invoices)


def test_two_payments_with_one_client_id_at_once_are_recorded_once(engine: Engine) -> None:
    # Ten client ids, each sent twice at once (a double-clicked button, a retried request).
    def pay(i: int) -> Posted:
        return record_payment(RecordPayment(client_id=f"pay-race-{i // 2:04d}", party_id="R-1",
                                            amount=Decimal("500.00"), on=date(2026, 11, 28),
                                            mode="upi"), SqlUnitOfWork(engine), NOW)

    results = ok(race(20, pay))

    for n in range(10):
        first, second = results[2 * n: 2 * n + 2]
        assert sorted((first.created, second.created)) == [False, True]
        assert first.entry.id == second.entry.id
    with SqlUnitOfWork(engine) as uow:
        entries = uow.ledger.entries("R-1", None, date(2026, 11, 28))
    assert len(entries) == 10 and sum(e.credit for e in entries) == Decimal("5000.00")


class AcceptedMeanwhile(SqlUnitOfWork):
    """A unit whose first read of an order is followed, before its own write, by another
    request accepting that order (and so reserving its stock)."""

    def __enter__(self) -> AcceptedMeanwhile:
        super().__enter__()
        read, fired = self.orders.get, []

        def get(order_id: int) -> Order | None:
            order = read(order_id)
            if not fired:
                fired.append(order_id)
                accepted = accept_order(AcceptOrder(order_id, None, NOW),
                                        SqlUnitOfWork(self.engine), CATALOG)
                assert accepted.changed
            return order

        self.orders.get = get  # type: ignore[method-assign]
        return self


@pytest.mark.parametrize("step", ["reject", "dispatch"])
def test_a_reject_or_dispatch_racing_an_accept_settles_its_reservation(
        engine: Engine, step: str) -> None:
    from domain.commands import RejectOrder
    from domain.services.fulfilment import reject_order

    receive(engine, 100)
    (order_id,) = add_orders(engine, 1, 40)
    if step == "reject":
        result = reject_order(RejectOrder(order_id, None, "no stock", NOW),
                              AcceptedMeanwhile(engine))
    else:
        result = dispatch_order(DispatchOrder(order_id, None, NOW), AcceptedMeanwhile(engine),
                                CATALOG)
    assert result.changed
    with SqlUnitOfWork(engine) as uow:
        level = uow.stock.levels_of("D-1", {"TU-750": 1})["TU-750"]
    # Rejected: the reservation is released. Dispatched: taken from what was reserved.
    assert level.reserved == 0
    assert level.on_hand == (100 if step == "reject" else 60)


def test_first_receipts_of_a_sku_at_once_all_count(engine: Engine) -> None:
    def receipt(i: int) -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.stock.receive("D-1", "TU-750", 10, "receipt", f"GRN-{i}", NOW)
            uow.commit()

    ok(race(8, receipt))
    with SqlUnitOfWork(engine) as uow:
        assert uow.stock.level("D-1", "TU-750").on_hand == 80


def test_one_alert_raised_at_once_by_two_runs_is_raised_once(engine: Engine) -> None:
    def raise_alert(i: int) -> bool:
        with SqlUnitOfWork(engine) as uow:
            raised = uow.alerts.raise_("low:D-1:TU-750", "D-1", NOW)
            uow.commit()
            return raised

    assert sorted(ok(race(6, raise_alert))) == [False] * 5 + [True]


def test_a_primary_dispatch_past_what_a_stock_level_holds_is_refused_whole(
        engine: Engine) -> None:
    from domain.errors import InvalidInput
    from domain.model.field_limits import BASE_UNITS_MAX

    with SqlUnitOfWork(engine) as uow:
        uow.stock.receive("D-1", "TU-750", BASE_UNITS_MAX - 10, "receipt", "GRN-1", NOW)
        line = OrderLine(sku="TU-750", name=TU.name, qty=Decimal(1), unit="case", qty_base=24,
                         unit_price=Decimal("912.00"), gross=Decimal("912.00"),
                         discount=Decimal("0.00"), net=Decimal("912.00"))
        order = uow.orders.add(Order(party_id="D-1", distributor_id=None, lines=[line],
                                     gross=line.gross, discount=line.discount, net=line.net,
                                     created_at=NOW, draft_id="primary-1", kind="primary"))
        uow.commit()
    assert order.id is not None
    with pytest.raises(InvalidInput):
        dispatch_order(DispatchOrder(order.id, None, NOW), SqlUnitOfWork(engine), CATALOG)
    with SqlUnitOfWork(engine) as uow:
        assert uow.stock.level("D-1", "TU-750").on_hand == BASE_UNITS_MAX - 10
        assert uow.orders.get(order.id).status == OrderStatus.PLACED  # type: ignore[union-attr]
