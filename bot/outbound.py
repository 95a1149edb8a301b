"""Messages we send on our own initiative (notifications, alerts, replies on push channels).

They go through a queue (bot.job_queue) so that a channel outage delays them instead of
losing them. Each channel provides a ChannelSender; the queue calls it, retries what is
retryable and records a dead letter for what is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.messages import Reply


@dataclass(frozen=True)
class Outbound:
    channel: str  # telegram | whatsapp (Twilio) | whatsapp_cloud
    to: str  # a Telegram chat id, or an E.164 phone
    replies: tuple[Reply, ...]
    key: str  # idempotency key: one key is delivered at most once
    party_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "to": self.to, "key": self.key,
                "party_id": self.party_id, "replies": [r.to_json() for r in self.replies]}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Outbound:
        return Outbound(channel=data["channel"], to=data["to"], key=data["key"],
                        party_id=data.get("party_id"),
                        replies=tuple(Reply.from_json(r) for r in data["replies"]))


class SendFailed(Exception):
    """A send that did not go through. Retryable failures are tried again later."""

    def __init__(self, reason: str, retryable: bool = True, retry_after: float | None = None
                 ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after


class ChannelSender(Protocol):
    channel: str

    async def send(self, out: Outbound) -> None:
        """Delivers every reply of `out`, or raises SendFailed."""
        ...
