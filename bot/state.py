"""Conversation state: JSON per sender with a TTL, in Redis or in an in-process twin."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol, cast

from redis import Redis

State = dict[str, Any]


class ConversationStore(Protocol):
    def load(self, key: str) -> State: ...
    def save(self, key: str, state: State) -> None: ...
    def clear(self, key: str) -> None: ...


class InMemoryConversationStore:
    def __init__(self, ttl_seconds: int) -> None:
        self.ttl = ttl_seconds
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> State:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < time.monotonic():
                self._items.pop(key, None)
                return {}
            return dict(json.loads(found[1]))

    def save(self, key: str, state: State) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl, json.dumps(state))

    def clear(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class RedisConversationStore:
    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "dms:conv:") -> None:
        self.redis, self.ttl, self.prefix = redis, ttl_seconds, prefix

    def load(self, key: str) -> State:
        raw = cast(bytes | None, self.redis.get(self.prefix + key))
        return dict(json.loads(raw)) if raw else {}

    def save(self, key: str, state: State) -> None:
        self.redis.set(self.prefix + key, json.dumps(state), ex=self.ttl)

    def clear(self, key: str) -> None:
        self.redis.delete(self.prefix + key)
