"""The fast half of dedup: replies already sent, by message key, with a TTL.

The durable half is the inbound_message table (domain.services.unit_of_work.InboundLog):
a redelivery that outlives this cache still finds its reply there.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, cast

from redis import Redis


class ReplyCache(Protocol):
    def get(self, key: str) -> str | None: ...
    def put(self, key: str, replies_json: str) -> None: ...


class InMemoryReplyCache:
    def __init__(self, ttl_seconds: int, max_items: int = 100_000) -> None:
        self.ttl, self.max_items = ttl_seconds, max_items
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._items.get(key)
            return found[1] if found and found[0] >= time.monotonic() else None

    def put(self, key: str, replies_json: str) -> None:
        with self._lock:
            if len(self._items) >= self.max_items:
                now = time.monotonic()
                self._items = {k: v for k, v in self._items.items() if v[0] >= now}
            self._items[key] = (time.monotonic() + self.ttl, replies_json)


class RedisReplyCache:
    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "dms:reply:") -> None:
        self.redis, self.ttl, self.prefix = redis, ttl_seconds, prefix

    def get(self, key: str) -> str | None:
        raw = cast(bytes | str | None, self.redis.get(self.prefix + key))
        return raw.decode() if isinstance(raw, bytes) else raw

    def put(self, key: str, replies_json: str) -> None:
        self.redis.set(self.prefix + key, replies_json, ex=self.ttl)
