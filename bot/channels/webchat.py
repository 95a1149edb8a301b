"""The web chat at /chat: JSON in, replies with real buttons out. Same dialogue as the phones."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from redis import Redis

from bot.messages import IncomingMessage, Reply
from bot.outbound import Outbound

CHANNEL = "webchat"


def to_incoming(party_id: str, text: str, payload: str | None, message_id: str | None
                ) -> IncomingMessage:
    return IncomingMessage(
        channel=CHANNEL,
        message_id=message_id or uuid.uuid4().hex,
        sender=f"web:{party_id}",
        text=text,
        payload=payload,
        party_id=party_id,
    )


def render(replies: list[Reply]) -> list[dict[str, Any]]:
    return [r.to_json() for r in replies]


class WebChatMailbox:
    """Notices for parties on the web chat, kept until the page fetches them."""

    channel = CHANNEL

    def __init__(self, redis: Redis | None, keep: int = 50) -> None:
        self.redis = redis
        self.keep = keep
        self._items: dict[str, list[str]] = {}

    async def send(self, out: Outbound) -> None:
        raw = [json.dumps(r.to_json()) for r in out.replies]
        if self.redis is None:
            self._items.setdefault(out.to, []).extend(raw)
            del self._items[out.to][: -self.keep]
            return
        # In a thread: a slow or unreachable Redis must not hold up the sender's event loop.
        await asyncio.to_thread(self._push, out.to, raw)

    def _push(self, party_id: str, raw: list[str]) -> None:
        assert self.redis is not None
        key = f"dms:webchat:{party_id}"
        pipe = self.redis.pipeline()
        pipe.rpush(key, *raw)
        pipe.ltrim(key, -self.keep, -1)
        pipe.expire(key, 7 * 24 * 3600)
        pipe.execute()

    def take(self, party_id: str) -> list[Reply]:
        if self.redis is None:
            raw = self._items.pop(party_id, [])
        else:
            key = f"dms:webchat:{party_id}"
            pipe = self.redis.pipeline()
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            raw = [r.decode() if isinstance(r, bytes) else r for r in pipe.execute()[0]]
        return [Reply.from_json(json.loads(r)) for r in raw]
