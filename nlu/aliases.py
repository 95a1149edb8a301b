"""Learned phrases: what a shop calls a product, taught when it answers "did you mean ...?".

A phrase learned from one sender serves that sender at once; once enough different senders
taught the same phrase the same SKU, it serves everyone.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from domain.model.learned_alias import GLOBAL_AFTER_SENDERS, LearnedAlias
from nlu.text_normalization import normalize


def phrase_key(phrase: str) -> str:
    """The form phrases are stored and looked up in: normalized, single-spaced."""
    return " ".join(normalize(phrase).split())


class AliasBook(Protocol):
    def lookup(self, phrase: str, sender: str | None) -> str | None:
        """The SKU this sender (first) or everyone (then) means by `phrase`, if learned."""
        ...


class InMemoryAliasBook:
    """The in-process twin of the persistent alias book."""

    def __init__(self, promote_after: int = GLOBAL_AFTER_SENDERS) -> None:
        self.promote_after = promote_after
        self._personal: dict[tuple[str, str], str] = {}
        self._global: dict[str, str] = {}
        self._teachers: dict[tuple[str, str], set[str]] = defaultdict(set)

    def learn(self, phrase: str, sku: str, sender: str | None) -> None:
        key = phrase_key(phrase)
        if not key:
            return
        if sender is None:
            self._global[key] = sku
            return
        previous = self._personal.get((sender, key))
        if previous is not None and previous != sku:
            self._teachers[(key, previous)].discard(sender)  # a sender counts for one answer
        self._personal[(sender, key)] = sku
        teachers = self._teachers[(key, sku)]
        teachers.add(sender)
        if len(teachers) >= self.promote_after:
            self._global[key] = sku

    def lookup(self, phrase: str, sender: str | None) -> str | None:
        key = phrase_key(phrase)
        if sender is not None and (sender, key) in self._personal:
            return self._personal[(sender, key)]
        return self._global.get(key)


class LearnedAliasBook:
    """The parser's copy of the persisted alias table (domain AliasRepository).

    Loaded once per catalog snapshot and kept current in place as rows are learned or re-read,
    so a parse never waits on the database: a lookup is two dict reads.
    """

    def __init__(self, rows: Iterable[LearnedAlias] = ()) -> None:
        self._personal: dict[tuple[str, str], str] = {}
        self._global: dict[str, str] = {}
        self._lock = threading.Lock()
        self.apply(rows)

    def apply(self, rows: Iterable[LearnedAlias]) -> None:
        """Takes rows as the repository holds them now (a re-read row replaces its old self)."""
        with self._lock:
            for row in rows:
                if row.sender_id is None:
                    self._global[row.phrase] = row.sku
                else:
                    self._personal[(row.sender_id, row.phrase)] = row.sku

    def lookup(self, phrase: str, sender: str | None) -> str | None:
        key = phrase_key(phrase)
        if sender is not None:
            own = self._personal.get((sender, key))
            if own is not None:
                return own
        return self._global.get(key)

    def __len__(self) -> int:
        return len(self._personal) + len(self._global)
