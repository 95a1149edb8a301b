"""A scheme is checked once on its way in, and every refusal names the field to fix."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.model.scheme import scheme_from_dict, scheme_to_dict

MAGGI_10: dict[str, Any] = {
    "id": "MAGGI-10",
    "name": "Maggi: 10 cases or more, 5% off; 20 or more, 8%",
    "kind": "discount",
    "scope": {"skus": [], "brands": ["Maggi"], "categories": []},
    "audience": {"roles": ["retailer"], "regions": [], "parties": []},
    "valid": {"from": "2026-11-01", "to": "2026-11-30"},
    "pooled": True,
    "slabs": [{"min_qty": 10, "unit": "case", "percent": 5},
              {"min_qty": 20, "unit": "case", "percent": 8}],
    "stackable": False,
    "priority": 0,
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(MAGGI_10)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DROP:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


_DROP = object()


def test_the_spec_example_reads_and_round_trips_exactly() -> None:
    scheme = scheme_from_dict(MAGGI_10)
    assert scheme.valid_from == date(2026, 11, 1)
    assert scheme.slabs[1].percent == Decimal("8")
    assert scheme_to_dict(scheme) == MAGGI_10
    assert scheme_from_dict(json.loads(json.dumps(scheme_to_dict(scheme)))) == scheme


def test_numbers_keep_their_json_form_on_the_way_out() -> None:
    data = _with("slabs", [{"min_qty": 1, "unit": "packet", "amount_off": 12.2},
                           {"min_qty": 2.5, "unit": "packet", "amount_off": 13.0}])
    slabs = scheme_to_dict(scheme_from_dict(data))["slabs"]
    assert slabs == [{"min_qty": 1, "unit": "packet", "amount_off": 12.2},
                     {"min_qty": 2.5, "unit": "packet", "amount_off": 13.0}]
    assert isinstance(slabs[0]["min_qty"], int)


def test_yaml_dates_and_optional_parts_are_accepted() -> None:
    minimal = {"id": "X", "kind": "fixed_price", "slabs": [{"min_qty": 1, "price": 450}],
               "valid": {"from": date(2026, 11, 1)}, "why": "a note"}
    scheme = scheme_from_dict(minimal)
    assert (scheme.name, scheme.valid_from, scheme.valid_to) == ("X", date(2026, 11, 1), None)
    assert scheme.scope.is_everything and scheme.active and not scheme.cumulative


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("kind", "bogo", "kind: must be one of discount, free_goods, fixed_price"),
        ("id", _DROP, "id: required"),
        ("slabs", [], "slabs: must be a non-empty list"),
        ("slabs.0", {"unit": "case", "percent": 5}, "slabs[0]: needs min_qty or min_value"),
        ("slabs.1.percent", 120, "slabs[1].percent: must be between 0 and 100"),
        ("slabs.1.percent", -1, "slabs[1].percent: must not be negative"),
        ("slabs.0.min_qty", -10, "slabs[0].min_qty: must not be negative"),
        ("slabs.0.min_qty", "ten", "slabs[0].min_qty: must be a number"),
        ("slabs.0.min_qty", True, "slabs[0].min_qty: must be a number"),
        ("slabs.1.min_qty", 10, "slabs[1].min_qty: slabs must be in ascending order"),
        ("slabs.1.free_qty", 1, "slabs[1].free_qty: not allowed on a discount scheme"),
        ("slabs.1.amount_off", 3, "slabs[1]: a discount slab needs percent or amount_off"),
        ("slabs.0.colour", "red", "slabs[0].colour: unknown field"),
        ("slabs.0.min_value", 100, "slabs[0]: give min_qty or min_value, not both"),
        ("valid.from", "01/11/2026", "valid.from: must be an ISO date"),
        ("valid.to", "2026-10-01", "valid: from 2026-11-01 is after to 2026-10-01"),
        ("scope.brands", "Maggi", "scope.brands: must be a list of strings"),
        ("audience.roles", [""], "audience.roles[0]: must be a non-empty string"),
        ("pooled", "yes", "pooled: must be true or false"),
        ("priority", 1.5, "priority: must be a whole number"),
        ("stackabel", True, "stackabel: unknown field"),
    ],
)
def test_a_bad_scheme_is_refused_naming_the_field(path: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        scheme_from_dict(_with(path, value))
    assert str(refused.value).startswith(message)


def test_free_goods_slab_needs_free_qty() -> None:
    data = _with("kind", "free_goods")
    data["slabs"] = [{"min_qty": 10, "unit": "case"}]
    with pytest.raises(InvalidInput, match=r"slabs\[0\].free_qty: required"):
        scheme_from_dict(data)


def test_pooled_free_goods_over_a_brand_must_name_the_free_sku() -> None:
    data = _with("kind", "free_goods")
    data["slabs"] = [{"min_qty": 10, "unit": "case", "free_qty": 1, "free_unit": "case"}]
    with pytest.raises(InvalidInput, match=r"slabs\[0\].free_sku: required for a pooled"):
        scheme_from_dict(data)
    data["slabs"][0]["free_sku"] = "MAGGI-70G"
    assert scheme_from_dict(data).slabs[0].free_sku == "MAGGI-70G"


def test_pooled_free_goods_over_one_sku_may_give_the_same_sku() -> None:
    data = _with("kind", "free_goods")
    data["scope"] = {"skus": ["MAGGI-70G"]}
    data["slabs"] = [{"min_qty": 10, "unit": "case", "free_qty": 1}]
    assert scheme_from_dict(data).slabs[0].free_sku is None


def test_recursive_is_read_from_the_slab_with_the_scheme_as_default() -> None:
    data = {"id": "F", "kind": "free_goods", "recursive": True,
            "slabs": [{"min_qty": 12, "free_qty": 1}, {"min_qty": 24, "free_qty": 3,
                                                        "recursive": False}]}
    scheme = scheme_from_dict(data)
    assert [scheme.slab_is_recursive(s) for s in scheme.slabs] == [True, False]
    assert scheme_from_dict(scheme_to_dict(scheme)) == scheme
