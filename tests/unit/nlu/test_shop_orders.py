"""A shop types an order the way shops do; the parser returns one line per product."""

from __future__ import annotations

from nlu.builtin_parser import BuiltinParser
from tests.unit.nlu.shop_catalog import lines, parse


def test_quantity_before_and_after_the_product_both_read(parser: BuiltinParser) -> None:
    result = parse(parser, "3 cs fanta 600 aur mirinda 2.25 - 2 case")
    assert result.intent == "place_order"
    assert lines(result) == [("FANTA-600", 3, "case"), ("MIRINDA-2.25L", 2, "case")]


def test_one_product_a_line_with_a_numbered_emoji_list(parser: BuiltinParser) -> None:
    text = "📦 Kal ke liye:\n1. Tiger 5rs - 20 box\n2. Marie light - 4 box\n3) Medimix 3 dz 🙏"
    assert lines(parse(parser, text)) == [
        ("TIGER-5", 20, "box"), ("MARIELIGHT-30", 4, "box"), ("MEDIMIX-75", 3, "dozen"),
    ]


def test_lines_without_separators_split_at_each_quantity(parser: BuiltinParser) -> None:
    result = parse(parser, "nirma 1kg 10 pkt nirma 500g 20 pkt dalmia 40 bag")
    assert lines(result) == [
        ("NIRMA-1KG", 10, "packet"), ("NIRMA-500G", 20, "packet"), ("DALMIA-50KG", 40, "bag"),
    ]


def test_hindi_number_words_and_devanagari(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "paanch peti fanta 600 bhej do")) == [("FANTA-600", 5, "case")]
    assert lines(parse(parser, "तीन पेटी मिरिंडा 600")) == [("MIRINDA-600", 3, "case")]
    assert lines(parse(parser, "das bori dalmia")) == [("DALMIA-50KG", 10, "bag")]


def test_multiplier_forms_give_the_quantity(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "parachute 250ml x 12")) == [("PARACHUTE-250", 12, None)]
    assert lines(parse(parser, "3x medimix")) == [("MEDIMIX-75", 3, None)]
    assert lines(parse(parser, "combiflam x2 box")) == [("COMBIFLAM", 2, "box")]


def test_a_product_without_size_is_left_open_between_its_sizes(parser: BuiltinParser) -> None:
    (item,) = parse(parser, "fanta 4 case").items
    assert item.sku is None
    assert set(item.candidates) == {"FANTA-300C", "FANTA-600", "FANTA-1.5L"}
    assert (float(item.qty), item.unit) == (4, "case")


def test_a_product_the_catalog_lacks_goes_to_unknown(parser: BuiltinParser) -> None:
    result = parse(parser, "5 box zumbalicious wafers aur 2 cs fanta 600")
    assert lines(result) == [("FANTA-600", 2, "case")]
    assert result.unknown == ("zumbalicious wafers",)


def test_one_quantity_for_several_products_said_each(parser: BuiltinParser) -> None:
    result = parse(parser, "fanta 600\nmirinda 600\nappy 600\n3 cs each")
    assert lines(result) == [("FANTA-600", 3, "case"), ("MIRINDA-600", 3, "case"),
                             ("APPY-600", 3, "case")]


def test_a_size_alone_means_the_product_just_named(parser: BuiltinParser) -> None:
    assert lines(parse(parser, "nirma 1kg 10 pkt, 500g 20 pkt")) == [
        ("NIRMA-1KG", 10, "packet"), ("NIRMA-500G", 20, "packet"),
    ]


def test_a_negated_product_is_left_out(parser: BuiltinParser) -> None:
    result = parse(parser, "4 cs fanta 600 bhejo, mirinda abhi mat bhejna")
    assert lines(result) == [("FANTA-600", 4, "case")]
    assert result.unknown == ()


def test_a_total_line_orders_nothing_more(parser: BuiltinParser) -> None:
    result = parse(parser, "fanta 600 - 2 cs\nmirinda 600 - 3 cs\ntotal 5 cs")
    assert lines(result) == [("FANTA-600", 2, "case"), ("MIRINDA-600", 3, "case")]
