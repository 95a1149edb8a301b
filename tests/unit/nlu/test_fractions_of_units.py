"""Fractions are kept as said; a fraction of the smallest unit sold is refused.

Refused lines (half a bottle, dedh strip of a strip-only medicine) are not items: their text
goes to Parse.unknown so the bot tells the shop it cannot be sold that way. A fraction of a
pack that is not a whole number of base units (half a case of 9) is kept, flagged in `note`.
"""

from __future__ import annotations

from decimal import Decimal

from nlu.builtin_parser import BuiltinParser
from tests.unit.nlu.shop_catalog import PRODUCTS, lines, parse

BY_SKU = {p.sku: p for p in PRODUCTS}


def test_half_case_of_24_is_half_a_case_and_twelve_bottles(parser: BuiltinParser) -> None:
    (item,) = parse(parser, "half case fanta 600").items
    assert (item.sku, item.qty, item.unit) == ("FANTA-600", Decimal("0.5"), "case")
    assert BY_SKU["FANTA-600"].to_base(item.qty, item.unit) == 12
    assert item.note == ""


def test_hindi_fractions(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "dedh peti fanta 600")) == [("FANTA-600", 1.5, "case")]
    assert lines(parse(parser, "aadha case appy 600")) == [("APPY-600", 0.5, "case")]
    assert lines(parse(parser, "dhai dozen medimix")) == [("MEDIMIX-75", 2.5, "dozen")]


def test_half_a_bottle_is_refused_not_ordered(parser: BuiltinParser) -> None:
    result = parse(parser, "half bottle parachute 500")
    assert result.items == ()
    assert result.unknown == ("half bottle parachute 500",)


def test_a_fraction_of_a_base_unit_by_default_is_refused(parser: BuiltinParser) -> None:
    result = parse(parser, "combiflam 1.5 aur disprin 2 strip")
    assert lines(result) == [("DISPRIN", 2, "strip")]
    assert "1.5 combiflam" in result.unknown


def test_half_case_of_nine_is_kept_and_flagged(parser: BuiltinParser) -> None:
    (item,) = parse(parser, "half case mirinda 2.25").items
    assert (item.qty, item.unit) == (Decimal("0.5"), "case")
    assert "4.5" in item.note


def test_a_whole_number_then_a_fraction_is_one_quantity(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "1 1/2 case fanta 600")) == [("FANTA-600", 1.5, "case")]
    assert lines(parse(parser, "appy 600 2 1/2 case")) == [("APPY-600", 2.5, "case")]
    # A size before a fraction stays a size: half a case of the 600 ml.
    assert lines(parse(parser, "fanta 600 1/2 case")) == [("FANTA-600", 0.5, "case")]


def test_a_number_after_a_name_stays_with_the_name_before_a_fraction(
        parser: BuiltinParser) -> None:
    # "tiger 10" is Tiger 100g (Rs 10): half a box of it, not ten and a half boxes.
    assert lines(parse(parser, "tiger 10 1/2 box")) == [("TIGER-10", 0.5, "box")]
    assert lines(parse(parser, "cinthol 50 1/2 dozen")) == [("CINTHOL-50", 0.5, "dozen")]
    assert lines(parse(parser, "1 1/2 box tiger 10")) == [("TIGER-10", 1.5, "box")]
    # After a word that is no product's, the number is a quantity again.
    assert lines(parse(parser, "send 1 1/2 case fanta 600")) == [("FANTA-600", 1.5, "case")]
    assert lines(parse(parser, "bhejo 2 1/2 case appy 600")) == [("APPY-600", 2.5, "case")]
    assert lines(parse(parser, "mirinda 600 x 1 1/2 case")) == [("MIRINDA-600", 1.5, "case")]


def test_an_improper_fraction_before_a_unit_is_a_quantity_not_a_date(
        parser: BuiltinParser) -> None:
    assert lines(parse(parser, "3/2 case fanta 600")) == [("FANTA-600", 1.5, "case")]
    assert lines(parse(parser, "5/2 cs appy 600")) == [("APPY-600", 2.5, "case")]
    # A date is still a date.
    assert lines(parse(parser, "fanta 600 2 case 26/11 ko bhejo")) == [("FANTA-600", 2, "case")]
