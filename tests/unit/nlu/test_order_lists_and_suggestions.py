"""Asking for one's orders is a status question; asking what to order is a recommendation.
Neither may turn an order with goods in it into something else."""

from __future__ import annotations

import pytest

from nlu.builtin_parser import BuiltinParser
from tests.unit.nlu.shop_catalog import lines, parse


@pytest.mark.parametrize("text", [
    "my orders", "pending orders", "orders", "new orders", "kitne order pending hain",
    "Show my orders please", "open orders?", "aaj ke orders dikhao", "kitne orders aaye",
    "mere orders batao", "how many orders pending", "order list", "orders pending hai kya",
    "recent orders", "all orders",
])
def test_asking_for_ones_orders_is_a_status_question(parser: BuiltinParser, text: str) -> None:
    assert parse(parser, text).intent == "order_status"


@pytest.mark.parametrize("text", [
    "suggest order", "what should I order", "replenish", "stock order suggest karo",
    "what should i order this week", "replenishment batao", "restock karna hai, kya mangau",
    "which items should I replenish", "kya order karu is baar", "suggest something to stock",
])
def test_asking_what_to_order_is_a_recommendation(parser: BuiltinParser, text: str) -> None:
    assert parse(parser, text).intent == "recommend"


@pytest.mark.parametrize(("text", "intent"), [
    ("my order: 2 cs fanta 600", "place_order"),
    ("new order 3 box disprin", "place_order"),
    ("repeat my last order", "reorder_last"),
    ("cancel my orders", "cancel"),
    ("I want to order", "out_of_scope"),
    ("pending payment kitna hai", "statement_query"),
])
def test_the_new_cues_leave_other_messages_alone(parser: BuiltinParser, text: str,
                                                 intent: str) -> None:
    assert parse(parser, text).intent == intent


def test_an_order_that_says_orders_still_carries_its_lines(parser: BuiltinParser) -> None:
    result = parse(parser, "pending orders ke saath 2 cs fanta 600 bhi bhejo")
    assert result.intent == "place_order"
    assert lines(result) == [("FANTA-600", 2, "case")]
