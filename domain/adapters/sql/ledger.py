"""The ledger: what each party owes and has paid, entry by entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.adapters.sql.core import run_statement, table_of
from domain.adapters.tables import LedgerEntryRow
from domain.errors import Conflict
from domain.model.ledger import EntryKind, LedgerEntry

_LEDGER = table_of(LedgerEntryRow)
_BALANCE_BEFORE = sa_select(func.coalesce(func.sum(_LEDGER.c.debit - _LEDGER.c.credit), 0)).where(
    _LEDGER.c.party_id == bindparam("b_party"), _LEDGER.c.entry_date < bindparam("b_day"))
_ENTRIES_UNTIL = (sa_select(_LEDGER)
                  .where(_LEDGER.c.party_id == bindparam("b_party"),
                         _LEDGER.c.entry_date <= bindparam("b_end"))
                  .order_by(_LEDGER.c.entry_date, _LEDGER.c.id))
_ENTRIES_BETWEEN = _ENTRIES_UNTIL.where(_LEDGER.c.entry_date >= bindparam("b_start"))
_REVERSING = _LEDGER.alias("reversing")
_LATEST_DEBITS = (sa_select(_LEDGER)
                  .where(_LEDGER.c.party_id == bindparam("b_party"),
                         _LEDGER.c.entry_date <= bindparam("b_end"), _LEDGER.c.debit > 0,
                         # An entry and its reversal cancel out: neither is a debit to age.
                         _LEDGER.c.kind != EntryKind.REVERSAL.value,
                         ~exists().where(_REVERSING.c.reverses_id == _LEDGER.c.id,
                                         _REVERSING.c.entry_date <= bindparam("b_end")))
                  .order_by(_LEDGER.c.entry_date.desc(), _LEDGER.c.id.desc())
                  .limit(bindparam("b_limit")).offset(bindparam("b_offset")))


def _entry(row: LedgerEntryRow | Any) -> LedgerEntry:  # an ORM row, or a Core row
    return LedgerEntry(
        id=row.id, party_id=row.party_id, kind=EntryKind(row.kind), ref=row.ref,
        debit=Decimal(row.debit), credit=Decimal(row.credit), on=row.entry_date,
        created_at=row.created_at, narration=row.narration, client_id=row.client_id,
        reverses_id=row.reverses_id, order_id=row.order_id,
    )


class SqlLedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: LedgerEntry) -> LedgerEntry:
        row = LedgerEntryRow(
            party_id=entry.party_id, kind=entry.kind.value, ref=entry.ref, debit=entry.debit,
            credit=entry.credit, entry_date=entry.on, created_at=entry.created_at,
            narration=entry.narration, client_id=entry.client_id,
            reverses_id=entry.reverses_id, order_id=entry.order_id,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("this entry was recorded before") from exc
        return _entry(row)

    def get(self, entry_id: int) -> LedgerEntry | None:
        row = self.session.get(LedgerEntryRow, entry_id)
        return _entry(row) if row else None

    def by_client_id(self, client_id: str) -> LedgerEntry | None:
        row = self.session.exec(
            select(LedgerEntryRow).where(LedgerEntryRow.client_id == client_id)).first()
        return _entry(row) if row else None

    def for_order(self, order_id: int) -> list[LedgerEntry]:
        rows = self.session.exec(select(LedgerEntryRow).where(
            LedgerEntryRow.order_id == order_id).order_by(col(LedgerEntryRow.id))).all()
        return [_entry(r) for r in rows]

    # A statement in chat reads these three: built once, rows without ORM objects (see core).
    def balance_before(self, party_id: str, day: date) -> Decimal:
        total = run_statement(self.session, _BALANCE_BEFORE,
                              {"b_party": party_id, "b_day": day}).scalar()
        return Decimal(total or 0).quantize(Decimal("0.01"))

    def entries(self, party_id: str, start: date | None, end: date) -> list[LedgerEntry]:
        if start is None:
            rows = run_statement(self.session, _ENTRIES_UNTIL, {"b_party": party_id, "b_end": end})
        else:
            rows = run_statement(self.session, _ENTRIES_BETWEEN,
                                 {"b_party": party_id, "b_end": end, "b_start": start})
        return [_entry(r) for r in rows.all()]

    def latest_debits(self, party_id: str, end: date, limit: int, offset: int = 0
                      ) -> list[LedgerEntry]:
        rows = run_statement(self.session, _LATEST_DEBITS, {
            "b_party": party_id, "b_end": end, "b_limit": limit, "b_offset": offset})
        return [_entry(r) for r in rows.all()]
