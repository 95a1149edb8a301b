"""Chat messages run on at most INBOX_THREADS threads per process; the rest wait their turn."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from api.bootstrap import bootstrap
from api.settings import Settings
from bot.messages import IncomingMessage, Reply


class CountingInbox:
    def __init__(self) -> None:
        self.running = self.most = 0
        self.guard = threading.Lock()

    def handle(self, msg: IncomingMessage) -> list[Reply]:
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
