"""The arq queue on the real Redis: a batch goes in once per key, in the shape arq's worker
reads, and a job that already ran (its result is kept) is not queued again."""

from __future__ import annotations

import asyncio

import pytest
from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from redis.asyncio import ConnectionPool

from bot.job_queue import ArqQueue
from bot.messages import Reply
from bot.outbound import Outbound


def notice(n: int) -> Outbound:
    return Outbound(channel="whatsapp", to="+919700000001", replies=(Reply(f"order {n}"),),
                    key=f"notice:{n}", party_id="D-001")


@pytest.mark.parametrize("redis_url", ["redis"], indirect=True)  # arq lives in Redis only
def test_a_batch_is_queued_once_per_key_as_arq_reads_it(redis_url: str) -> None:
    async def scenario() -> list[tuple[str | None, str]]:
        redis = ArqRedis(connection_pool=ConnectionPool.from_url(redis_url))
        try:
            queue = ArqQueue(redis)
            await redis.set(result_key_prefix + "out:notice:3", b"done")  # ran before
            await queue.enqueue_many([notice(1), notice(2), notice(1), notice(3)])
            await queue.enqueue(notice(2))
            await queue.enqueue_many([])
            jobs = await redis.queued_jobs()
            return sorted((j.job_id, j.function) for j in jobs)
        finally:
            await redis.aclose()

    assert asyncio.run(scenario()) == [("out:notice:1", "deliver_outbound"),
                                       ("out:notice:2", "deliver_outbound")]
