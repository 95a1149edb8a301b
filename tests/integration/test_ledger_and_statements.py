"""Ledgers and statements on SQLite and PostgreSQL, checked against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.commands import RecordNote, RecordPayment, ReverseEntry
from domain.errors import Conflict, InvalidInput, NotFound
from domain.model.ledger import EntryKind, LedgerEntry
from domain.model.party import Party, Role
from domain.services.ledger import record_note, record_payment, reverse_entry
from domain.services.statements import statement, statement_csv

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SHOP = Party(id="R-1", role=Role.RETAILER, name="Sharma Kirana", phone="+919800000001",
             distributor_id="D-1", credit_limit=Decimal("50000.00"))
DIST = Party(id="D-1", role=Role.DISTRIBUTOR, name="Shree Ganesh", phone="+919700000001")


@pytest.fixture
def uow_factory(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    with SqlUnitOfWork(engine) as uow:
        uow.parties.upsert(DIST)
        uow.parties.upsert(SHOP)
        uow.commit()
    yield lambda: SqlUnitOfWork(engine)
    engine.dispose()


def invoice(uow_factory, ref: str, amount: str, on: date) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        uow.ledger.add(LedgerEntry(party_id="R-1", kind=EntryKind.INVOICE, ref=ref,
                                   debit=Decimal(amount), credit=Decimal("0.00"), on=on,
                                   created_at=NOW, client_id=f"inv:{ref}"))
        uow.commit()


def pay(uow_factory, client_id: str, amount: str, on: date):  # type: ignore[no-untyped-def]
    return record_payment(RecordPayment(client_id=client_id, party_id="R-1",
                                        amount=Decimal(amount), on=on, mode="upi"),
                          uow_factory(), NOW)


def test_statement_matches_the_hand_computed_ledger(uow_factory) -> None:  # type: ignore[no-untyped-def]
    # Given: invoices of 10,000 (Aug), 5,000 (Sep 20), 8,000 (Nov 1); payments 12,000 (Oct 5)
    # and a 500 credit note (Nov 10).
    invoice(uow_factory, "INV-1", "10000.00", date(2026, 8, 10))
    invoice(uow_factory, "INV-2", "5000.00", date(2026, 9, 20))
    pay(uow_factory, "pay-oct-0001", "12000.00", date(2026, 10, 5))
    invoice(uow_factory, "INV-3", "8000.00", date(2026, 11, 1))
    record_note(RecordNote(client_id="cn-nov-00001", party_id="R-1", kind="credit_note",
                           amount=Decimal("500.00"), on=date(2026, 11, 10),
                           narration="damaged goods"), uow_factory(), NOW)

    st = statement(uow_factory(), "R-1", date(2026, 10, 1), date(2026, 11, 30), NOW.date())

    # Opening: 10,000 + 5,000 = 15,000. Then -12,000 -> 3,000; +8,000 -> 11,000; -500 -> 10,500.
    assert st.opening == Decimal("15000.00")
    assert [(ln.ref, ln.debit, ln.credit, ln.balance) for ln in st.lines] == [
        ("PAY-pay-oct-0001", Decimal("0.00"), Decimal("12000.00"), Decimal("3000.00")),
        ("INV-3", Decimal("8000.00"), Decimal("0.00"), Decimal("11000.00")),
        ("CN-cn-nov-00001", Decimal("0.00"), Decimal("500.00"), Decimal("10500.00")),
    ]
    assert st.closing == Decimal("10500.00")
    assert st.end == NOW.date()  # a period past today is cut to today
    # Ageing, oldest first: credits 12,500 clear INV-1 (10,000) and 2,500 of INV-2; left:
    # 2,500 of INV-2 (69 days old on Nov 28) and INV-3 (27 days).
    assert st.ageing == {"0-30": Decimal("8000.00"), "31-60": Decimal("0.00"),
                         "61-90": Decimal("2500.00"), "90+": Decimal("0.00")}
    assert st.headroom == Decimal("39500.00")
    csv_text = statement_csv(st)
    assert csv_text.splitlines()[1].endswith(",opening,,,,15000.00,")
    assert "closing,,8000.00,12500.00,10500.00" in csv_text


def test_a_payment_with_the_same_client_id_is_recorded_once(uow_factory) -> None:  # type: ignore[no-untyped-def]
    first = pay(uow_factory, "client-abc-123", "700.00", date(2026, 11, 2))
    again = pay(uow_factory, "client-abc-123", "700.00", date(2026, 11, 2))
    assert first.created and not again.created and first.entry.id == again.entry.id
    with uow_factory() as uow:
        assert len(uow.ledger.entries("R-1", None, date(2026, 11, 30))) == 1


def test_an_entry_is_reversed_once_and_never_edited(uow_factory) -> None:  # type: ignore[no-untyped-def]
    posted = pay(uow_factory, "client-rev-0001", "900.00", date(2026, 11, 2))
    assert posted.entry.id is not None
    rev = reverse_entry(ReverseEntry("client-rev-0002", posted.entry.id, "bounced cheque",
                                     date(2026, 11, 5)), uow_factory(), NOW)
    assert (rev.entry.debit, rev.entry.credit) == (Decimal("900.00"), Decimal("0.00"))
    with pytest.raises(Conflict):
        reverse_entry(ReverseEntry("client-rev-0003", posted.entry.id, "again",
                                   date(2026, 11, 6)), uow_factory(), NOW)
    st = statement(uow_factory(), "R-1", date(2026, 11, 1), date(2026, 11, 30), NOW.date())
    assert st.closing == Decimal("0.00")


@pytest.mark.parametrize(("start", "end"), [
    (date(1900, 1, 1), date(1900, 12, 31)),
    (date(2026, 11, 20), date(2026, 11, 1)),
    (date(2027, 1, 1), date(2027, 1, 31)),
])
def test_absurd_periods_are_refused(uow_factory, start: date, end: date) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        statement(uow_factory(), "R-1", start, end, NOW.date())


def test_bad_amounts_and_parties_are_refused(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        pay(uow_factory, "client-neg-0001", "-5", date(2026, 11, 2))
    with pytest.raises(InvalidInput):
        pay(uow_factory, "client-frac-001", "10.005", date(2026, 11, 2))
    with pytest.raises(NotFound):
        record_payment(RecordPayment("client-nobody-1", "R-404", Decimal("10"),
                                     date(2026, 11, 2)), uow_factory(), NOW)


@pytest.mark.parametrize("mistake", ["wrong debit note", "bounced cheque"])
def test_ageing_leaves_out_an_entry_and_its_reversal(uow_factory, mistake: str) -> None:  # type: ignore[no-untyped-def]
    invoice(uow_factory, "INV-OLD", "1000.00", date(2026, 7, 31))  # 120 days before NOW
    if mistake == "wrong debit note":
        wrong = record_note(RecordNote(client_id="dn-wrong-1", party_id="R-1",
                                       kind="debit_note", amount=Decimal("1000.00"),
                                       on=date(2026, 11, 27)), uow_factory(), NOW)
    else:  # paid in August; the cheque bounced today
        wrong = pay(uow_factory, "pay-cheque-1", "1000.00", date(2026, 8, 20))
    reverse_entry(ReverseEntry(client_id="rev-1", entry_id=wrong.entry.id, reason="mistake",
                               on=date(2026, 11, 28)), uow_factory(), NOW)
    st = statement(uow_factory(), "R-1", date(2026, 7, 1), date(2026, 11, 28),
                   date(2026, 11, 28))
    assert st.closing == Decimal("1000.00")
    # What is owed is the July invoice, 120 days old: not the note or the bounced cheque.
    assert st.ageing["90+"] == Decimal("1000.00") and st.ageing["0-30"] == Decimal("0.00")


def test_a_payment_dated_today_east_of_utc_is_taken_and_one_later_is_not(uow_factory) -> None:  # type: ignore[no-untyped-def]
    late_evening_utc = datetime(2026, 1, 4, 19, 30, tzinfo=UTC)  # 01:00 on the 5th in India
    paid = record_payment(RecordPayment(client_id="pay-ist-0001", party_id="R-1",
                                        amount=Decimal("10.00"), on=date(2026, 1, 5)),
                          uow_factory(), late_evening_utc)
    assert paid.created
    with pytest.raises(InvalidInput, match="future"):
        record_payment(RecordPayment(client_id="pay-ist-0002", party_id="R-1",
                                     amount=Decimal("10.00"), on=date(2026, 1, 6)),
                       uow_factory(), late_evening_utc)
