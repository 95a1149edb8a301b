"""Learned phrases: what a shop calls a product, taught when it answers "did you mean ...?".

A phrase learned from one sender serves that sender at once; once enough different senders
taught the same phrase the same SKU, it serves everyone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from nlu.text_normalization import normalize

GLOBAL_AFTER_SENDERS = 3


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
