"""The outbox relay: committed notices reach the party's channel once, even if relayed twice."""

from __future__ import annotations

import asyncio
import threading

from bot.job_queue import InProcessQueue
from bot.outbound import Outbound, SendFailed
from bot.outbox_relay import OutboxRelay, channel_router
from domain.adapters.memory import MemoryStore, MemoryUnitOfWork
from domain.model.notice import Notice
from domain.model.party import Party, Role

SHOP = Party(id="R-1", role=Role.RETAILER, name="Sharma", phone="+919800000001",
             distributor_id="D-1")
DIST = Party(id="D-1", role=Role.DISTRIBUTOR, name="Ganesh", phone="+919700000001",
             telegram_user_id=4242)


class FakeSender:
    def __init__(self, channel: str, fail_first: int = 0) -> None:
        self.channel = channel
        self.sent: list[Outbound] = []
        self.fail_first = fail_first

    async def send(self, out: Outbound) -> None:
        if self.fail_first:
            self.fail_first -= 1
            raise SendFailed("channel down")
        self.sent.append(out)


def world() -> tuple[MemoryStore, dict[str, FakeSender], list[str]]:
    store = MemoryStore()
    with MemoryUnitOfWork(store) as uow:
        uow.parties.upsert(SHOP)
        uow.parties.upsert(DIST)
        uow.outbox.add(Notice("R-1", "your order is dispatched"))
        uow.outbox.add(Notice("D-1", "new order", (("Accept", "ord:accept:1"),)))
        uow.outbox.add(Notice("R-404", "to nobody"))
        uow.commit()
    senders = {"telegram": FakeSender("telegram"), "whatsapp": FakeSender("whatsapp")}
    return store, senders, []


def test_notices_go_to_telegram_when_bound_else_whatsapp_and_unknown_ones_are_buried() -> None:
    store, senders, buried = world()

    async def scenario() -> None:
        queue = InProcessQueue(senders, lambda out, why: buried.append(why))
        relay = OutboxRelay(lambda: MemoryUnitOfWork(store), queue,
                            channel_router(set(senders)), lambda out, why: buried.append(why))
        queue.on_settled = relay.settled
        assert await relay.relay_once() == 3
        assert await relay.relay_once() == 0  # claimed
        await queue.drain()
        with MemoryUnitOfWork(store) as uow:
            assert uow.outbox.pending() == []  # sent, buried: each marked relayed

    asyncio.run(scenario())
    (tg,) = senders["telegram"].sent
    assert tg.to == "4242" and tg.replies[0].buttons[0].payload == "ord:accept:1"
    (wa,) = senders["whatsapp"].sent
    assert wa.to == "+919800000001" and wa.key == "notice:1"
    assert buried == ["party R-404 has no channel to reach it on"]


def test_a_notice_relayed_twice_is_sent_once_and_an_outage_is_retried() -> None:
    _, senders, buried = world()
    senders["whatsapp"].fail_first = 2

    async def scenario() -> None:
        queue = InProcessQueue(senders, lambda out, why: buried.append(why), backoff_scale=0.001)
        out = Outbound("whatsapp", "+919800000001", (), "notice:1")
        await queue.enqueue(out)
        await queue.enqueue(out)
        await queue.drain()

    asyncio.run(scenario())
    assert len(senders["whatsapp"].sent) == 1 and buried == []


def test_the_background_relay_picks_up_new_notices() -> None:
    store, senders, buried = world()

    async def scenario() -> None:
        queue = InProcessQueue(senders, lambda out, why: buried.append(why))
        relay = OutboxRelay(lambda: MemoryUnitOfWork(store), queue,
                            channel_router(set(senders)), lambda out, why: buried.append(why))
        task = asyncio.create_task(relay.run(interval=0.01))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if senders["telegram"].sent and senders["whatsapp"].sent:
                break
        task.cancel()
        await queue.drain()

    asyncio.run(scenario())
    assert len(senders["telegram"].sent) == 1 and len(senders["whatsapp"].sent) == 1


def test_a_wake_from_a_worker_thread_relays_at_once_and_safely() -> None:
    """The console's plain-def endpoints wake the relay from worker threads: in debug mode
    asyncio refuses an Event set from outside its loop, so this also proves the hand-over."""
    store, senders, buried = world()

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        queue = InProcessQueue(senders, lambda out, why: buried.append(why))
        relay = OutboxRelay(lambda: MemoryUnitOfWork(store), queue,
                            channel_router(set(senders)), lambda out, why: buried.append(why))
        task = asyncio.create_task(relay.run(interval=60))  # ticks too slow to matter
        await asyncio.sleep(0.05)  # the first pass relays the world's three notices
        with MemoryUnitOfWork(store) as uow:
            uow.outbox.add(Notice("R-1", "your order is accepted"))
            uow.commit()
        woken_at = loop.time()
        await asyncio.to_thread(relay.wake)
        for _ in range(200):
            if len(senders["whatsapp"].sent) == 2:
                break
            await asyncio.sleep(0.01)
        took = loop.time() - woken_at
        task.cancel()
        await queue.drain()
        return took

    # Not asyncio.run: a relay stuck by an unsafe wake would hang its shutdown, not fail.
    loop = asyncio.new_event_loop()
    loop.set_debug(True)
    try:
        took = loop.run_until_complete(asyncio.wait_for(scenario(), timeout=10))
    finally:
        loop.close()
    assert [o.replies[0].text for o in senders["whatsapp"].sent] == [
        "your order is dispatched", "your order is accepted"]
    assert took < 1.0  # not the 60 s tick


def test_notices_for_no_channel_are_buried_off_the_event_loop() -> None:
    store, senders, _ = world()
    burying_threads: list[int] = []

    def bury(out: Outbound, why: str) -> None:
        burying_threads.append(threading.get_ident())

    async def scenario() -> int:
        queue = InProcessQueue(senders, bury)
        relay = OutboxRelay(lambda: MemoryUnitOfWork(store), queue,
                            channel_router(set(senders)), bury)
        await relay.relay_once()
        await queue.drain()
        return threading.get_ident()

    loop_thread = asyncio.run(scenario())
    assert len(burying_threads) == 1 and burying_threads[0] != loop_thread


def test_with_the_in_process_queue_a_notice_is_relayed_once_sent_and_a_restart_resends_it(
) -> None:
    store, senders, buried = world()
    senders["whatsapp"].fail_first = 1  # the shop's notice is still being retried...

    async def stopped_mid_retry() -> None:
        queue = InProcessQueue(senders, lambda out, why: buried.append(why), backoff_scale=100)
        relay = OutboxRelay(lambda: MemoryUnitOfWork(store), queue,
                            channel_router(set(senders)), lambda out, why: buried.append(why))
        queue.on_settled = relay.settled
        await relay.relay_once()
        await asyncio.sleep(0.05)  # Telegram's went out; WhatsApp's waits out its backoff
        for task in list(queue._tasks):  # ...when the process stops
            task.cancel()
        await asyncio.gather(*queue._tasks, return_exceptions=True)

    asyncio.run(stopped_mid_retry())
    with MemoryUnitOfWork(store) as uow:
        assert [n.party_id for n in uow.outbox.pending()] == ["R-1"]  # not lost
    assert len(senders["telegram"].sent) == 1 and senders["whatsapp"].sent == []

    async def restarted() -> None:
        queue = InProcessQueue(senders, lambda out, why: buried.append(why))
        relay = OutboxRelay(lambda: MemoryUnitOfWork(store), queue,
                            channel_router(set(senders)), lambda out, why: buried.append(why))
        queue.on_settled = relay.settled
        for item in list(store.outbox):  # the dead process's claim has run out
            store.outbox[item] = store.outbox[item]._replace(claimed_until=None)
        assert await relay.relay_once() == 1
        await queue.drain()

    asyncio.run(restarted())
    assert len(senders["whatsapp"].sent) == 1 and len(senders["telegram"].sent) == 1
    with MemoryUnitOfWork(store) as uow:
        assert uow.outbox.pending() == []


def test_an_unexpected_send_error_is_retried_then_buried_not_dropped() -> None:
    class Exploding(FakeSender):
        async def send(self, out: Outbound) -> None:
            raise ConnectionError("redis under the service window is down")

    buried: list[str] = []

    async def scenario() -> None:
        queue = InProcessQueue({"whatsapp": Exploding("whatsapp")},
                               lambda out, why: buried.append(why), backoff_scale=0.0001)
        await queue.enqueue(Outbound("whatsapp", "+919800000001", (), "notice:9"))
        await queue.drain()

    asyncio.run(scenario())
    assert buried == ["unexpected ConnectionError"]
