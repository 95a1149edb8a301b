"""Posting to a party's ledger: payments and notes from the console, invoices on dispatch.

Every post carries an id: the caller's client id for payments and notes, the order for an
invoice. Posting the same thing twice returns the first entry and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.commands import RecordNote, RecordPayment, ReverseEntry
from domain.errors import Conflict, InvalidInput, NotFound
from domain.model.ledger import EARLIEST, EntryKind, LedgerEntry
from domain.model.money import round_money
from domain.model.order import Order
from domain.services.unit_of_work import UnitOfWork

MAX_AMOUNT = Decimal("100000000")  # a crore times ten: beyond it is a typo
# Client ids the system posts under: an order's invoice, a period scheme's settlement.
INVOICE_CLIENT_ID, SETTLEMENT_CLIENT_ID = "invoice:", "qps:"
SYSTEM_CLIENT_IDS = (INVOICE_CLIENT_ID, SETTLEMENT_CLIENT_ID)


@dataclass(frozen=True)
class Posted:
    entry: LedgerEntry
    created: bool  # False when this client id had been posted before


def _amount(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput("amount must be more than zero")
    if amount > MAX_AMOUNT:
        raise InvalidInput("amount is too large")
    if amount != round_money(amount):
        raise InvalidInput("amount has more than 2 decimal places")
    return amount


def client_id_problem(client_id: str) -> str | None:
    """Why a caller may not use this client id, or None: the system's own ids are kept apart
    from callers' (a payment with id 'invoice:1' would have blocked order 1's invoice)."""
    if client_id.startswith(SYSTEM_CLIENT_IDS):
        return f"client ids starting with {' or '.join(SYSTEM_CLIENT_IDS)} are the system's own"
    return None


def _replayed(existing: LedgerEntry, kind: EntryKind, party_id: str | None = None,
              amount: Decimal | None = None, reverses_id: int | None = None) -> Posted:
    """The entry a retry of the same request gets back; Conflict when the client id was used
    for something else, which a retry must not silently answer with another entry."""
    same = (existing.kind == kind
            and (party_id is None or existing.party_id == party_id)
            and (amount is None or max(existing.debit, existing.credit) == amount)
            and (reverses_id is None or existing.reverses_id == reverses_id))
    if not same:
        raise Conflict(f"client id {existing.client_id} was already used for entry "
                       f"{existing.id} ({existing.kind.value}, {existing.party_id}, "
                       f"{max(existing.debit, existing.credit)}); use a new one")
    return Posted(existing, created=False)


def _post(uow: UnitOfWork, entry: LedgerEntry) -> Posted:
    """Within an open unit of work; commits."""
    assert entry.client_id is not None
    try:
        stored = uow.ledger.add(entry)
        uow.commit()
    except Conflict:
        uow.rollback()
        winner = uow.ledger.by_client_id(entry.client_id)
        if winner is None:
            raise
        return _replayed(winner, entry.kind, entry.party_id, max(entry.debit, entry.credit),
                         entry.reverses_id)
    return Posted(stored, created=True)


def _dated(on: date, now: datetime) -> None:
    """Entries are dated from EARLIEST to today: one before it is in no statement, and a
    reversal dated in the future would not take effect, yet could not be redone."""
    if on < EARLIEST:
        raise InvalidInput(f"the date must be on or after {EARLIEST:%d %b %Y}")
    if on > now.date() + timedelta(days=1):  # a day ahead of UTC: today east of it
        raise InvalidInput("the date must not be in the future")


def _party_must_exist(uow: UnitOfWork, party_id: str) -> None:
    if uow.parties.get(party_id) is None:
        raise NotFound(f"no party {party_id}")


def record_payment(cmd: RecordPayment, uow: UnitOfWork, now: datetime) -> Posted:
    amount = _amount(cmd.amount)
    _dated(cmd.on, now)
    with uow:
        existing = uow.ledger.by_client_id(cmd.client_id)
        if existing is not None:
            return _replayed(existing, EntryKind.PAYMENT, cmd.party_id, amount)
        _party_must_exist(uow, cmd.party_id)
        return _post(uow, LedgerEntry(
            party_id=cmd.party_id, kind=EntryKind.PAYMENT,
            ref=cmd.ref or f"PAY-{cmd.client_id}"[:64], debit=Decimal("0.00"), credit=amount,
            on=cmd.on, created_at=now, narration=cmd.narration or f"payment by {cmd.mode}",
            client_id=cmd.client_id))


def record_note(cmd: RecordNote, uow: UnitOfWork, now: datetime) -> Posted:
    amount = _amount(cmd.amount)
    _dated(cmd.on, now)
    try:
        kind = EntryKind(cmd.kind)
    except ValueError:
        raise InvalidInput("kind must be credit_note or debit_note") from None
    if kind not in (EntryKind.CREDIT_NOTE, EntryKind.DEBIT_NOTE):
        raise InvalidInput("kind must be credit_note or debit_note")
    debit = amount if kind == EntryKind.DEBIT_NOTE else Decimal("0.00")
    with uow:
        existing = uow.ledger.by_client_id(cmd.client_id)
        if existing is not None:
            return _replayed(existing, kind, cmd.party_id, amount)
        _party_must_exist(uow, cmd.party_id)
        prefix = "CN" if kind == EntryKind.CREDIT_NOTE else "DN"
        return _post(uow, LedgerEntry(
            party_id=cmd.party_id, kind=kind, ref=cmd.ref or f"{prefix}-{cmd.client_id}"[:64],
            debit=debit, credit=amount - debit, on=cmd.on, created_at=now,
            narration=cmd.narration, client_id=cmd.client_id))


def reverse_entry(cmd: ReverseEntry, uow: UnitOfWork, now: datetime) -> Posted:
    """Entries are never edited: a mistake gets a mirror entry, once."""
    _dated(cmd.on, now)
    with uow:
        existing = uow.ledger.by_client_id(cmd.client_id)
        if existing is not None:
            return _replayed(existing, EntryKind.REVERSAL, reverses_id=cmd.entry_id)
        original = uow.ledger.get(cmd.entry_id)
        if original is None:
            raise NotFound(f"no ledger entry {cmd.entry_id}")
        if original.kind == EntryKind.REVERSAL:
            raise Conflict("a reversal cannot itself be reversed; post a new entry")
        if cmd.on < original.on:
            raise InvalidInput("a reversal cannot be dated before the entry it reverses")
        try:
            return _post(uow, LedgerEntry(
                party_id=original.party_id, kind=EntryKind.REVERSAL, ref=f"REV-{original.ref}"[:64],
                debit=original.credit, credit=original.debit, on=cmd.on, created_at=now,
                narration=cmd.reason or f"reverses entry {original.id}",
                client_id=cmd.client_id, reverses_id=original.id))
        except Conflict:
            raise Conflict(f"entry {cmd.entry_id} has already been reversed") from None


def invoice_for(order: Order, at: datetime) -> LedgerEntry:
    assert order.id is not None and order.number is not None
    return LedgerEntry(
        party_id=order.party_id, kind=EntryKind.INVOICE,
        ref="INV-" + order.number.removeprefix("ORD-"), debit=order.net,
        credit=Decimal("0.00"), on=at.date(), created_at=at,
        narration=f"goods dispatched against {order.number}",
        client_id=f"{INVOICE_CLIENT_ID}{order.id}", order_id=order.id)
