"""Account statements: a read view over a party's ledger, the same for chat and console."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.errors import InvalidInput, NotFound
from domain.model.ledger import EARLIEST, LedgerEntry
from domain.services.csv_cells import safe_cell
from domain.services.unit_of_work import UnitOfWork

AGEING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
ZERO = Decimal("0.00")
DEBITS_PAGE = 50


@dataclass(frozen=True)
class StatementLine:
    on: date
    kind: str
    ref: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    narration: str


@dataclass(frozen=True)
class Statement:
    party_id: str
    party_name: str
    start: date
    end: date
    opening: Decimal
    lines: tuple[StatementLine, ...]
    closing: Decimal
    ageing: dict[str, Decimal]  # what is still owed, by days since the invoice
    credit_limit: Decimal | None
    headroom: Decimal | None  # credit limit minus the closing balance

    @property
    def total_debit(self) -> Decimal:
        return sum((ln.debit for ln in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((ln.credit for ln in self.lines), ZERO)


def check_period(start: date, end: date, today: date) -> tuple[date, date]:
    """A period a statement can be drawn for; ends after today are cut to today."""
    if start > end:
        raise InvalidInput("the period starts after it ends")
    if start < EARLIEST:
        raise InvalidInput(f"statements go back to {EARLIEST:%d %b %Y} at most")
    if start > today:
        raise InvalidInput("the period starts in the future")
    return start, min(end, today)


def ageing(owed: Decimal, newest_debits: Iterable[LedgerEntry], as_of: date
           ) -> dict[str, Decimal]:
    """Oldest debits are paid first, so what is still owed is the newest debits' share:
    walk them newest first until `owed` (the balance) is placed, each part aged from its
    debit's date. Only those debits are read, not the party's whole history."""
    buckets = {name: ZERO for name, _, _ in AGEING_BUCKETS}
    left = owed
    for entry in newest_debits:
        if left <= 0:
            break
        part = min(left, entry.debit)
        left -= part
        age = (as_of - entry.on).days
        for name, low, high in AGEING_BUCKETS:
            if age >= low and (high is None or age <= high):
                buckets[name] += part
                break
    return buckets


def latest_debits(uow: UnitOfWork, party_id: str, end: date) -> Iterator[LedgerEntry]:
    """Newest first, a page at a time: ageing usually stops within the first page."""
    offset = 0
    while page := uow.ledger.latest_debits(party_id, end, DEBITS_PAGE, offset):
        yield from page
        offset += len(page)


def statement(uow: UnitOfWork, party_id: str, start: date, end: date, today: date) -> Statement:
    start, end = check_period(start, end, today)
    with uow:
        party = uow.parties.get(party_id)
        if party is None:
            raise NotFound(f"no party {party_id}")
        opening = uow.ledger.balance_before(party_id, start)
        in_period = uow.ledger.entries(party_id, start, end)
        balance = opening
        lines = []
        for entry in in_period:
            balance += entry.debit - entry.credit
            lines.append(StatementLine(entry.on, entry.kind.value, entry.ref, entry.debit,
                                       entry.credit, balance, entry.narration))
        aged = ageing(balance, latest_debits(uow, party_id, end), end)
    limit = party.credit_limit
    return Statement(
        party_id=party.id, party_name=party.name, start=start, end=end, opening=opening,
        lines=tuple(lines), closing=balance, ageing=aged,
        credit_limit=limit, headroom=(limit - balance) if limit is not None else None,
    )


def statement_csv(st: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "kind", "ref", "debit", "credit", "balance", "narration"])
    writer.writerow([st.start.isoformat(), "opening", "", "", "", f"{st.opening:.2f}", ""])
    for ln in st.lines:
        writer.writerow([ln.on.isoformat(), ln.kind, safe_cell(ln.ref), f"{ln.debit:.2f}",
                         f"{ln.credit:.2f}", f"{ln.balance:.2f}", safe_cell(ln.narration)])
    writer.writerow([st.end.isoformat(), "closing", "", f"{st.total_debit:.2f}",
                     f"{st.total_credit:.2f}", f"{st.closing:.2f}", ""])
    return out.getvalue()
