"""The outbound queue: deliver each Outbound once, retry through outages, keep dead letters.

Two implementations behind one interface:
- ArqQueue: jobs in Redis, delivered by `dms worker` processes (arq); a job's id is the
  Outbound key, so enqueuing the same key twice queues it once.
- InProcessQueue: an asyncio task per message inside the app, for the embedded default.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms

from bot.outbound import ChannelSender, Outbound, SendFailed

log = logging.getLogger("dms.outbound")

MAX_TRIES = 6
BACKOFF_SECONDS = (1.0, 5.0, 30.0, 120.0, 600.0)

DeadLetterSink = Callable[[Outbound, str], None]


class OutboundQueue(Protocol):
    durable: bool  # whether a queued message outlives this process

    async def enqueue(self, out: Outbound) -> None: ...
    async def enqueue_many(self, outs: Sequence[Outbound]) -> None:
        """As enqueue, for each; one round trip where the queue can."""
        ...


def backoff(attempt: int, failure: SendFailed) -> float:
    if failure.retry_after is not None:
        return failure.retry_after
    return BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)]


async def deliver_once(senders: Mapping[str, ChannelSender], out: Outbound) -> None:
    sender = senders.get(out.channel)
    if sender is None:
        raise SendFailed(f"the {out.channel} channel is off", retryable=False)
    try:
        await sender.send(out)
    except SendFailed:
        raise
    except Exception as exc:
        # Anything else (Redis down under the service window, a bug) is retried like an
        # outage and dead-lettered in the end: neither dropped nor failed for good at once.
        log.exception("outbound send failed unexpectedly", extra={"key": out.key})
        raise SendFailed(f"unexpected {type(exc).__name__}") from exc


class InProcessQueue:
    """Sends in this process's memory: what it holds is lost if the process stops. So it is
    not `durable`: the outbox relay marks a notice relayed only once `on_settled` says it was
    sent or dead-lettered, and a restart relays the others again."""

    durable = False

    def __init__(self, senders: Mapping[str, ChannelSender], dead_letters: DeadLetterSink,
                 backoff_scale: float = 1.0,
                 on_settled: Callable[[Outbound], None] | None = None) -> None:
        self.senders = senders
        self.dead_letters = dead_letters
        self.backoff_scale = backoff_scale
        self.on_settled = on_settled  # called in a thread: it may write to the database
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def enqueue_many(self, outs: Sequence[Outbound]) -> None:
        for out in outs:
            await self.enqueue(out)

    async def enqueue(self, out: Outbound) -> None:
        if out.key in self._seen:
            return
        self._seen.add(out.key)
        task = asyncio.create_task(self._run(out))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, out: Outbound) -> None:
        await self._deliver(out)
        if self.on_settled is not None:
            try:
                await asyncio.to_thread(self.on_settled, out)
            except Exception:  # not recorded: relayed again later, and sent again at worst
                log.exception("outbound settlement not recorded", extra={"key": out.key})
                self._seen.discard(out.key)  # so that the relay's next try is not dropped

    async def _deliver(self, out: Outbound) -> None:
        for attempt in range(1, MAX_TRIES + 1):
            try:
                await deliver_once(self.senders, out)
                return
            except SendFailed as failure:
                if not failure.retryable or attempt == MAX_TRIES:
                    log.warning("outbound dead letter", extra={"key": out.key,
                                                               "reason": str(failure)})
                    # A database write: in a thread, off the loop the other sends run on.
                    await asyncio.to_thread(self.dead_letters, out, str(failure))
                    return
                await asyncio.sleep(backoff(attempt, failure) * self.backoff_scale)

    async def drain(self) -> None:
        """Waits for every queued message (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


# arq's enqueue_job, for one job in one script call: queued unless a job or a result with its
# id exists. enqueue_job itself takes three round trips (WATCH, EXISTS, MULTI/EXEC) per job;
# this lets a batch of jobs go in one pipeline.
ENQUEUE_IF_NEW = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
JOB = "deliver_outbound"


class ArqQueue:
    durable = True  # jobs live in Redis: the relay may mark a notice relayed once queued

    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis
        self._enqueue_if_new = redis.register_script(ENQUEUE_IF_NEW)

    async def enqueue(self, out: Outbound) -> None:
        await self.enqueue_many([out])

    async def enqueue_many(self, outs: Sequence[Outbound]) -> None:
        if not outs:
            return
        now = timestamp_ms()
        queue = self.redis.default_queue_name
        async with self.redis.pipeline(transaction=False) as pipe:
            for out in outs:
                job_id = f"out:{out.key}"
                job = serialize_job(JOB, (json.dumps(out.to_json()),), {}, None, now,
                                    serializer=self.redis.job_serializer)
                await self._enqueue_if_new(
                    keys=[job_key_prefix + job_id, result_key_prefix + job_id, queue],
                    args=[self.redis.expires_extra_ms, job, now, job_id], client=pipe)
            await pipe.execute()


async def deliver_job(ctx: dict[str, Any], raw: str) -> str:
    """The arq task: ctx holds 'senders' and 'dead_letters' (set up by the worker)."""
    from arq.worker import Retry

    out = Outbound.from_json(json.loads(raw))
    attempt: int = ctx.get("job_try", 1)
    try:
        await deliver_once(ctx["senders"], out)
    except SendFailed as failure:
        if failure.retryable and attempt < MAX_TRIES:
            raise Retry(defer=backoff(attempt, failure)) from failure
        await asyncio.to_thread(ctx["dead_letters"], out, str(failure))
        return "dead"
    return "sent"
