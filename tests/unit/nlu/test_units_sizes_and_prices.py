"""Units are canonicalised per product; pack sizes and prices pick the SKU, never the qty."""

from __future__ import annotations

import pytest

from nlu.builtin_parser import BuiltinParser
from nlu.units import resolve_unit, unit_word
from tests.unit.nlu.shop_catalog import PRODUCTS, lines, parse

BY_SKU = {p.sku: p for p in PRODUCTS}


@pytest.mark.parametrize(
    ("word", "canonical"),
    [("cs", "case"), ("ctn", "case"), ("cse", "case"), ("peti", "case"), ("crate", "case"),
     ("pcs", "piece"), ("nos", "piece"), ("pc", "piece"), ("pkt", "packet"), ("bx", "box"),
     ("ladi", "strip"), ("bori", "bag"), ("katta", "bag"), ("dz", "dozen"), ("doz", "dozen"),
     ("dabba", "dabba"), ("ton", "tonne")],
)
def test_unit_spellings_have_one_canonical_name(word: str, canonical: str) -> None:
    assert unit_word(word) == canonical


def test_pieces_mean_the_products_base_unit() -> None:
    assert resolve_unit("piece", BY_SKU["PARACHUTE-250"]) == "bottle"
    assert resolve_unit("piece", BY_SKU["FANTA-300C"]) == "can"
    assert resolve_unit("piece", BY_SKU["CINTHOL-50"]) == "piece"


def test_a_dabba_is_a_box_else_a_tin_else_a_bucket() -> None:
    assert resolve_unit("dabba", BY_SKU["ENO-5G"]) == "box"
    assert resolve_unit("dabba", BY_SKU["ACE-4L"]) == "tin"
    assert resolve_unit("dabba", BY_SKU["ACE-20L"]) == "bucket"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fanta 1.5L 2 cs", [("FANTA-1.5L", 2, "case")]),
        ("aashirvaad atta 5 kilo 6 bag", [("AASHIRVAAD-5KG", 6, "bag")]),
        ("nerolac beauty 20 ltr - 1 bucket", [("NEROLAC-BEAUTY-20L", 1, "bucket")]),
        ("mirinda 2.25 litre 1 cs", [("MIRINDA-2.25L", 1, "case")]),
        ("saffola gold 15L x 2", [("SAFFOLA-GOLD-15L", 2, None)]),
    ],
)
def test_pack_sizes_choose_the_sku_and_never_become_quantities(
        parser: BuiltinParser, text: str, expected: list[tuple[str, float, str | None]]) -> None:
    assert lines(parse(parser, text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("tiger 5rs 10 box", ("TIGER-5", 10, "box")), ("tiger @10 - 4 box", ("TIGER-10", 4, "box")),
     ("appy mrp 20 - 3 case", ("APPY-250", 3, "case")),
     ("appy 40 wala 1 case", ("APPY-600", 1, "case")),
     ("cinthol Rs.10 wala 2 dz", ("CINTHOL-50", 2, "dozen")),
     ("tiger 5/- 2 box", ("TIGER-5", 2, "box"))],
)
def test_a_price_only_one_size_has_picks_that_size(
        parser: BuiltinParser, text: str, expected: tuple[str, float, str]) -> None:
    assert lines(parse(parser, text)) == [expected]


def test_bada_and_chota_pick_the_largest_and_smallest_size(parser: BuiltinParser) -> None:
    (big,) = parse(parser, "bada fanta 2 case").items
    assert (big.sku, big.note) == ("FANTA-1.5L", "largest size")
    assert lines(parse(parser, "chhota parachute 12 bottle")) == [("PARACHUTE-100", 12, "bottle")]


def test_unit_is_none_when_the_message_names_none(parser: BuiltinParser) -> None:
    (item,) = parse(parser, "medimix 75g 6").items
    assert item.unit is None
    assert float(item.qty) == 6


def test_a_number_that_is_part_of_the_name_is_not_the_quantity(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "parachute 250 - 12 bottle")) == [("PARACHUTE-250", 12, "bottle")]
    result = parse(parser, "parachute 250 bhejo")
    assert result.items == ()
    assert result.unknown == ("parachute 250",)  # which product is clear; how many is not


def test_misspelt_units_after_a_number_still_count(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "ace 20 ltr 2 buckt")) == [("ACE-20L", 2, "bucket")]
    assert lines(parse(parser, "fanta 600 3 cses")) == [("FANTA-600", 3, "case")]
    assert lines(parse(parser, "medimix 2 dozn")) == [("MEDIMIX-75", 2, "dozen")]


def test_do_before_a_unit_is_two_even_after_send(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "pls send do peti fanta 600")) == [("FANTA-600", 2, "case")]
    assert lines(parse(parser, "fanta 600 3 cs bhej do")) == [("FANTA-600", 3, "case")]


def test_lakh_grouping_is_read_as_one_number(parser: BuiltinParser) -> None:
    # Read as written, so the order's own limit can say it is too many, not "zero".
    assert lines(parse(parser, "1,00,000 bottle fanta 600")) == [("FANTA-600", 100000, "bottle")]
    assert lines(parse(parser, "12,500 bottle fanta 600")) == [("FANTA-600", 12500, "bottle")]
