"""The web chat at /chat: JSON in, replies with real buttons out. Same dialogue as the phones."""

from __future__ import annotations

import uuid
from typing import Any

from bot.messages import IncomingMessage, Reply

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
