"""Per-sender locks: one sender's messages are handled one at a time, across workers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Protocol

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError


class SenderBusy(Exception):
    """The sender's previous message is still being handled; the channel should retry."""


class SenderLocks(Protocol):
    def hold(self, sender: str, wait: float | None = None) -> AbstractContextManager[None]:
        """Held while one message of the sender is handled; SenderBusy if still taken after
        `wait` seconds (the configured wait when None; 0: one try)."""
        ...


class InProcessSenderLocks:
    def __init__(self, wait_seconds: float) -> None:
        self.wait = wait_seconds
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, sender: str, wait: float | None = None) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(sender, threading.Lock())
        if not lock.acquire(timeout=self.wait if wait is None else wait):
            raise SenderBusy(sender)
        try:
            yield
        finally:
            lock.release()


class RedisSenderLocks:
    def __init__(self, redis: Redis, wait_seconds: float, lease_seconds: float,
                 prefix: str = "dms:lock:") -> None:
        self.redis, self.wait, self.lease, self.prefix = redis, wait_seconds, lease_seconds, prefix

    @contextmanager
    def hold(self, sender: str, wait: float | None = None) -> Iterator[None]:
        # The lease bounds how long a crashed worker can block its sender.
        lock = self.redis.lock(self.prefix + sender, timeout=self.lease,
                               blocking_timeout=self.wait if wait is None else wait)
        if not lock.acquire():
            raise SenderBusy(sender)
        try:
            yield
        finally:
            # The lease may have run out while we worked; someone else may hold it now. If Redis
            # went away meanwhile, the lease frees the lock: the message itself was handled.
            with suppress(LockError, RedisConnectionError, RedisTimeoutError):
                lock.release()
