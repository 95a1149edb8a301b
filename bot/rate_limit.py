"""Per-sender rate limit: a fixed one-minute window, in Redis or in-process.

A sender over the limit gets one polite reply per window and nothing is processed: no parse,
no database work, no dedup record (so a message retried after the window is handled).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, cast

from redis import Redis


class RateLimiter(Protocol):
    def hit(self, sender: str) -> int:
        """Counts this message and returns how many the sender sent in this window."""
        ...


class InProcessRateLimiter:
    def __init__(self, window_seconds: int = 60) -> None:
        self.window = window_seconds
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, sender: str) -> int:
        slot = int(time.time()) // self.window
        with self._lock:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] == slot}
            count = self._counts.get((sender, slot), 0) + 1
            self._counts[(sender, slot)] = count
            return count


class RedisRateLimiter:
    def __init__(self, redis: Redis, window_seconds: int = 60, prefix: str = "dms:rl:") -> None:
        self.redis, self.window, self.prefix = redis, window_seconds, prefix

    def hit(self, sender: str) -> int:
        key = f"{self.prefix}{sender}:{int(time.time()) // self.window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.window * 2)
        count, _ = cast(tuple[int, bool], tuple(pipe.execute()))
        return int(count)
