"""The port every NLU backend implements (the built-in rules now, Rasa later)."""

from __future__ import annotations

from typing import Protocol

from nlu.parse_result import Parse, ParseContext


class Parser(Protocol):
    def parse(self, text: str, context: ParseContext) -> Parse:
        """Any string -> a Parse; never raises."""
        ...

    def suggest(self, text: str, limit: int = 3) -> list[tuple[str, float]]:
        """Closest SKUs for a phrase nothing matched, best first, score in [0, 1]."""
        ...
