"""How far a multi-piece send got, so that its retry starts where it stopped.

A long reply goes out as several channel messages (pieces, then any file). If piece 2 of 3
fails, the queue retries the whole Outbound, perhaps on another worker process: without a
record of what went out, the shop would get piece 1 twice. With Redis the record is shared by
every worker; without it, each process keeps its own (the embedded default has one process).
A record outlives any retry schedule, then expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

from bot.outbound import SendFailed

log = logging.getLogger("dms.outbound")

TTL_SECONDS = 24 * 3600  # the retry schedule (bot.job_queue) spans under 15 minutes

Step = Callable[[], Awaitable[None]]


class SendProgress(Protocol):
    async def done(self, key: str) -> int:
        """How many steps of the Outbound with this key went out already."""
        ...

    async def mark(self, key: str, done: int) -> None: ...
    async def clear(self, key: str) -> None: ...


class InMemorySendProgress:
    """One process's record, bounded: the oldest unfinished sends are forgotten first."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._done: OrderedDict[str, int] = OrderedDict()

    async def done(self, key: str) -> int:
        return self._done.get(key, 0)

    async def mark(self, key: str, done: int) -> None:
        self._done[key] = done
        self._done.move_to_end(key)
        while len(self._done) > self.limit:
            self._done.popitem(last=False)

    async def clear(self, key: str) -> None:
        self._done.pop(key, None)


class RedisSendProgress:
    """Shared by every worker. Redis calls run in a thread, off the loop the sends share.

    A record that cannot be read fails the attempt (retried later, as when the channel is
    down); one that cannot be written is logged and skipped: the piece went out, and at worst
    a retry repeats it."""

    def __init__(self, redis: Redis, prefix: str = "dms:sent:") -> None:
        self.redis, self.prefix = redis, prefix

    async def done(self, key: str) -> int:
        try:
            raw = await asyncio.to_thread(self.redis.get, self.prefix + key)
        except RedisError as exc:
            raise SendFailed(f"send progress unreadable: {type(exc).__name__}") from exc
        return int(raw) if isinstance(raw, bytes | str) else 0

    async def mark(self, key: str, done: int) -> None:
        try:
            await asyncio.to_thread(self.redis.set, self.prefix + key, done, ex=TTL_SECONDS)
        except RedisError as exc:
            log.warning("send progress not recorded", extra={"key": key,
                                                              "error": type(exc).__name__})

    async def clear(self, key: str) -> None:
        try:
            await asyncio.to_thread(self.redis.delete, self.prefix + key)
        except RedisError as exc:  # it expires by itself
            log.warning("send progress not cleared", extra={"key": key,
                                                             "error": type(exc).__name__})


def send_progress(redis: Redis | None) -> SendProgress:
    return RedisSendProgress(redis) if redis is not None else InMemorySendProgress()


async def run_steps(progress: SendProgress, key: str, steps: Sequence[Step]) -> None:
    """Runs the steps not yet done for `key`, recording each as it succeeds; the first
    failure propagates, and the next call with the same key resumes there."""
    start = await progress.done(key)
    for number, step in enumerate(steps[start:], start=start + 1):
        await step()
        await progress.mark(key, number)
    await progress.clear(key)
