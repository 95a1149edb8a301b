"""A party's purchase history (SKU -> orders it was in), read on first use.

The parser consults it only to settle an ambiguous product ("mirinda" in two sizes); most
messages never do, so the query is paid by the few that need it instead of by every message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping


class PurchaseHistory(Mapping[str, int]):
    def __init__(self, load: Callable[[], dict[str, int]]) -> None:
        self._load = load
        self._counts: dict[str, int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = self._load()
        return self._counts

    @property
    def loaded(self) -> bool:
        return self._counts is not None

    def __getitem__(self, sku: str) -> int:
        return self.counts[sku]

    def __iter__(self) -> Iterator[str]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)
