"""A message the business sends a party on its own initiative (not a reply)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notice:
    party_id: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [list(b) for b in self.buttons]}

    @staticmethod
    def from_json(party_id: str, data: dict[str, Any], notice_id: int | None = None) -> Notice:
        return Notice(party_id=party_id, text=str(data["text"]), id=notice_id,
                      buttons=tuple((str(t), str(p)) for t, p in data.get("buttons", [])))
