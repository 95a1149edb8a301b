"""The shared evaluation cases (spec/schemes.md) all pass through `dms schemes eval`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from domain.services.scheme_eval import run_scheme_eval

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
CATALOG = SHARED / "data" / "nlu" / "catalog.csv"
DEV_CASES = SHARED / "data" / "schemes" / "dev_cases.jsonl"

needs_shared = pytest.mark.skipif(
    not (CATALOG.exists() and DEV_CASES.exists()), reason="shared data not checked out"
)


@needs_shared
def test_every_dev_case_passes() -> None:
    out = io.StringIO()
    code = run_scheme_eval(CATALOG, DEV_CASES, as_json=True, out=out)
    lines = out.getvalue().splitlines()
    summary = json.loads(lines[-1])
    assert summary["failed"] == [], "\n".join(line for line in lines if line.startswith("FAIL"))
    assert summary["cases"] == summary["passed"] == 30
    assert code == 0


@needs_shared
def test_a_failing_case_is_reported_with_its_reason(tmp_path: Path) -> None:
    case = json.loads(DEV_CASES.read_text(encoding="utf-8").splitlines()[0])
    case["expect"]["net_total"] = "1.00"
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(case) + "\n\nnot json\n", encoding="utf-8")
    out = io.StringIO()
    assert run_scheme_eval(CATALOG, cases, as_json=True, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == f"FAIL {case['name']}: net_total 8664.00, expected 1.00"
    assert lines[1].startswith("FAIL line 3: not JSON")
    assert json.loads(lines[-1]) == {"cases": 2, "passed": 0, "failed": [case["name"], "line 3"]}


@needs_shared
def test_an_invalid_scheme_fails_its_case_naming_the_field(tmp_path: Path) -> None:
    case = json.loads(DEV_CASES.read_text(encoding="utf-8").splitlines()[0])
    case["schemes"][0]["slabs"][0]["percent"] = 500
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(case), encoding="utf-8")
    out = io.StringIO()
    assert run_scheme_eval(CATALOG, cases, as_json=False, out=out) == 1
    assert "schemes[0] slabs[0].percent: must be between 0 and 100" in out.getvalue()
