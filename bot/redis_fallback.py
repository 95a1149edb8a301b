"""When Redis is unreachable, the bot keeps answering on the in-process twins.

Redis holds only what can be rebuilt or is short-lived (README, "Running at scale"). While it
is down, each app process keeps conversation state, the reply cache, per-sender locks and
rate-limit counts in its own memory; exactly-once still holds through the inbound_message
primary key (the durable half of dedup) and a draft's unique id on its order. Each wrapper
tries Redis, falls back on a connection error or a timeout, and leaves Redis alone for a few
seconds before trying it again; the outage is logged once, when it starts and when it ends.

What an outage costs: a draft kept in Redis is out of reach until Redis returns (and gone if
Redis lost its data), and a draft begun during the outage lives in one process only, so a YES
that another process handles finds no draft and says so. A new outage starts the twins empty,
so a draft left over from an earlier outage is never confirmed by surprise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.dedup import InMemoryReplyCache, ReplyCache
from bot.locks import InProcessSenderLocks, SenderLocks
from bot.rate_limit import InProcessRateLimiter, RateLimiter
from bot.state import ConversationStore, InMemoryConversationStore, State

log = logging.getLogger("dms.redis")

T = TypeVar("T")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
RETRY_SECONDS = 5.0


class RedisOutage:
    """Whether Redis is worth trying, shared by one process's wrappers: after a failure it is
    left alone for `retry_seconds`, so an outage costs one refused connection per few seconds,
    not one per call."""

    def __init__(self, retry_seconds: float = RETRY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.outages = 0  # how many have started; a new one gives the twins a clean start
        self._down_until: float | None = None  # None while Redis answers
        self._guard = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down_until is not None

    def worth_trying(self) -> bool:
        until = self._down_until
        return until is None or self.clock() >= until

    def failed(self, exc: Exception) -> None:
        with self._guard:
            starting = self._down_until is None
            self._down_until = self.clock() + self.retry_seconds
            if starting:
                self.outages += 1
        if starting:
            log.warning("redis unreachable (%s): state, reply cache, locks and rate limits "
                        "are in-process until it returns; retrying every %.0f s",
                        type(exc).__name__, self.retry_seconds)

    def answered(self) -> None:
        if self._down_until is None:
            return
        with self._guard:
            ending, self._down_until = self._down_until is not None, None
        if ending:
            log.warning("redis is back: state, reply cache, locks and rate limits are shared "
                        "again")

    def call(self, on_redis: Callable[[], T], in_process: Callable[[], T]) -> T:
        if not self.worth_trying():
            return in_process()
        try:
            result = on_redis()
        except REDIS_DOWN as exc:
            self.failed(exc)
            return in_process()
        self.answered()
        return result


class FallbackConversationStore:
    def __init__(self, redis_store: ConversationStore, outage: RedisOutage,
                 ttl_seconds: int) -> None:
        self.redis_store, self.outage, self.ttl = redis_store, outage, ttl_seconds
        self._twin = InMemoryConversationStore(ttl_seconds)
        self._twin_outage = 0

    def twin(self) -> InMemoryConversationStore:
        if self._twin_outage != self.outage.outages:
            self._twin, self._twin_outage = (InMemoryConversationStore(self.ttl),
                                             self.outage.outages)
        return self._twin

    def load(self, key: str) -> State:
        return self.outage.call(lambda: self.redis_store.load(key), lambda: self.twin().load(key))

    def save(self, key: str, state: State) -> None:
        self.outage.call(lambda: self.redis_store.save(key, state),
                         lambda: self.twin().save(key, state))

    def clear(self, key: str) -> None:
        self.outage.call(lambda: self.redis_store.clear(key), lambda: self.twin().clear(key))


class FallbackReplyCache:
    def __init__(self, redis_cache: ReplyCache, outage: RedisOutage, ttl_seconds: int) -> None:
        self.redis_cache, self.outage = redis_cache, outage
        self.twin = InMemoryReplyCache(ttl_seconds)

    def get(self, key: str) -> str | None:
        return self.outage.call(lambda: self.redis_cache.get(key), lambda: self.twin.get(key))

    def put(self, key: str, replies_json: str) -> None:
        self.outage.call(lambda: self.redis_cache.put(key, replies_json),
                         lambda: self.twin.put(key, replies_json))


class FallbackSenderLocks:
    """The Redis lock when Redis answers, else this process's lock for the sender. During an
    outage two processes may handle one sender at once: the inbound log's key and the draft's
    unique id on its order still keep each message and each order to one."""

    def __init__(self, redis_locks: SenderLocks, outage: RedisOutage,
                 wait_seconds: float) -> None:
        self.redis_locks, self.outage = redis_locks, outage
        self.twin = InProcessSenderLocks(wait_seconds)

    @contextmanager
    def hold(self, sender: str, wait: float | None = None) -> Iterator[None]:
        with ExitStack() as held:
            on_redis = False
            if self.outage.worth_trying():
                try:
                    held.enter_context(self.redis_locks.hold(sender, wait))
                except REDIS_DOWN as exc:
                    self.outage.failed(exc)
                else:
                    self.outage.answered()
                    on_redis = True
            if not on_redis:
                held.enter_context(self.twin.hold(sender, wait))
            yield


class FallbackRateLimiter:
    def __init__(self, redis_limiter: RateLimiter, outage: RedisOutage) -> None:
        self.redis_limiter, self.outage = redis_limiter, outage
        self.twin = InProcessRateLimiter()

    def hit(self, sender: str) -> int:
        return self.outage.call(lambda: self.redis_limiter.hit(sender),
                                lambda: self.twin.hit(sender))
