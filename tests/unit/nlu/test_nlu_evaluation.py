"""`dms nlu eval` scores the live parser the way spec/nlu-eval.md says."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from nlu.evaluation import matched_items, percentile, run_nlu_eval, run_nlu_parse

CATALOG = """sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases
FANTA-600,Fanta Orange 600ml PET,Fanta,Beverages,bottle,case=24,case,34,40,fanta|fanta 600
FANTA-1.5L,Fanta Orange 1.5L PET,Fanta,Beverages,bottle,case=12,case,64,75,fanta|fanta 1.5
MEDIMIX-75,Medimix Soap 75g,Medimix,Personal Care,piece,dozen=12,dozen,30,35,medimix
"""
DEFAULTS = {"FANTA-600": "case", "FANTA-1.5L": "case", "MEDIMIX-75": "dozen"}


def _case(text: str, intent: str, **extra: Any) -> str:
    return json.dumps({"text": text, "role": "retailer", "now": "2027-02-10T10:00:00+05:30",
                       "intent": intent, **extra})


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join([
        _case("fanta 600 3 cs", "place_order",
              items=[{"sku": "FANTA-600", "qty": 3, "unit": "case"}]),
        _case("fanta 2 cs", "place_order",
              items=[{"sku": None, "candidates": ["FANTA-600", "FANTA-1.5L"], "qty": 2,
                      "unit": "case"}]),
        _case("medimix 4", "place_order", items=[{"sku": "MEDIMIX-75", "qty": 4, "unit": None}]),
        _case("last month ka statement", "statement_query",
              period={"from": "2027-01-01", "to": "2027-01-31"}),
        _case("namaste", "greet"),
    ]) + "\n", encoding="utf-8")
    return catalog, cases


def test_report_ends_with_the_figures_as_json(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = io.StringIO()
    predictions = tmp_path / "predictions.jsonl"
    assert run_nlu_eval(files[0], files[1], True, predictions, out) == 0
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["cases"] == 5
    assert figures["intent_accuracy"] == 1.0
    assert figures["item_f1"] == 1.0
    assert figures["exact_match"] == 1.0
    assert set(figures) == {"cases", "intent_accuracy", "item_precision", "item_recall",
                            "item_f1", "exact_match", "p50_ms", "p99_ms"}
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(rows) == 5
    assert set(rows[0]) == {"intent", "items", "period", "reason", "amount", "outlet", "unknown"}


def test_without_json_there_is_no_json_line(files: tuple[Path, Path]) -> None:
    out = io.StringIO()
    run_nlu_eval(files[0], files[1], False, None, out)
    assert not out.getvalue().strip().splitlines()[-1].startswith("{")


def test_parse_prints_one_parse_in_the_case_shape(files: tuple[Path, Path]) -> None:
    out = io.StringIO()
    assert run_nlu_parse(files[0], "2 cs fanta 1.5", "retailer", out) == 0
    parsed = json.loads(out.getvalue())
    assert parsed["items"] == [{"sku": "FANTA-1.5L", "qty": 2, "unit": "case"}]


def test_a_null_gold_unit_accepts_null_or_the_default_unit() -> None:
    gold = [{"sku": "MEDIMIX-75", "qty": 4, "unit": None}]
    assert matched_items(gold, [{"sku": "MEDIMIX-75", "qty": 4, "unit": None}], DEFAULTS) == 1
    assert matched_items(gold, [{"sku": "MEDIMIX-75", "qty": 4, "unit": "dozen"}], DEFAULTS) == 1
    assert matched_items(gold, [{"sku": "MEDIMIX-75", "qty": 4, "unit": "piece"}], DEFAULTS) == 0


def test_an_ambiguous_gold_item_needs_every_candidate_offered() -> None:
    gold = [{"sku": None, "candidates": ["FANTA-600", "FANTA-1.5L"], "qty": 2, "unit": "case"}]
    wider = [{"sku": None, "candidates": ["FANTA-600", "FANTA-1.5L", "X"], "qty": 2,
              "unit": "case"}]
    narrower = [{"sku": None, "candidates": ["FANTA-600"], "qty": 2, "unit": "case"}]
    guessed = [{"sku": "FANTA-600", "qty": 2, "unit": "case"}]
    assert matched_items(gold, wider, DEFAULTS) == 1
    assert matched_items(gold, narrower, DEFAULTS) == 0
    assert matched_items(gold, guessed, DEFAULTS) == 0


def test_each_predicted_item_counts_once() -> None:
    gold = [{"sku": "FANTA-600", "qty": 1, "unit": "case"}] * 2
    assert matched_items(gold, [{"sku": "FANTA-600", "qty": 1, "unit": "case"}], DEFAULTS) == 1


def test_nearest_rank_percentile() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 99) == 99.0
