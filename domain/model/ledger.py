"""A party's account: entries that are never edited, only reversed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

# The first day the ledger and its statements reach back to.
EARLIEST = date(2000, 1, 1)


class EntryKind(StrEnum):
    INVOICE = "invoice"  # debit: goods dispatched to the party
    PAYMENT = "payment"  # credit: money received from the party
    CREDIT_NOTE = "credit_note"  # credit: returns, scheme settlements, claims
    DEBIT_NOTE = "debit_note"  # debit: charges
    REVERSAL = "reversal"  # the mirror of an earlier entry


DEBIT_KINDS = frozenset({EntryKind.INVOICE, EntryKind.DEBIT_NOTE})


@dataclass(frozen=True)
class LedgerEntry:
    """Debit raises what the party owes; credit lowers it."""

    party_id: str
    kind: EntryKind
    ref: str
    debit: Decimal
    credit: Decimal
    on: date
    created_at: datetime
    narration: str = ""
    client_id: str | None = None
    reverses_id: int | None = None
    order_id: int | None = None
    id: int | None = None

    @property
    def amount(self) -> Decimal:
        return self.debit - self.credit
