"""Ageing walks only the newest debits, yet says what paying the oldest debits first says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.adapters.memory import MemoryStore, MemoryUnitOfWork
from domain.model.ledger import EntryKind, LedgerEntry
from domain.model.party import Party, Role
from domain.services.statements import AGEING_BUCKETS, ZERO, statement

TODAY = date(2026, 11, 28)
SHOP = Party(id="R-1", role=Role.RETAILER, name="Sharma Kirana", phone="+919800000001")


def fifo_ageing(entries: list[LedgerEntry], as_of: date) -> dict[str, Decimal]:
    """The definition: every credit pays the oldest debit still open."""
    credits = sum((e.credit for e in entries), ZERO)
    buckets = {name: ZERO for name, _, _ in AGEING_BUCKETS}
    for entry in sorted((e for e in entries if e.debit > 0), key=lambda e: (e.on, e.id or 0)):
        covered = min(credits, entry.debit)
        credits -= covered
        left = entry.debit - covered
        if left <= 0:
            continue
        age = (as_of - entry.on).days
        for name, low, high in AGEING_BUCKETS:
            if age >= low and (high is None or age <= high):
                buckets[name] += left
                break
    return buckets


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)
entries = st.lists(st.tuples(st.booleans(), amounts, st.integers(0, 400)), max_size=160)


@settings(max_examples=200, deadline=None)
@given(entries)
def test_ageing_matches_paying_the_oldest_debits_first(
        raw: list[tuple[bool, Decimal, int]]) -> None:
    store = MemoryStore()
    uow = MemoryUnitOfWork(store)
    with uow:
        uow.parties.upsert(SHOP)
        for n, (is_debit, amount, days_ago) in enumerate(raw):
            uow.ledger.add(LedgerEntry(
                party_id="R-1", kind=EntryKind.INVOICE if is_debit else EntryKind.PAYMENT,
                ref=f"E{n}", debit=amount if is_debit else ZERO,
                credit=ZERO if is_debit else amount, on=TODAY - timedelta(days=days_ago),
                created_at=datetime.now(UTC), client_id=f"c{n}"))
        uow.commit()
    with MemoryUnitOfWork(store) as reader:
        everything = reader.ledger.entries("R-1", None, TODAY)
    st_ = statement(MemoryUnitOfWork(store), "R-1", TODAY - timedelta(days=30), TODAY, TODAY)
    assert st_.ageing == fifo_ageing(everything, TODAY)
    assert sum(st_.ageing.values(), ZERO) == max(st_.closing, ZERO)
