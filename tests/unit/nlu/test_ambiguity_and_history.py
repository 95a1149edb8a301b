"""A vague mention lists the smallest set of SKUs it leaves open, unless the shop's own
history makes one of them overwhelmingly likely."""

from __future__ import annotations

from bot.purchase_history import PurchaseHistory
from nlu.builtin_parser import BuiltinParser
from nlu.item_extraction import USUAL_SIZE_NOTE
from nlu.parse_result import ParseContext
from tests.unit.nlu.shop_catalog import lines, parse


def test_a_brand_with_sizes_is_ambiguous_between_them_only(parser: BuiltinParser) -> None:
    (item,) = parse(parser, "mirinda 3 cs").items
    assert item.sku is None
    assert item.candidates == ("MIRINDA-600", "MIRINDA-2.25L")
    assert item.ambiguous


def test_the_unit_narrows_the_candidates_to_what_is_sold_that_way(
        parser: BuiltinParser) -> None:
    (item,) = parse(parser, "ace 2 bucket").items
    assert item.sku == "ACE-20L"  # the 4L pack is a tin


def test_history_settles_the_size_and_says_so(parser: BuiltinParser) -> None:
    history = {"MIRINDA-600": 14, "MIRINDA-2.25L": 1}
    (item,) = parse(parser, "mirinda 3 cs", history=history).items
    assert item.sku == "MIRINDA-600"
    assert item.note == USUAL_SIZE_NOTE


def test_history_that_is_split_leaves_the_question_open(parser: BuiltinParser) -> None:
    history = {"MIRINDA-600": 5, "MIRINDA-2.25L": 4}
    (item,) = parse(parser, "mirinda 3 cs", history=history).items
    assert item.sku is None


def test_a_few_past_orders_are_not_enough(parser: BuiltinParser) -> None:
    (item,) = parse(parser, "mirinda 3 cs", history={"MIRINDA-600": 2}).items
    assert item.sku is None


def test_a_sized_mention_earlier_settles_a_vague_one_later(parser: BuiltinParser) -> None:
    result = parse(parser, "ace 4 ltr dented aaye, wapas lo 2 ace")
    assert result.intent == "return_request"
    assert lines(result) == [("ACE-4L", 2, None)]


def test_typos_still_find_the_product(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "medimx 2 dz")) == [("MEDIMIX-75", 2, "dozen")]
    assert lines(parse(parser, "combiflaam 5 strip")) == [("COMBIFLAM", 5, "strip")]
    assert lines(parse(parser, "mirnda 600 1 cs")) == [("MIRINDA-600", 1, "case")]


def test_one_wrong_letter_in_a_short_name_is_forgiven(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "2 box enp")) == []  # three letters: too short to guess
    assert lines(parse(parser, "nrima 1kg 5 pkt")) == [("NIRMA-1KG", 5, "packet")]
    assert lines(parse(parser, "apyp 600 2 cs")) == [("APPY-600", 2, "case")]


def test_history_is_read_only_when_a_product_is_ambiguous(parser: BuiltinParser) -> None:
    """The bot passes a lazy history: a clear order must not pay for the query."""
    reads: list[str] = []

    def load() -> dict[str, int]:
        reads.append("read")
        return {"MIRINDA-600": 14, "MIRINDA-2.25L": 1}

    clear = PurchaseHistory(load)
    parser.parse("3 cs mirinda 600 aur 2 bucket ace", ParseContext(history=clear))
    assert reads == [] and not clear.loaded
    vague = PurchaseHistory(load)
    (item,) = parser.parse("mirinda 3 cs", ParseContext(history=vague)).items
    assert item.sku == "MIRINDA-600" and reads == ["read"]
