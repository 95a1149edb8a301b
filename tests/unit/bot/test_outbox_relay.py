"""The outbox relay: committed notices reach the party's channel once, even if relayed twice."""

from __future__ import annotations

import asyncio

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
        assert await relay.relay_once() == 3
        assert await relay.relay_once() == 0  # marked relayed
        await queue.drain()

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
