"""`dms schemes eval --catalog CATALOG.csv CASES.jsonl [--json]` (spec/schemes.md, Evaluation).

Prices every case with the live pricing engine and compares what the case's `expect` gives:
money to the paisa, free lines and nudges as sets on the keys each expected entry gives,
applied lists as sets (a SKU missing on either side counts as []).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from domain.errors import DomainError, InvalidInput
from domain.model.catalog import Product
from domain.model.scheme import scheme_from_dict
from domain.pricing import Buyer, OrderLineInput, PricedOrder, SchemeIndex, price_order
from domain.services.catalog_file import load_catalog_csv

MONEY_KEYS = {"net_total": "net", "discount_total": "discount", "gross_total": "gross"}
KNOWN_EXPECT = {*MONEY_KEYS, "free", "applied", "nudges"}


@dataclass(frozen=True)
class CaseOutcome:
    name: str
    failure: str | None  # None when the case passed


def run_scheme_eval(catalog_path: Path, cases_path: Path, as_json: bool, out: TextIO) -> int:
    """Print PASS/FAIL per case (and the JSON summary last with as_json); 0 when all pass."""
    catalog = {product.sku: product for product in load_catalog_csv(catalog_path)}
    outcomes = [
        _run_case(number, text, catalog)
        for number, text in enumerate(cases_path.read_text(encoding="utf-8").splitlines(), 1)
        if text.strip()
    ]
    for outcome in outcomes:
        if outcome.failure is None:
            print(f"PASS {outcome.name}", file=out)
        else:
            print(f"FAIL {outcome.name}: {outcome.failure}", file=out)
    failed = [o.name for o in outcomes if o.failure is not None]
    passed = len(outcomes) - len(failed)
    if as_json:
        print(json.dumps({"cases": len(outcomes), "passed": passed, "failed": failed}), file=out)
    else:
        print(f"{passed} of {len(outcomes)} cases passed", file=out)
    return 0 if not failed else 1


def _run_case(number: int, text: str, catalog: Mapping[str, Product]) -> CaseOutcome:
    try:
        case = json.loads(text)
    except json.JSONDecodeError as error:
        return CaseOutcome(f"line {number}", f"not JSON: {error}")
    if not isinstance(case, dict):
        return CaseOutcome(f"line {number}", "a case must be a JSON object")
    name = str(case.get("name") or f"line {number}")
    try:
        priced = _price_case(case, catalog)
        failures = _compare(case.get("expect") or {}, priced)
    except DomainError as error:
        return CaseOutcome(name, f"refused: {error}")
    return CaseOutcome(name, "; ".join(failures) if failures else None)


def _price_case(case: Mapping[str, Any], catalog: Mapping[str, Product]) -> PricedOrder:
    try:
        on = date.fromisoformat(str(case.get("date")))
    except ValueError:
        raise InvalidInput(f"date: must be an ISO date (got {case.get('date')!r})") from None
    buyer = Buyer(on=on, role=str(case.get("role") or ""), region=case.get("region"),
                  party_id=case.get("party"))
    schemes = []
    for i, raw in enumerate(case.get("schemes") or []):
        try:
            schemes.append(scheme_from_dict(raw))
        except InvalidInput as error:
            raise InvalidInput(f"schemes[{i}] {error}") from None
    lines = []
    for i, raw in enumerate(case.get("lines") or []):
        if not isinstance(raw, Mapping) or "sku" not in raw or "qty" not in raw:
            raise InvalidInput(f"lines[{i}]: needs sku and qty")
        lines.append(OrderLineInput(str(raw["sku"]), _decimal(raw["qty"], f"lines[{i}].qty"),
                                    raw.get("unit")))
    return price_order(lines, catalog, SchemeIndex(schemes), buyer)


def _decimal(value: Any, path: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{path}: not a number ({value!r})") from None


def _compare(expect: Mapping[str, Any], priced: PricedOrder) -> list[str]:
    failures = [f"unknown expect key {key!r}" for key in expect if key not in KNOWN_EXPECT]
    for key, attribute in MONEY_KEYS.items():
        if key in expect:
            got = getattr(priced, attribute)
            if _decimal(expect[key], f"expect.{key}") != got:
                failures.append(f"{key} {got}, expected {expect[key]}")
    if "applied" in expect:
        failures.extend(_compare_applied(expect["applied"], priced.applied_map()))
    if "free" in expect:
        got_free = [
            {"sku": f.sku, "qty": f.qty, "unit": f.unit, "scheme": f.scheme_id} for f in priced.free
        ]
        failures.extend(_compare_entries("free", expect["free"], got_free, _same_free))
    if "nudges" in expect:
        got_nudges = [nudge.to_json() for nudge in priced.nudges]
        failures.extend(_compare_entries("nudges", expect["nudges"], got_nudges, _same_nudge))
    return failures


def _compare_applied(
    expected: Mapping[str, Sequence[str]], got: Mapping[str, list[str]]
) -> list[str]:
    return [
        f"applied {sku}: {sorted(got.get(sku, []))}, expected {sorted(expected.get(sku, []))}"
        for sku in sorted({*expected, *got})
        if set(expected.get(sku, [])) != set(got.get(sku, []))
    ]


def _same_free(want: Mapping[str, Any], got: Mapping[str, Any]) -> bool:
    return all(got.get(key) == value for key, value in want.items())


def _same_nudge(want: Mapping[str, Any], got: Mapping[str, Any]) -> bool:
    for key, value in want.items():
        if key in ("saving", "add_value"):
            if got.get(key) is None or Decimal(str(got[key])) != Decimal(str(value)):
                return False
        elif got.get(key) != value:
            return False
    return True


def _compare_entries(
    label: str,
    expected: Sequence[Mapping[str, Any]],
    got: Sequence[Mapping[str, Any]],
    same: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> list[str]:
    """Sets compared on the keys each expected entry gives; the counts must match too."""
    if len(expected) == len(got) and _all_matched(expected, got, same):
        return []
    return [f"{label}: got {json.dumps(list(got))}, expected {json.dumps(list(expected))}"]


def _all_matched(
    expected: Sequence[Mapping[str, Any]],
    got: Sequence[Mapping[str, Any]],
    same: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> bool:
    # A loose expected entry must not take the one actual entry a stricter one needs: match as
    # a bipartite graph (augmenting paths), not greedily.
    owner: dict[int, int] = {}

    def place(want: int, seen: set[int]) -> bool:
        for j, entry in enumerate(got):
            if j in seen or not same(expected[want], entry):
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = want
                return True
        return False

    return all(place(i, set()) for i in range(len(expected)))
