"""`dms nlu eval` and `dms nlu parse` (spec/nlu-eval.md): the live parser, scored.

Every message goes through the parser's `parse`, the same call the bot makes (the built-in
rules, or with backend "rasa" a Rasa server plus our resolution); only the parse itself is
timed, with the catalog already loaded.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import httpx

from domain.model.catalog import Product
from domain.services.catalog_file import load_catalog_csv
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import Parse, ParseContext
from nlu.parser import Parser

_QTY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Case:
    text: str
    role: str
    now: datetime | None
    gold: dict[str, Any]

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Case:
        now = datetime.fromisoformat(row["now"]) if row.get("now") else None
        return cls(str(row["text"]), str(row.get("role", "retailer")), now, row)


@dataclass
class Scores:
    default_units: dict[str, str]  # sku -> the unit a line without one is counted in
    cases: int = 0
    intents_right: int = 0
    exact: int = 0
    true_items: int = 0
    predicted_items: int = 0
    gold_items: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, gold: dict[str, Any], parse: Parse, elapsed_ms: float) -> None:
        predicted = parse.to_json()
        self.cases += 1
        self.latencies_ms.append(elapsed_ms)
        intent_right = predicted["intent"] == gold.get("intent")
        self.intents_right += intent_right
        gold_items: list[dict[str, Any]] = list(gold.get("items") or [])
        hits = matched_items(gold_items, predicted["items"], self.default_units)
        self.true_items += hits
        self.predicted_items += len(predicted["items"])
        self.gold_items += len(gold_items)
        items_right = hits == len(gold_items) == len(predicted["items"])
        if intent_right and items_right and _slots_right(gold, predicted):
            self.exact += 1

    def summary(self) -> dict[str, Any]:
        precision = self.true_items / self.predicted_items if self.predicted_items else 1.0
        recall = self.true_items / self.gold_items if self.gold_items else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "cases": self.cases,
            "intent_accuracy": _ratio(self.intents_right, self.cases),
            "item_precision": round(precision, 4),
            "item_recall": round(recall, 4),
            "item_f1": round(f1, 4),
            "exact_match": _ratio(self.exact, self.cases),
            "p50_ms": round(percentile(self.latencies_ms, 50), 3),
            "p99_ms": round(percentile(self.latencies_ms, 99), 3),
        }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _same_qty(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) <= _QTY_TOLERANCE
    except (TypeError, ValueError):
        return False


def _item_right(gold: dict[str, Any], predicted: dict[str, Any], default_unit: str | None) -> bool:
    if not _same_qty(gold.get("qty"), predicted.get("qty")):
        return False
    gold_unit, unit = gold.get("unit"), predicted.get("unit")
    if gold_unit is None:
        if unit is not None and unit != default_unit:
            return False
    elif unit != gold_unit:
        return False
    if gold.get("sku") is None:
        return predicted.get("sku") is None and set(gold.get("candidates") or []) <= set(
            predicted.get("candidates") or [])
    return bool(predicted.get("sku") == gold.get("sku"))


def _default_unit(gold: dict[str, Any], default_units: dict[str, str]) -> str | None:
    """The unit a unit-less gold line means: its SKU's default unit, or for an ambiguous line
    the default its candidates share (None when they differ)."""
    skus = [gold["sku"]] if gold.get("sku") else list(gold.get("candidates") or [])
    defaults = {default_units.get(sku) for sku in skus}
    return defaults.pop() if len(defaults) == 1 else None


def matched_items(gold: list[dict[str, Any]], predicted: list[dict[str, Any]],
                  default_units: dict[str, str]) -> int:
    """How many gold items the parse got right (each predicted item counted once)."""
    used: set[int] = set()
    hits = 0
    for g in gold:
        default = _default_unit(g, default_units)
        for n, p in enumerate(predicted):
            if n not in used and _item_right(g, p, default):
                used.add(n)
                hits += 1
                break
    return hits


def _slots_right(gold: dict[str, Any], predicted: dict[str, Any]) -> bool:
    if "period" in gold and gold["period"] != predicted["period"]:
        return False
    if "reason" in gold and gold["reason"] != predicted["reason"]:
        return False
    return "amount" not in gold or _same_amount(gold["amount"], predicted["amount"])


def _same_amount(gold: Any, predicted: Any) -> bool:
    if gold is None or predicted is None:
        return gold is predicted
    return Decimal(str(gold)) == Decimal(str(predicted))


def load_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                cases.append(Case.from_json(json.loads(line)))
    return cases


def evaluate(parser: Parser, products: Sequence[Product], cases: Sequence[Case],
             predictions: TextIO | None = None) -> dict[str, Any]:
    scores = Scores({p.sku: p.default_unit for p in products})
    for case in cases:
        context = ParseContext(role=case.role, now=case.now)
        started = time.perf_counter()
        parse = parser.parse(case.text, context)
        elapsed_ms = (time.perf_counter() - started) * 1000
        scores.add(case.gold, parse, elapsed_ms)
        if predictions is not None:
            predictions.write(json.dumps(parse.to_json(), ensure_ascii=False) + "\n")
    return scores.summary()


def _report(summary: dict[str, Any]) -> str:
    return "\n".join([
        f"cases            {summary['cases']}",
        f"intent accuracy  {summary['intent_accuracy']:.4f}",
        f"item precision   {summary['item_precision']:.4f}",
        f"item recall      {summary['item_recall']:.4f}",
        f"item F1          {summary['item_f1']:.4f}",
        f"exact match      {summary['exact_match']:.4f}",
        f"latency p50      {summary['p50_ms']:.3f} ms",
        f"latency p99      {summary['p99_ms']:.3f} ms",
    ])


@contextmanager
def backend_parser(products: Sequence[Product], backend: str = "builtin",
                   rasa_url: str | None = None) -> Iterator[Parser]:
    """The parser the bot would use with NLU_BACKEND=backend, for the length of a command."""
    if backend != "rasa":
        yield BuiltinParser(products)
        return
    from nlu.rasa_backend import RasaParser

    if not rasa_url:
        raise ValueError("the rasa backend needs a Rasa URL (RASA_URL or --rasa-url)")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per message
    with httpx.Client() as http:
        yield RasaParser(products, http, rasa_url, BuiltinParser(products),
                         timeout=httpx.Timeout(30.0, connect=5.0), retry_after=0.0)


def run_nlu_eval(catalog_path: Path, cases_path: Path, as_json: bool,
                 predictions: Path | None, out: TextIO, backend: str = "builtin",
                 rasa_url: str | None = None) -> int:
    """`dms nlu eval`: prints the report; with as_json the figures as JSON on the last line."""
    products = load_catalog_csv(catalog_path)
    cases = load_cases(cases_path)
    with backend_parser(products, backend, rasa_url) as parser:
        if predictions is not None:
            with predictions.open("w", encoding="utf-8") as handle:
                summary = evaluate(parser, products, cases, handle)
        else:
            summary = evaluate(parser, products, cases)
        fallbacks = getattr(parser, "fallbacks", None)
    if fallbacks is not None:
        # a figure the built-in parser made up for an unreachable Rasa is not Rasa's
        summary = {**summary, "backend": backend, "fallbacks": fallbacks}
    out.write(_report(summary) + "\n")
    if fallbacks is not None:
        out.write(f"backend          {backend} ({fallbacks} message(s) fell back to builtin)\n")
    if as_json:
        out.write(json.dumps(summary) + "\n")
    return 0


def run_nlu_parse(catalog_path: Path, text: str, role: str, out: TextIO,
                  backend: str = "builtin", rasa_url: str | None = None) -> int:
    """`dms nlu parse`: one message -> its parse as JSON (the case shape plus `unknown`)."""
    with backend_parser(load_catalog_csv(catalog_path), backend, rasa_url) as parser:
        parse = parser.parse(text, ParseContext(role=role, now=datetime.now().astimezone()))
    out.write(json.dumps(parse.to_json(), ensure_ascii=False) + "\n")
    return 0
