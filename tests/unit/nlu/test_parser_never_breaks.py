"""Properties: any text parses, fast, into sane quantities."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.model.catalog import Product
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import INTENTS
from tests.unit.nlu.shop_catalog import PRODUCTS, parse

PARSER = BuiltinParser(PRODUCTS)


class _Failures(logging.Handler):
    """parse() never raises: it logs and answers out_of_scope. The properties must see those."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


FAILURES = _Failures()
logging.getLogger("nlu.builtin_parser").addHandler(FAILURES)
SHOP_WORDS = ["fanta", "600", "2", "cs", "peti", "half", "dedh", "x", "-", "\n", ",", "aur",
              "bottle", "box", "mirinda", "1.5l", "@", "rs", "10", "wala", "pcs", "0", "dabba",
              "१२", "पेटी", "ace", "bada", "return", "visit", "since", "q4", "😀", "x3", "3x"]
shop_text = st.lists(st.sampled_from(SHOP_WORDS), max_size=40).map(" ".join)
any_text = st.text(max_size=4096)
PER_MESSAGE_LIMIT_S = 0.5  # generous: a bound that catches runaway work, not a benchmark


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(any_text, shop_text))
def test_any_text_parses_without_error_in_bounded_time(text: str) -> None:
    started = time.perf_counter()
    result = parse(PARSER, text)
    assert time.perf_counter() - started < PER_MESSAGE_LIMIT_S
    assert result.intent in INTENTS
    result.to_json()
    assert not FAILURES.records, "parse failed inside and fell back"


@settings(max_examples=200, deadline=None)
@given(shop_text)
def test_quantities_are_never_negative_nor_fractions_of_a_base_unit(text: str) -> None:
    result = parse(PARSER, text)
    assert not FAILURES.records, "parse failed inside and fell back"
    for item in result.items:
        assert item.qty >= 0
        skus = [item.sku] if item.sku else list(item.candidates)
        products = [p for p in PRODUCTS if p.sku in skus]
        assert products
        unit_sizes = {p.units.get(item.unit or p.default_unit) for p in products}
        if unit_sizes == {1}:
            assert item.qty == item.qty.to_integral_value()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([p for p in PRODUCTS if p.pack_units.get("case") == 24]),
       st.sampled_from(["half case", "aadha case", "0.5 cs", "1/2 peti", "½ case"]))
def test_half_a_case_of_24_is_half_a_case(product: Product, phrase: str) -> None:
    (item,) = parse(PARSER, f"{phrase} {product.name}").items
    assert item.sku == product.sku
    assert (item.qty, item.unit) == (Decimal("0.5"), "case")
    assert product.to_base(item.qty, item.unit) == 12


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([p for p in PRODUCTS if p.base_unit == "bottle"]),
       st.sampled_from(["half bottle", "aadhi bottle", "0.5 btl", "dedh bottle"]))
def test_part_of_a_bottle_is_never_an_item(product: Product, phrase: str) -> None:
    result = parse(PARSER, f"{phrase} {product.name}")
    assert result.items == ()
    assert result.unknown
