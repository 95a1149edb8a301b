"""Redis unreachable: each port falls back to its in-process twin, says so once, and tries Redis
again a few seconds later (the real outage, on the real services: tests/integration/test_faults)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.locks import SenderBusy
from bot.redis_fallback import (
    FallbackConversationStore,
    FallbackRateLimiter,
    FallbackReplyCache,
    FallbackSenderLocks,
    RedisOutage,
)
from bot.state import State


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyRedis:
    """Every port's Redis implementation at once: a dict, or ConnectionError while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0
        self.items: dict[str, Any] = {}

    def _reach(self) -> None:
        self.calls += 1
        if self.down:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    def load(self, key: str) -> State:
        self._reach()
        return dict(self.items.get(key, {}))

    def save(self, key: str, state: State) -> None:
        self._reach()
        self.items[key] = dict(state)

    def clear(self, key: str) -> None:
        self._reach()
        self.items.pop(key, None)

    def get(self, key: str) -> str | None:
        self._reach()
        found = self.items.get(key)
        return found if isinstance(found, str) else None

    def put(self, key: str, replies_json: str) -> None:
        self._reach()
        self.items[key] = replies_json

    def hit(self, sender: str) -> int:
        self._reach()
        self.items[sender] = self.items.get(sender, 0) + 1
        return int(self.items[sender])

    @contextmanager
    def hold(self, sender: str, wait: float | None = None) -> Iterator[None]:
        self._reach()
        yield


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def redis() -> FlakyRedis:
    return FlakyRedis()


@pytest.fixture
def outage(clock: Clock) -> RedisOutage:
    return RedisOutage(retry_seconds=5.0, clock=clock)


def test_drafts_live_in_process_while_redis_is_down_and_in_redis_again_after(
        redis: FlakyRedis, outage: RedisOutage, clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    states = FallbackConversationStore(redis, outage, ttl_seconds=3600)
    states.save("R-1", {"draft": "before"})
    redis.down = True
    with caplog.at_level(logging.WARNING, logger="dms.redis"):
        assert states.load("R-1") == {}  # out of reach, not an error
        states.save("R-1", {"draft": "during"})
        assert states.load("R-1") == {"draft": "during"}
        assert redis.calls == 2  # one refused call, then Redis is left alone
        clock.now += 5.0
        assert states.load("R-1") == {"draft": "during"}  # tried again: still down
        assert redis.calls == 3
        redis.down = False
        clock.now += 5.0
        assert states.load("R-1") == {"draft": "before"}  # Redis again
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2 and "unreachable" in said[0] and "back" in said[1]


def test_a_new_outage_starts_with_no_draft_left_from_the_last_one(
        redis: FlakyRedis, outage: RedisOutage, clock: Clock) -> None:
    states = FallbackConversationStore(redis, outage, ttl_seconds=3600)
    redis.down = True
    states.save("R-1", {"draft": "first outage"})
    redis.down, clock.now = False, clock.now + 5.0
    assert states.load("R-1") == {}
    redis.down = True
    assert states.load("R-1") == {}


def test_reply_cache_and_rate_limit_fall_back_too(redis: FlakyRedis,
                                                  outage: RedisOutage) -> None:
    cache = FallbackReplyCache(redis, outage, ttl_seconds=60)
    limiter = FallbackRateLimiter(redis, outage)
    assert limiter.hit("+91") == 1
    redis.down = True
    cache.put("whatsapp:SM1", "[]")
    assert cache.get("whatsapp:SM1") == "[]"
    assert (limiter.hit("+91"), limiter.hit("+91")) == (1, 2)  # counted afresh in-process


def test_while_redis_is_down_one_process_still_serialises_a_sender(
        redis: FlakyRedis, outage: RedisOutage) -> None:
    locks = FallbackSenderLocks(redis, outage, wait_seconds=0.05)
    redis.down = True
    with locks.hold("+91"), pytest.raises(SenderBusy), locks.hold("+91"):
        pass
    with locks.hold("+91"):  # released
        pass
