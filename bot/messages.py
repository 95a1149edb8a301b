"""What every channel turns its payload into, and what the dialogue answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.model.field_limits import text_problem


@dataclass(frozen=True)
class IncomingMessage:
    channel: str  # whatsapp | telegram | webchat
    message_id: str  # the vendor's id: a redelivery carries the same one
    sender: str  # the channel identity: an E.164 phone, or a party id on the web chat
    text: str = ""
    payload: str | None = None  # a tapped button's payload
    media_count: int = 0
    party_id: str | None = None  # set by channels that already know the party
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    location: tuple[float, float] | None = None  # (latitude, longitude) of a shared location

    @property
    def dedup_key(self) -> str:
        return f"{self.channel}:{self.message_id}"


MESSAGE_ID_MAX = 150  # the inbound log's key holds "<channel>:<message id>" in 200


def message_id_ok(value: str, limit: int = MESSAGE_ID_MAX) -> bool:
    """Whether a channel's message id (or sender) can be stored and looked up as given: no
    NUL, no lone surrogate, not past the key's length."""
    return 0 < len(value) <= limit and text_problem(value) is None


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Document:
    """A file sent with a reply (a long statement as CSV); channels without files show text."""

    filename: str
    mime_type: str
    content: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    document: Document | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons]}
        if self.document is not None:
            data["document"] = {"filename": self.document.filename,
                                "mime_type": self.document.mime_type,
                                "content": self.document.content}
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Reply:
        doc = data.get("document")
        return Reply(
            text=str(data["text"]),
            buttons=tuple(Button(str(b["title"]), str(b["payload"])) for b in data["buttons"]),
            document=Document(str(doc["filename"]), str(doc["mime_type"]), str(doc["content"]))
            if doc else None,
        )
