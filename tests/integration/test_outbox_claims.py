"""Outbox claims: several relays (one per app process) on one database hand each notice to
the queue once, and a relay that dies holding notices frees them when its lease runs out."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.outbound import Outbound
from bot.outbox_relay import OutboxRelay, channel_router
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.model.notice import Notice
from domain.model.party import Party, Role

SHOP = Party(id="R-1", role=Role.RETAILER, name="Sharma", phone="+919800000001")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def notices(engine: Engine, count: int) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.parties.upsert(SHOP)
        for i in range(count):
            uow.outbox.add(Notice("R-1", f"notice {i}"))
        uow.commit()


def claim(engine: Engine, now: datetime = NOW, limit: int = 100) -> list[int]:
    with SqlUnitOfWork(engine) as uow:
        taken = [n.id for n in uow.outbox.claim(now, now + LEASE, limit) if n.id is not None]
        uow.commit()
    return taken


def test_a_claimed_notice_waits_for_its_lease_and_a_relayed_one_never_comes_back(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    notices(engine, 3)
    first, second, third = claim(engine, limit=2) + claim(engine)
    assert (first, second) < (third,) and claim(engine) == []
    with SqlUnitOfWork(engine) as uow:  # still pending, for the queue-depth gauge
        assert len(uow.outbox.pending()) == 3
        uow.outbox.release([second], NOW + LEASE)
        uow.outbox.mark_relayed([third], NOW)
        uow.commit()
    assert claim(engine) == [second]
    # The relay holding `first` died: once its lease is over, another relay takes it.
    assert claim(engine, NOW + LEASE - timedelta(seconds=1)) == []
    later = NOW + LEASE + timedelta(seconds=1)
    assert claim(engine, later) == [first, second]
    with SqlUnitOfWork(engine) as uow:
        # The first relay, back, lets go of its old lease: the new holder keeps the rows.
        uow.outbox.release([first, second], NOW + LEASE)
        uow.commit()
    assert claim(engine, later) == []
    with SqlUnitOfWork(engine) as uow:
        uow.outbox.mark_relayed([first, second], NOW)
        uow.outbox.release([first], later + LEASE)  # too late to free a relayed one
        uow.commit()
    assert claim(engine, NOW + 10 * LEASE) == []


def test_an_uncommitted_claim_is_skipped_by_another_relay_not_waited_for(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    notices(engine, 4)
    if engine.dialect.name != "postgresql":
        return  # SQLite has one writer at a time: the second claim would wait for the first
    with SqlUnitOfWork(engine) as holder:
        held = [n.id for n in holder.outbox.claim(NOW, NOW + LEASE, 2)]
        assert len(held) == 2
        others = claim(engine)
        assert len(others) == 2 and not set(others) & set(held)
        holder.rollback()  # died before committing: its rows are free at once
    assert claim(engine) == held


def test_concurrent_claims_share_out_every_notice_once(database_url: str) -> None:
    engine = make_engine(database_url)
    notices(engine, 120)
    taken: list[int] = []
    lock = threading.Lock()

    def relay() -> None:
        while batch := claim(engine, limit=7):
            with lock:
                taken.extend(batch)

    threads = [threading.Thread(target=relay) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(taken) == sorted(set(taken)) and len(taken) == 120


class RecordingQueue:
    """A queue with no dedup of its own, as the in-process one is across processes."""

    durable = True

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    async def enqueue(self, out: Outbound) -> None:
        self.keys.append(out.key)

    async def enqueue_many(self, outs: Sequence[Outbound]) -> None:
        for out in outs:
            await asyncio.sleep(0)  # let the other relay run in between
            self.keys.append(out.key)


class BrokenQueue:
    durable = True

    async def enqueue(self, out: Outbound) -> None:
        raise ConnectionError("queue down")

    async def enqueue_many(self, outs: Sequence[Outbound]) -> None:
        raise ConnectionError("queue down")


def test_two_app_processes_relay_each_notice_once(database_url: str) -> None:
    engine = make_engine(database_url)
    notices(engine, 250)
    keys: list[str] = []

    def a_relay() -> OutboxRelay:  # each with its own engine, as each process has
        own = make_engine(database_url)
        return OutboxRelay(lambda: SqlUnitOfWork(own), RecordingQueue(keys),
                           channel_router({"whatsapp"}), lambda out, why: None)

    async def drain(relay: OutboxRelay) -> None:
        while await relay.relay_once():
            pass

    async def scenario() -> None:
        await asyncio.gather(drain(a_relay()), drain(a_relay()))

    asyncio.run(scenario())
    assert len(keys) == 250 and len(set(keys)) == 250
    with SqlUnitOfWork(engine) as uow:
        assert uow.outbox.pending() == []


def test_notices_a_queue_refused_are_relayed_on_the_next_tick(database_url: str) -> None:
    engine = make_engine(database_url)
    notices(engine, 2)
    keys: list[str] = []

    def relay(queue: RecordingQueue | BrokenQueue) -> OutboxRelay:
        return OutboxRelay(lambda: SqlUnitOfWork(engine), queue, channel_router({"whatsapp"}),
                           lambda out, why: None)

    async def scenario() -> None:
        try:
            await relay(BrokenQueue()).relay_once()
        except ConnectionError:
            pass
        else:
            raise AssertionError("the queue's failure must reach the relay loop")
        # Released, not left to the lease: the next tick sends them.
        assert await relay(RecordingQueue(keys)).relay_once() == 2

    asyncio.run(scenario())
    assert len(keys) == 2 and len(set(keys)) == 2
