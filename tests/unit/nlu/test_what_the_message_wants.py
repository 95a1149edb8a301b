"""Each message gets one intent; order lines make it an order unless it says otherwise."""

from __future__ import annotations

import pytest

from nlu.builtin_parser import BuiltinParser
from tests.unit.nlu.shop_catalog import parse


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("2 peti mirinda 600 bhejna", "place_order"),
        ("pichli baar jaisa hi order phir se bhej do", "reorder_last"),
        ("repeat my previous order please", "reorder_last"),
        ("2 box combiflam expire ho gayi, wapas lo", "return_request"),
        ("dalmia 5 bag phat ke aaye", "return_request"),
        ("january ka hisaab bhejo", "statement_query"),
        ("what is my pending balance", "statement_query"),
        ("maal kab tak pahunchega?", "order_status"),
        ("has my order been dispatched", "order_status"),
        ("visited Sonu Kirana, 2 cs fanta 600, collected 3200", "log_visit"),
        ("aaj kya offer chal raha hai", "show_schemes"),
        ("kitne reward points bache hai", "loyalty_points"),
        ("koi naya product aaya kya", "recommend"),
        ("which items are selling fast this season", "recommend"),
        ("haan theek hai", "confirm"),
        ("yes please confirm the order", "confirm"),
        ("thik h", "confirm"),
        ("ok go ahead", "confirm"),
        ("nahi nahi rehne do", "cancel"),
        ("order cancel kar do please", "cancel"),
        ("namaskar ji", "greet"),
        ("good afternoon", "greet"),
        ("bot kaise use karte hai", "help"),
        ("cricket score kya hua", "out_of_scope"),
        ("", "out_of_scope"),
    ],
)
def test_intent(parser: BuiltinParser, text: str, intent: str) -> None:
    assert parse(parser, text, role="rep" if "visited" in text else "retailer").intent == intent


def test_question_intents_carry_no_items(parser: BuiltinParser) -> None:
    result = parse(parser, "fanta pe koi scheme chal rahi?")
    assert result.intent == "show_schemes"
    assert result.items == ()


def test_asking_about_goods_is_not_ordering_them(parser: BuiltinParser) -> None:
    assert parse(parser, "4 cs fanta 600 kab aayega?").intent == "order_status"
    assert parse(parser, "10 box tiger 5rs pe scheme hai kya").intent == "show_schemes"
    assert parse(parser, "fanta 600 ka rate kya hai").intent == "out_of_scope"
    assert parse(parser, "4 cs fanta 600 bhejo, scheme laga dena").intent == "place_order"


def test_a_product_named_without_quantity_asks_how_many(parser: BuiltinParser) -> None:
    result = parse(parser, "mirinda 600 bhejo")
    assert result.intent == "place_order"
    assert result.items == ()
    assert result.unknown == ("mirinda 600",)


def test_greetings_and_questions_are_not_product_mentions(parser: BuiltinParser) -> None:
    assert parse(parser, "good afternoon ji").intent == "greet"
    assert parse(parser, "what all can this bot do").intent == "help"
