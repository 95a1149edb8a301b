"""Phrases a shop taught the bot by picking a product: "maggi" means MAGGI-70G, for this shop.

A phrase learned from one sender serves that sender; once enough different senders taught the
same phrase the same SKU, a global row (sender None) serves everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

GLOBAL_AFTER_SENDERS = 3


@dataclass(frozen=True)
class LearnedAlias:
    phrase: str  # the phrase key: normalized, single-spaced (nlu.aliases.phrase_key)
    sku: str
    sender_id: str | None  # the party who taught it; None: the phrase serves everyone
    count: int  # per sender: times taught; global: senders who agree
    updated_at: datetime

    @property
    def is_global(self) -> bool:
        return self.sender_id is None


def promoted(agreeing: Mapping[str, int], current: str | None,
             threshold: int = GLOBAL_AFTER_SENDERS) -> str | None:
    """The SKU the phrase should mean for everyone, given how many senders back each SKU.

    A SKU takes the global meaning once `threshold` senders agree on it and no other SKU has
    more of them; the current global meaning keeps a tie.
    """
    if not agreeing:
        return current
    best = max(agreeing.values())
    if best < threshold or (current is not None and agreeing.get(current, 0) == best):
        return current
    return min(sku for sku, n in agreeing.items() if n == best)
