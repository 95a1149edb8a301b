"""Chat messages run on at most INBOX_THREADS threads per process; the rest wait their turn."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from prometheus_client import REGISTRY

from api.bootstrap import bootstrap
from api.settings import Settings
from bot.messages import IncomingMessage, Reply


class CountingInbox:
    def __init__(self) -> None:
        self.running = self.most = 0
        self.guard = threading.Lock()

    def handle(self, msg: IncomingMessage, sender_wait: float | None = None,
               admitted: bool = False) -> list[Reply]:
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.guard:
            self.running -= 1
        return [Reply(f"got {msg.text}")]


def test_messages_share_a_few_threads_and_all_are_answered(tmp_path: Path) -> None:
    services = bootstrap(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'dms.db'}",
                                  INBOX_THREADS=3))
    inbox = CountingInbox()
    services.inbox = inbox  # type: ignore[assignment]

    async def burst() -> list[list[Reply]]:
        return await asyncio.gather(*(
            services.handle(IncomingMessage("whatsapp", f"SM{n}", f"+9198000000{n:02d}", str(n)))
            for n in range(12)))

    try:
        answers = asyncio.run(burst())
    finally:
        services.close()
    assert [a[0].text for a in answers] == [f"got {n}" for n in range(12)]
    assert inbox.most == 3


def test_a_burst_from_one_sender_does_not_take_the_threads_from_others(
        tmp_path: Path) -> None:
    """Five messages of one shop arrive together while its first is still being handled: they
    wait for its lock on the event loop, so another shop's message gets a thread at once."""
    services = bootstrap(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'dms.db'}",
                                  INBOX_THREADS=2, SENDER_LOCK_WAIT_SECONDS=5))
    slow = threading.Event()
    inbox = services.inbox
    answered_at: dict[str, float] = {}

    def answer(msg: IncomingMessage, *rest: object) -> list[Reply]:
        if msg.text == "first":
            slow.wait(1.0)  # the shop's first message takes a second
        answered_at[msg.message_id] = time.monotonic()
        return [Reply(f"got {msg.text}")]

    inbox._answer = answer  # type: ignore[method-assign,assignment]  # the lock, dedup stay
    shop, other = "+919800000001", "+919800000002"

    async def scenario() -> list[list[Reply]]:
        first = asyncio.create_task(services.handle(
            IncomingMessage("webchat", "m0", shop, "first")))
        await asyncio.sleep(0.1)
        burst = [asyncio.create_task(services.handle(
            IncomingMessage("webchat", f"m{n}", shop, f"again {n}"))) for n in range(1, 6)]
        await asyncio.sleep(0.1)
        started = time.monotonic()
        theirs = await services.handle(IncomingMessage("webchat", "o1", other, "hello"))
        assert time.monotonic() - started < 0.5, "the other shop waited for the burst"
        return [*(await asyncio.gather(first, *burst)), theirs]

    busy_errors = REGISTRY.get_sample_value("dms_errors_total", {"kind": "SenderBusy"}) or 0
    try:
        answers = asyncio.run(scenario())
    finally:
        services.close()
    # Waiting for the lock is no error: the alert on dms_errors_total must not fire on bursts.
    assert (REGISTRY.get_sample_value("dms_errors_total", {"kind": "SenderBusy"}) or 0
            ) == busy_errors
    assert [a[0].text for a in answers] == [
        "got first", *(f"got again {n}" for n in range(1, 6)), "got hello"]
    assert answered_at["o1"] < answered_at["m0"]  # not behind the shop's slow message


def test_a_message_retried_for_its_busy_sender_is_counted_once(tmp_path: Path) -> None:
    services = bootstrap(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'dms.db'}",
                                  RATE_LIMIT_PER_MINUTE=1))
    shop = "+919800000001"
    try:
        first = services.inbox.handle(IncomingMessage("webchat", "m1", shop, "hello"))
        retried = services.inbox.handle(IncomingMessage("webchat", "m2", shop, "hello"),
                                        admitted=True)
        third = services.inbox.handle(IncomingMessage("webchat", "m3", shop, "hello"))
    finally:
        services.close()
    assert "too fast" not in first[0].text and "too fast" not in retried[0].text
    assert "faster than I can read" in third[0].text
