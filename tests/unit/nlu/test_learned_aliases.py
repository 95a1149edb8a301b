"""A shop teaches the bot its own word for a product; enough shops teach everyone."""

from __future__ import annotations

from datetime import datetime

from nlu.aliases import InMemoryAliasBook
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import ParseContext
from tests.unit.nlu.shop_catalog import NOW, PRODUCTS


def _context(sender: str, now: datetime = NOW) -> ParseContext:
    return ParseContext(role="retailer", now=now, sender=sender)


def test_a_learned_phrase_serves_its_sender_first() -> None:
    book = InMemoryAliasBook()
    book.learn("Santra Bottle", "FANTA-600", "shop-1")
    assert book.lookup("santra  bottle", "shop-1") == "FANTA-600"
    assert book.lookup("santra bottle", "shop-2") is None


def test_a_phrase_goes_global_once_three_senders_agree() -> None:
    book = InMemoryAliasBook()
    for sender in ("shop-1", "shop-2"):
        book.learn("santra", "FANTA-600", sender)
    assert book.lookup("santra", "shop-9") is None
    book.learn("santra", "FANTA-600", "shop-3")
    assert book.lookup("santra", "shop-9") == "FANTA-600"


def test_senders_who_disagree_do_not_promote_a_phrase() -> None:
    book = InMemoryAliasBook()
    book.learn("santra", "FANTA-600", "shop-1")
    book.learn("santra", "MIRINDA-600", "shop-2")
    book.learn("santra", "FANTA-600", "shop-3")
    assert book.lookup("santra", None) is None


def test_a_sender_changing_its_mind_counts_once() -> None:
    book = InMemoryAliasBook()
    book.learn("santra", "FANTA-600", "shop-1")
    book.learn("santra", "MIRINDA-600", "shop-1")
    book.learn("santra", "FANTA-600", "shop-2")
    book.learn("santra", "FANTA-600", "shop-3")
    assert book.lookup("santra", None) is None
    assert book.lookup("santra", "shop-1") == "MIRINDA-600"


def test_the_parser_reads_a_learned_phrase_as_the_product() -> None:
    book = InMemoryAliasBook()
    parser = BuiltinParser(PRODUCTS, aliases=book)
    before = parser.parse("4 case santra", _context("shop-1"))
    assert before.items == ()
    assert "santra" in before.unknown
    book.learn("santra", "FANTA-600", "shop-1")
    (item,) = parser.parse("4 case santra", _context("shop-1")).items
    assert (item.sku, float(item.qty), item.unit) == ("FANTA-600", 4, "case")


def test_suggestions_for_a_misspelt_product_come_best_first(parser: BuiltinParser) -> None:
    suggestions = parser.suggest("mirindaa orng", 3)
    assert suggestions
    assert suggestions[0][0].startswith("MIRINDA")
    assert all(0 <= score <= 1 for _, score in suggestions)
    assert parser.suggest("qwxz", 3) == []
