"""Returns carry their reason; a rep's visit note carries the outlet and the money collected."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nlu.builtin_parser import BuiltinParser
from nlu.return_reasons import return_reason
from tests.unit.nlu.shop_catalog import lines, parse


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3 tin ace 4l dent ho gaye", "damaged"),
        ("bottles leaking", "damaged"),
        ("date nikal gayi hai", "expired"),
        ("expiry next week, wapas lo", "expired"),
        ("order se zyada aa gaya", "excess"),
        ("extra 2 case aaye", "excess"),
        ("galat product bhej diya", "wrong_item"),
        ("maine fanta manga tha, mirinda aaya", "wrong_item"),
        ("dukaan band kar raha hu", "other"),
    ],
)
def test_return_reason(text: str, reason: str) -> None:
    assert return_reason(text) == reason


def test_a_return_lists_what_goes_back_not_what_was_wanted(parser: BuiltinParser) -> None:
    result = parse(parser, "2 cs mirinda 600 galat aaya, maine fanta 600 manga tha, return")
    assert result.intent == "return_request"
    assert result.reason == "wrong_item"
    assert lines(result) == [("MIRINDA-600", 2, "case")]


def test_a_visit_note_gives_outlet_amount_and_order(parser: BuiltinParser) -> None:
    text = "Visited Shiv Shakti Stores, 5 dz medimix, 2 cs fanta 600. Collected Rs 6,250 cash"
    result = parse(parser, text, role="rep")
    assert result.intent == "log_visit"
    assert result.outlet == "Shiv Shakti Stores"
    assert result.amount == Decimal(6250)
    assert lines(result) == [("MEDIMIX-75", 5, "dozen"), ("FANTA-600", 2, "case")]


def test_a_visit_without_order_or_money(parser: BuiltinParser) -> None:
    result = parse(parser, "Balaji Kirana visit done - owner not available", role="rep")
    assert result.intent == "log_visit"
    assert result.outlet == "Balaji Kirana"
    assert result.amount is None
    assert result.items == ()


def test_the_collected_amount_is_not_read_as_an_item(parser: BuiltinParser) -> None:
    result = parse(parser, "Om Traders: nirma 1kg 10 pkt, 900 cash liya", role="rep")
    assert result.amount == Decimal(900)
    assert lines(result) == [("NIRMA-1KG", 10, "packet")]
