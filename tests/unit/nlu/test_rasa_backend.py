"""The Rasa backend: Rasa's documented /model/parse answer in, our Parse out; Rasa down, the
built-in parser answers. Rasa is faked with respx, answering in the shape of its HTTP API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from nlu.aliases import InMemoryAliasBook
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import Parse, ParseContext
from nlu.rasa_backend import RasaParser, group_lines, rasa_text, read_entities
from tests.unit.nlu.shop_catalog import NOW, PRODUCTS, lines

RASA = "http://rasa.test:5005"


def answer(text: str, intent: str, *entities: tuple[str, str], confidence: float = 0.97,
           synonyms: dict[str, str] | None = None) -> dict[str, Any]:
    """What Rasa 3.x answers for `text` (as sent): the intent, its ranking and each entity
    with start/end offsets, value, extractor and confidence, as DIETClassifier gives them."""
    sent = rasa_text(text)
    found: list[dict[str, Any]] = []
    at = 0
    for kind, words in entities:
        start = sent.index(words, at)
        at = start + len(words)
        entity: dict[str, Any] = {
            "entity": kind, "start": start, "end": at, "confidence_entity": 0.99,
            "value": words, "extractor": "DIETClassifier"}
        if synonyms and words in synonyms:
            entity["value"] = synonyms[words]
            entity["processors"] = ["EntitySynonymMapper"]
        found.append(entity)
    return {
        "text": sent,
        "intent": {"name": intent, "confidence": confidence},
        "entities": found,
        "intent_ranking": [{"name": intent, "confidence": confidence},
                           {"name": "out_of_scope", "confidence": 1 - confidence}],
    }


@pytest.fixture
def rasa() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=RASA, assert_all_called=False) as router:
        yield router


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def parser(http: httpx.Client) -> RasaParser:
    return RasaParser(PRODUCTS, http, RASA, BuiltinParser(PRODUCTS))


def ask(parser: RasaParser, text: str, role: str = "retailer") -> Parse:
    return parser.parse(text, ParseContext(role=role, now=NOW, sender="shop-1"))


def test_order_lines_come_from_rasas_spans_and_our_grammar(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "4 Case Fanta 600 aur 2 peti mirinda 600 bhejo"
    route = rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("qty", "4"), ("unit", "case"), ("product", "fanta 600"),
        ("qty", "2"), ("unit", "peti"), ("product", "mirinda 600")))
    result = ask(parser, text)
    assert result.intent == "place_order"
    assert lines(result) == [("FANTA-600", 4, "case"), ("MIRINDA-600", 2, "case")]
    assert json.loads(route.calls.last.request.content) == {"text": rasa_text(text)}


def test_a_quantity_after_the_product_belongs_to_it(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "nirma 1kg - 3 cs\ndisprin 5 box"
    rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("product", "nirma 1 kg"), ("qty", "3"), ("unit", "cs"),
        ("product", "disprin"), ("qty", "5"), ("unit", "box")))
    assert lines(ask(parser, text)) == [("NIRMA-1KG", 3, "case"), ("DISPRIN", 5, "box")]


def test_words_for_numbers_and_fractions_are_read_by_our_grammar(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "dedh case fanta 600"
    rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("qty", "dedh"), ("unit", "case"), ("product", "fanta 600")))
    assert lines(ask(parser, text)) == [("FANTA-600", 1.5, "case")]


def test_a_vague_product_span_is_asked_about_not_guessed(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "2 box tiger"
    rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("qty", "2"), ("unit", "box"), ("product", "tiger")))
    (item,) = ask(parser, text).items
    assert item.sku is None and set(item.candidates) == {"TIGER-5", "TIGER-10"}
    assert (item.qty, item.unit) == (Decimal(2), "box")


def test_a_span_only_rasas_synonym_explains_resolves_through_the_mapped_value(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "3 case narangi wala"
    rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("qty", "3"), ("unit", "case"), ("product", "narangi wala"),
        synonyms={"narangi wala": "fanta orange 600ml pet"}))
    assert lines(ask(parser, text)) == [("FANTA-600", 3, "case")]


def test_a_product_span_the_catalog_does_not_hold_is_reported_unknown(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "5 box zorbo plonk"
    rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("qty", "5"), ("unit", "box"), ("product", "zorbo plonk")))
    result = ask(parser, text)
    assert result.items == ()
    assert any("zorbo" in u for u in result.unknown)


def test_a_learned_alias_serves_the_rasa_backend_too(
        rasa: respx.MockRouter, http: httpx.Client) -> None:
    book = InMemoryAliasBook()
    book.learn("tiger", "TIGER-10", "shop-1")
    parser = RasaParser(PRODUCTS, http, RASA, BuiltinParser(PRODUCTS, book), book)
    text = "2 box tiger"
    rasa.post("/model/parse").respond(json=answer(
        text, "place_order", ("qty", "2"), ("unit", "box"), ("product", "tiger")))
    assert lines(ask(parser, text)) == [("TIGER-10", 2, "box")]


def test_a_statement_period_comes_from_our_own_date_grammar(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "pichle mahine ka statement bhejo"
    rasa.post("/model/parse").respond(json=answer(text, "statement_query"))
    result = ask(parser, text)
    assert result.intent == "statement_query"
    assert result.period is not None
    assert (result.period.start, result.period.end) == (date(2027, 1, 1), date(2027, 1, 31))


def test_a_return_keeps_its_reason(rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "2 dozen cinthol 100g expire ho gaye, wapas le lo"
    rasa.post("/model/parse").respond(json=answer(
        text, "return_request", ("qty", "2"), ("unit", "dozen"), ("product", "cinthol 100 g")))
    result = ask(parser, text)
    assert (result.intent, result.reason) == ("return_request", "expired")
    assert lines(result) == [("CINTHOL-100", 2, "dozen")]


def test_a_visit_keeps_its_amount(rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "visited Laxmi Stores, 3 box disprin order, collected 1500 cash"
    rasa.post("/model/parse").respond(json=answer(
        text, "log_visit", ("qty", "3"), ("unit", "box"), ("product", "disprin")))
    result = ask(parser, text, role="rep")
    assert result.intent == "log_visit"
    assert result.amount == Decimal(1500)
    assert lines(result) == [("DISPRIN", 3, "box")]


def test_items_are_only_read_for_intents_that_carry_them(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    text = "fanta 600 pe koi scheme?"
    rasa.post("/model/parse").respond(json=answer(
        text, "show_schemes", ("product", "fanta 600")))
    assert ask(parser, text) == Parse("show_schemes")


def test_an_intent_we_do_not_know_is_out_of_scope(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    rasa.post("/model/parse").respond(json=answer("mood great", "mood_great"))
    assert ask(parser, "mood great").intent == "out_of_scope"


@pytest.mark.parametrize("failure", [
    httpx.ConnectError("connection refused"),
    httpx.ReadTimeout("timed out"),
    httpx.Response(500, json={"status": "failure", "reason": "ServerError"}),
    httpx.Response(200, text="<html>not rasa</html>"),
    httpx.Response(200, json={"text": "x"}),  # no intent
], ids=["unreachable", "timeout", "server-error", "not-json", "no-intent"])
def test_when_rasa_cannot_answer_the_builtin_parser_does(
        rasa: respx.MockRouter, parser: RasaParser, failure: Exception | httpx.Response,
        caplog: pytest.LogCaptureFixture) -> None:
    route = rasa.post("/model/parse")
    if isinstance(failure, httpx.Response):
        route.mock(return_value=failure)
    else:
        route.mock(side_effect=failure)
    text = "4 case fanta 600 aur 2 peti mirinda 600"
    with caplog.at_level(logging.WARNING, logger="nlu.rasa_backend"):
        result = ask(parser, text)
    assert result == ask_builtin(text)
    assert parser.fallbacks == 1
    assert any(r.getMessage() == "nlu.rasa_unavailable" for r in caplog.records)


def test_after_a_failure_rasa_is_left_alone_for_a_while(
        rasa: respx.MockRouter, parser: RasaParser) -> None:
    route = rasa.post("/model/parse").mock(side_effect=httpx.ConnectError("refused"))
    ask(parser, "2 box disprin")
    ask(parser, "3 box disprin")
    assert route.call_count == 1  # the second message did not wait on a dead server
    assert parser.fallbacks == 2


def test_malformed_entities_are_skipped() -> None:
    sent = "2 box disprin"
    raw = [{"entity": "qty", "start": 0, "end": 1, "value": "2"},
           {"entity": "colour", "start": 2, "end": 5, "value": "box"},
           {"entity": "product", "start": 6, "end": 99, "value": "disprin"},
           {"entity": "unit", "start": "2", "end": None, "value": ""},
           "junk"]
    found = read_entities(sent, raw)
    assert [(e.kind, e.span) for e in found] == [("qty", "2"), ("product", "disprin")]
    assert read_entities(sent, [{"entity": "unit", "value": "box"}])[0].start == 2
    (line,) = group_lines(found)
    assert line.text(line.product.span) == "2 disprin"


def ask_builtin(text: str) -> Parse:
    return BuiltinParser(PRODUCTS).parse(text, ParseContext(role="retailer", now=NOW,
                                                            sender="shop-1"))
