"""Conversation state, reply cache and sender locks: in-process and on the real Redis."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from redis import Redis

from bot.dedup import InMemoryReplyCache, RedisReplyCache, ReplyCache
from bot.locks import InProcessSenderLocks, RedisSenderLocks, SenderBusy, SenderLocks
from bot.state import ConversationStore, InMemoryConversationStore, RedisConversationStore


def stores(redis_url: str | None, ttl: int = 60) -> tuple[ConversationStore, ReplyCache,
                                                          SenderLocks]:
    if redis_url is None:
        return (InMemoryConversationStore(ttl), InMemoryReplyCache(ttl),
                InProcessSenderLocks(wait_seconds=0.3))
    redis = Redis.from_url(redis_url)
    return (RedisConversationStore(redis, ttl), RedisReplyCache(redis, ttl),
            RedisSenderLocks(redis, wait_seconds=0.3, lease_seconds=5))


def test_state_round_trips_and_clears(redis_url: str | None) -> None:
    states, _, _ = stores(redis_url)
    assert states.load("R-1") == {}
    states.save("R-1", {"draft": {"id": "x", "lines": [{"sku": "TU-750", "qty": "2"}]}})
    assert states.load("R-1")["draft"]["lines"][0]["qty"] == "2"
    states.clear("R-1")
    assert states.load("R-1") == {}


def test_state_expires_after_its_ttl(redis_url: str | None) -> None:
    states, _, _ = stores(redis_url, ttl=1)
    states.save("R-2", {"draft": {}})
    time.sleep(1.2)
    assert states.load("R-2") == {}


def test_reply_cache_remembers_by_key(redis_url: str | None) -> None:
    _, cache, _ = stores(redis_url)
    assert cache.get("whatsapp:SM1") is None
    cache.put("whatsapp:SM1", '[{"text": "hi", "buttons": []}]')
    assert cache.get("whatsapp:SM1") == '[{"text": "hi", "buttons": []}]'


def test_one_sender_is_handled_one_message_at_a_time(redis_url: str | None) -> None:
    _, _, locks = stores(redis_url)
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(5):
            while True:
                try:
                    with locks.hold("+919800000001"):
                        with guard:
                            inside += 1
                            most = max(most, inside)
                        time.sleep(0.005)
                        with guard:
                            inside -= 1
                    break
                except SenderBusy:
                    continue

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert most == 1


def test_a_busy_sender_is_refused_after_the_wait(redis_url: str | None) -> None:
    _, _, locks = stores(redis_url)
    with locks.hold("+919800000002"):
        errors: list[BaseException] = []

        def second() -> None:
            try:
                with locks.hold("+919800000002"):
                    pass
            except SenderBusy as exc:
                errors.append(exc)

        t = threading.Thread(target=second)
        t.start()
        t.join(timeout=5)
        assert len(errors) == 1
    # Other senders are never blocked by it.
    with locks.hold("+919800000003"):
        pass


@pytest.mark.parametrize("redis_url", ["redis"], indirect=True)
def test_a_crashed_holder_blocks_its_sender_only_for_the_lease(redis_url: str | None) -> None:
    assert redis_url is not None
    redis = Redis.from_url(redis_url)
    crashed = redis.lock("dms:lock:+919800000004", timeout=1)
    assert crashed.acquire()  # never released, as if the worker died
    locks = RedisSenderLocks(redis, wait_seconds=3, lease_seconds=5)
    with locks.hold("+919800000004"):
        pass


def test_a_redis_that_stops_answering_fails_over_in_bounded_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Redis that accepts connections and then says nothing (hung, or a dead peer behind a
    live proxy): the app's clients time out and the in-process twins answer, instead of a
    webhook thread waiting for ever."""
    from api import bootstrap as wiring
    from api.settings import Settings

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes connections; nobody reads or writes
    monkeypatch.setattr(wiring, "REDIS_TIMEOUTS",
                        {**wiring.REDIS_TIMEOUTS, "socket_timeout": 0.3})
    settings = Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'dms.db'}",
                        REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    services = wiring.bootstrap(settings)
    try:
        started = time.monotonic()
        services.states.save("R-1", {"draft": {"id": "d1", "lines": []}})
        assert services.states.load("R-1") == {"draft": {"id": "d1", "lines": []}}
        assert time.monotonic() - started < 5
    finally:
        services.close()
        silent.close()
