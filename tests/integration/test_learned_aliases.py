"""Learned aliases persist and follow the "this sender first, everyone after three" rule, the
same on SQLite, PostgreSQL and the in-memory twin; the parser reads them from one load."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.adapters.database import make_engine
from domain.adapters.memory import MemoryStore, MemoryUnitOfWork
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.adapters.tables import LearnedAliasRow
from domain.model.catalog import Product
from domain.services.unit_of_work import UnitOfWork
from nlu.aliases import LearnedAliasBook, phrase_key
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import ParseContext

UowFactory = Callable[[], UnitOfWork]


def _noodles(sku: str, grams: int, mrp: str) -> Product:
    return Product(sku=sku, name=f"Yum Noodles {grams}g", brand="Yum", category="Noodles",
                   base_unit="packet", pack_units={"box": 12}, default_unit="box",
                   price=Decimal(mrp), mrp=Decimal(mrp), aliases=("yum", f"yum {grams}g"))


NOODLES = [_noodles("YUM-70", 70, "14"), _noodles("YUM-280", 280, "56")]


@pytest.fixture
def make_uow(database_url: str) -> Iterator[UowFactory]:
    engine = make_engine(database_url)
    yield lambda: SqlUnitOfWork(engine)
    engine.dispose()


def teach(make_uow: UowFactory, phrase: str, sku: str, *senders: str | None) -> None:
    for sender in senders:
        with make_uow() as uow:
            uow.aliases.learn(phrase, sku, sender)
            uow.commit()


def meaning(make_uow: UowFactory, phrase: str, sender: str | None) -> str | None:
    with make_uow() as uow:
        return uow.aliases.lookup(phrase, sender)


# -- the rule, told as stories; each runs on the SQL backends and on the twin ----------------


def a_phrase_serves_the_sender_who_taught_it(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1")
    assert meaning(make_uow, "yum", "R-1") == "YUM-70"
    assert meaning(make_uow, "yum", "R-2") is None
    assert meaning(make_uow, "yum", None) is None


def a_sender_changing_its_mind_keeps_one_answer(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1", "R-1")
    teach(make_uow, "yum", "YUM-280", "R-1")
    assert meaning(make_uow, "yum", "R-1") == "YUM-280"
    with make_uow() as uow:
        (row,) = uow.aliases.all()
    assert (row.sku, row.sender_id, row.count) == ("YUM-280", "R-1", 1)


def teaching_twice_counts_twice(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1", "R-1")
    with make_uow() as uow:
        (row,) = uow.aliases.all()
    assert row.count == 2


def three_senders_agreeing_make_the_phrase_everyones(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1", "R-2")
    assert meaning(make_uow, "yum", "R-9") is None
    teach(make_uow, "yum", "YUM-70", "R-3")
    assert meaning(make_uow, "yum", "R-9") == "YUM-70"
    with make_uow() as uow:
        shared = [r for r in uow.aliases.all() if r.is_global]
    assert [(r.sku, r.count) for r in shared] == [("YUM-70", 3)]


def one_sender_repeating_itself_is_not_agreement(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1", "R-1", "R-1")
    assert meaning(make_uow, "yum", "R-9") is None


def disagreeing_senders_promote_nothing_until_three_agree(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1", "R-2")
    teach(make_uow, "yum", "YUM-280", "R-3", "R-4")
    assert meaning(make_uow, "yum", None) is None
    assert meaning(make_uow, "yum", "R-3") == "YUM-280"  # its own answer still comes first
    teach(make_uow, "yum", "YUM-280", "R-5")
    assert meaning(make_uow, "yum", None) == "YUM-280"
    assert meaning(make_uow, "yum", "R-1") == "YUM-70"


def a_phrase_taught_for_everyone_serves_at_once(make_uow: UowFactory) -> None:
    teach(make_uow, "yummy", "YUM-280", None)
    assert meaning(make_uow, "yummy", "R-7") == "YUM-280"


def learning_that_is_not_committed_is_forgotten(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        uow.aliases.learn("yum", "YUM-70", "R-1")
    assert meaning(make_uow, "yum", "R-1") is None


def only_rows_changed_since_a_time_are_read_back(make_uow: UowFactory) -> None:
    teach(make_uow, "yum", "YUM-70", "R-1")
    later = datetime.now(UTC) + timedelta(hours=1)
    with make_uow() as uow:
        assert uow.aliases.all(since=later) == []
        assert [r.phrase for r in uow.aliases.all(since=later - timedelta(hours=2))] == ["yum"]


STORIES = [a_phrase_serves_the_sender_who_taught_it, a_sender_changing_its_mind_keeps_one_answer,
           teaching_twice_counts_twice, three_senders_agreeing_make_the_phrase_everyones,
           one_sender_repeating_itself_is_not_agreement,
           disagreeing_senders_promote_nothing_until_three_agree,
           a_phrase_taught_for_everyone_serves_at_once,
           learning_that_is_not_committed_is_forgotten,
           only_rows_changed_since_a_time_are_read_back]


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.__name__)
def test_on_the_database(story: Callable[[UowFactory], None], make_uow: UowFactory) -> None:
    story(make_uow)


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.__name__)
def test_on_the_in_memory_twin(story: Callable[[UowFactory], None]) -> None:
    store = MemoryStore()
    story(lambda: MemoryUnitOfWork(store))


# -- the database keeps the rule's invariants itself -----------------------------------------


def test_one_phrase_has_one_global_meaning(database_url: str) -> None:
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(LearnedAliasRow(phrase="yum", sku="YUM-70", sender_id=None, updated_at=now))
        session.add(LearnedAliasRow(phrase="yum", sku="YUM-280", sender_id=None, updated_at=now))
        with pytest.raises(IntegrityError):
            session.commit()
    engine.dispose()


def test_one_sender_has_one_row_per_phrase(database_url: str) -> None:
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(LearnedAliasRow(phrase="yum", sku="YUM-70", sender_id="R-1", updated_at=now))
        session.add(LearnedAliasRow(phrase="yum", sku="YUM-280", sender_id="R-1", updated_at=now))
        with pytest.raises(IntegrityError):
            session.commit()
    engine.dispose()


# -- the parser reads what was learned --------------------------------------------------------


def test_the_parser_resolves_a_phrase_loaded_from_the_database(make_uow: UowFactory) -> None:
    context = ParseContext(role="retailer", sender="R-1")
    parser_before = BuiltinParser(NOODLES, LearnedAliasBook())
    (item,) = parser_before.parse("3 box yum", context).items
    assert item.sku is None and set(item.candidates) == {"YUM-70", "YUM-280"}
    teach(make_uow, phrase_key(item.phrase), "YUM-280", "R-1")
    with make_uow() as uow:
        book = LearnedAliasBook(uow.aliases.all())
    (item,) = BuiltinParser(NOODLES, book).parse("3 box yum", context).items
    assert (item.sku, item.qty, item.unit) == ("YUM-280", Decimal(3), "box")
    (other,) = BuiltinParser(NOODLES, book).parse("3 box yum", ParseContext(sender="R-2")).items
    assert other.sku is None
