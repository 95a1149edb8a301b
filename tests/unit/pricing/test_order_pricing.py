"""Pricing stories: what a shopkeeper sees when schemes meet an order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from domain.pricing import Buyer, SchemeIndex, cumulative_progress
from tests.unit.pricing.builders import CATALOG, NOV_15, line, price, scheme

FREE_CASE = scheme(
    id="COLA-FREE",
    kind="free_goods",
    slabs=[{"min_qty": 10, "unit": "case", "free_qty": 1, "free_unit": "case"}],
)


def test_free_case_disappears_when_qty_drops_below_slab() -> None:
    # given an order that earned a free case
    earned = price([line("COLA-750", 10, "case")], [FREE_CASE])
    assert [(f.sku, f.qty, f.unit, f.scheme_id) for f in earned.free] == [
        ("COLA-750", 1, "case", "COLA-FREE")
    ]
    # when the shopkeeper drops to 9 cases, the order is priced again from scratch
    dropped = price([line("COLA-750", 9, "case")], [FREE_CASE])
    # then no free line is left behind, and the order is nudged back to the slab
    assert dropped.free == ()
    assert dropped.applied_map() == {"COLA-750": []}
    [nudge] = dropped.nudges
    assert (nudge.add_qty, nudge.unit, nudge.saving) == (1, "case", Decimal("912.00"))
    assert nudge.text == "Add 1 case Cola-750 -> 1 case Cola-750 free, save Rs 912.00"


def test_free_lines_are_at_zero_price_and_not_in_the_discount() -> None:
    priced = price([line("COLA-750", 10, "case")], [FREE_CASE])
    assert (priced.gross, priced.discount, priced.net) == (
        Decimal("9120.00"), Decimal("0.00"), Decimal("9120.00")
    )
    assert priced.free[0].qty_base == 24


def test_pooled_slab_is_reached_by_lines_together_and_shared_by_gross() -> None:
    pool = scheme(
        id="CRISPY-10", scope={"brands": ["Crispy"]}, pooled=True,
        slabs=[{"min_qty": 10, "unit": "box", "percent": 4}],
    )
    priced = price([line("CHIPS-10", 6, "box"), line("CHIPS-20", 4, "box")], [pool])
    assert [ln.discount for ln in priced.lines] == [Decimal("24.77"), Decimal("33.02")]
    assert priced.nudges == ()


def test_pooled_scheme_losing_a_line_is_reevaluated_on_the_lines_it_kept() -> None:
    # given a pool of 10 boxes over two lines, and a higher-priority scheme on one of them
    pool = scheme(
        id="CRISPY-10", scope={"brands": ["Crispy"]}, pooled=True,
        slabs=[{"min_qty": 10, "unit": "box", "percent": 5}],
    )
    special = scheme(
        id="CHIPS20-2", scope={"skus": ["CHIPS-20"]}, priority=1,
        slabs=[{"min_qty": 1, "unit": "box", "percent": 2}],
    )
    # when the order has 6 + 5 boxes
    priced = price([line("CHIPS-10", 6, "box"), line("CHIPS-20", 5, "box")], [pool, special])
    # then CHIPS-20 goes to the special, and 6 boxes alone no longer reach the pool's slab
    assert priced.applied_map() == {"CHIPS-10": [], "CHIPS-20": ["CHIPS20-2"]}
    chips10, chips20 = priced.lines
    assert [(r.scheme_id, r.code) for r in chips10.not_applied] == [
        ("CRISPY-10", "threshold_not_reached")
    ]
    assert [(r.scheme_id, r.code) for r in chips20.not_applied] == [
        ("CRISPY-10", "lost_to_priority")
    ]
    # the pool is still nudged: on all its lines it is reached, so its only slab has no next
    assert priced.nudges == ()


def test_stacked_discounts_add_up_and_stop_at_the_line_gross() -> None:
    big = scheme(id="BIG", slabs=[{"min_qty": 1, "unit": "bottle", "amount_off": 30}])
    extra = scheme(
        id="EXTRA", stackable=True, slabs=[{"min_qty": 1, "unit": "bottle", "amount_off": 20}]
    )
    priced = price([line("COLA-750", 2, "bottle")], [big, extra])
    [only] = priced.lines
    assert (only.gross, only.discount, only.net) == (
        Decimal("76.00"), Decimal("76.00"), Decimal("0.00")
    )
    assert [(r.scheme_id, r.saving) for r in only.applied] == [
        ("BIG", Decimal("60.00")), ("EXTRA", Decimal("16.00"))
    ]


def test_cumulative_scheme_is_never_applied_at_order_time() -> None:
    qps = scheme(id="QPS", cumulative=True)
    priced = price([line("COLA-750", 50, "case")], [qps])
    assert priced.discount == Decimal("0.00")
    assert priced.applied_map() == {"COLA-750": []}
    assert priced.nudges == ()


def test_cumulative_progress_counts_delivered_cases_in_scope() -> None:
    qps = scheme(
        id="QPS", cumulative=True, scope={"brands": ["Cola"]},
        slabs=[{"min_qty": 10, "unit": "case", "percent": 1},
               {"min_qty": 20, "unit": "case", "percent": 2}],
    )
    delivered = {"COLA-750": 240, "COLA-2L": 27, "CHIPS-10": 500}
    reached, text = cumulative_progress(qps, delivered, Decimal("0"), CATALOG)
    # 240 bottles = 10 cases of 24, 27 bottles = 3 cases of 9; the chips are not Cola
    assert reached == 0
    assert text == "QPS: 13 of 20 cases so far; 7 more for the next slab"


def test_cumulative_progress_on_value_says_what_is_left() -> None:
    qps = scheme(id="QPS-V", cumulative=True, slabs=[{"min_value": 50000, "percent": 1}])
    reached, text = cumulative_progress(qps, {}, Decimal("42000"), CATALOG)
    assert reached is None
    assert text == "QPS-V: Rs 42,000.00 of Rs 50,000.00 so far; Rs 8,000.00 more for the next slab"


@pytest.mark.parametrize(
    ("order_line", "message"),
    [
        (line("NOPE", 1), "unknown SKU"),
        (line("COLA-750", 1, "dozen"), "not sold by the dozen"),
        (line("COLA-750", "0.5", "bottle"), "not a whole number"),
        (line("COLA-750", 0), "above zero"),
        (line("COLA-750", -2), "above zero"),
    ],
)
def test_a_line_the_business_cannot_sell_is_refused_as_invalid_input(
    order_line: object, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        price([order_line], [scheme()])  # type: ignore[list-item]


def test_each_scheme_that_did_not_apply_says_why() -> None:
    schemes = [
        scheme(id="OFF", active=False),
        scheme(id="OCT", valid={"from": "2026-10-01", "to": "2026-10-31"}),
        scheme(id="SOUTH", audience={"regions": ["south"]}),
        scheme(id="OTHER-PARTY", audience={"parties": ["R-9"]}),
        scheme(id="FAR", slabs=[{"min_qty": 100, "unit": "case", "percent": 5}]),
        scheme(id="DEAR", kind="fixed_price", slabs=[{"min_qty": 1, "unit": "case", "price": 40}]),
    ]
    [priced] = price([line("COLA-750", 2, "case")], schemes).lines
    assert {(r.scheme_id, r.code) for r in priced.not_applied} == {
        ("OFF", "inactive"),
        ("OCT", "dates"),
        ("SOUTH", "audience"),
        ("OTHER-PARTY", "audience"),
        ("FAR", "threshold_not_reached"),
        ("DEAR", "no_saving"),
    }
    assert priced.discount == Decimal("0.00")


def test_scheme_for_listed_parties_skips_a_buyer_without_party() -> None:
    mine = scheme(id="MINE", audience={"parties": ["R-1"]})
    anonymous = Buyer(on=NOV_15, role="retailer")
    assert price([line("COLA-750", 1)], [mine]).discount == Decimal("45.60")
    assert price([line("COLA-750", 1)], [mine], anonymous).discount == Decimal("0.00")


def test_larger_saving_wins_and_the_loser_says_so() -> None:
    five = scheme(id="FIVE")
    eight = scheme(id="EIGHT", slabs=[{"min_qty": 1, "unit": "case", "percent": 8}])
    [priced] = price([line("COLA-750", 5)], [five, eight]).lines
    assert [r.scheme_id for r in priced.applied] == ["EIGHT"]
    assert [(r.scheme_id, r.code) for r in priced.not_applied] == [
        ("FIVE", "lost_to_better_saving")
    ]
    assert priced.applied[0].text == "EIGHT: 8% off on 1+ case, saved Rs 364.80"


def test_same_sku_on_two_lines_counts_together_for_a_scheme_that_is_not_pooled() -> None:
    two_cases = scheme(id="TWO", slabs=[{"min_qty": 2, "unit": "case", "percent": 5}])
    priced = price([line("COLA-750", 1), line("COLA-750", 24, "bottle")], [two_cases])
    assert [ln.discount for ln in priced.lines] == [Decimal("45.60"), Decimal("45.60")]


def test_identical_free_lines_are_merged() -> None:
    per_dozen = scheme(
        id="SOAP-FREE", kind="free_goods", scope={"brands": ["Glow", "Sweet"]},
        slabs=[{"min_qty": 1, "free_qty": 1, "free_sku": "CANDY-1", "free_unit": "jar"}],
    )
    priced = price([line("SOAP-100", 1), line("CANDY-1", 1)], [per_dozen])
    assert [(f.sku, f.qty, f.unit) for f in priced.free] == [("CANDY-1", 2, "jar")]
    assert priced.applied_map() == {"SOAP-100": ["SOAP-FREE"], "CANDY-1": ["SOAP-FREE"]}


def test_recursive_top_slab_nudges_to_the_next_full_multiple() -> None:
    every_dozen = scheme(
        id="SOAP-12+1", kind="free_goods", scope={"skus": ["SOAP-100"]},
        slabs=[{"min_qty": 12, "unit": "piece", "free_qty": 1, "recursive": True}],
    )
    priced = price([line("SOAP-100", 30, "piece")], [every_dozen])
    assert priced.free[0].qty == 2
    [nudge] = priced.nudges
    assert (nudge.add_qty, nudge.unit, nudge.saving) == (6, "piece", Decimal("91.50"))


def test_pooled_nudge_goes_to_the_first_line_sold_in_the_slab_unit() -> None:
    snacks = scheme(
        id="SNACK-BOX", scope={"categories": ["snacks"]}, pooled=True,
        slabs=[{"min_qty": 5, "unit": "box", "percent": 10}],
    )
    priced = price([line("CANDY-1", 1), line("CHIPS-20", 2, "box")], [snacks])
    [nudge] = priced.nudges
    assert (nudge.sku, nudge.add_qty, nudge.unit) == ("CHIPS-20", 3, "box")
    # 5 boxes of CHIPS-20 (1032.00) plus the jar of candy (49.75), 10% each, rounded per line
    assert nudge.saving == Decimal("103.20") + Decimal("4.98")


def test_scheme_for_other_parties_is_never_nudged() -> None:
    theirs = scheme(id="THEIRS", audience={"parties": ["R-9"]},
                    slabs=[{"min_qty": 10, "unit": "case", "percent": 5}])
    assert price([line("COLA-750", 1)], [theirs]).nudges == ()


def test_value_nudge_names_the_shortfall() -> None:
    worth = scheme(id="WORTH", slabs=[{"min_value": 1000, "percent": 2}])
    [nudge] = price([line("COLA-750", 20, "bottle")], [worth]).nudges
    assert (nudge.add_qty, nudge.add_value, nudge.saving) == (
        None, Decimal("240.00"), Decimal("20.00")
    )
    assert nudge.text == "Add Rs 240.00 more of COLA-750 -> 2% off, save Rs 20.00"


def test_pooled_amount_off_is_shared_by_gross() -> None:
    # Rs 1 a bottle on 24 + 9 bottles = Rs 33, shared 912 : 738 by gross
    per_bottle = scheme(
        id="COLA-RS1", scope={"brands": ["Cola"]}, pooled=True,
        slabs=[{"min_qty": 2, "unit": "case", "amount_off": 1}],
    )
    priced = price([line("COLA-750", 1), line("COLA-2L", 1)], [per_bottle])
    assert [ln.discount for ln in priced.lines] == [Decimal("18.24"), Decimal("14.76")]
    assert priced.discount == Decimal("33.00")


def test_pooled_fixed_price_never_raises_a_cheaper_sku() -> None:
    # At Rs 50 a bottle: the 750ml (Rs 38) adds nothing, the 2L saves 9 x 32 = Rs 288
    at_fifty = scheme(
        id="COLA-50", kind="fixed_price", scope={"brands": ["Cola"]}, pooled=True,
        slabs=[{"min_qty": 2, "unit": "case", "price": 50}],
    )
    priced = price([line("COLA-750", 1), line("COLA-2L", 1)], [at_fifty])
    assert priced.discount == Decimal("288.00")


def test_an_absurd_quantity_is_refused_not_crashed_on() -> None:
    with pytest.raises(InvalidInput, match="more than can be priced"):
        price([line("COLA-750", 10**12)], [scheme()])


def test_odd_catalog_price_is_rounded_half_up_per_line() -> None:
    [priced] = price([line("CANDY-1", 1, "piece")], []).lines
    assert priced.gross == Decimal("1.00")  # 0.995 rounds half-up


def test_to_json_gives_money_as_strings() -> None:
    data = price([line("COLA-750", 10, "case")], [FREE_CASE, scheme(id="FIVE")]).to_json()
    assert data["net"] == "9120.00"
    assert data["free"] == [{"sku": "COLA-750", "qty": 1, "unit": "case", "qty_base": 24,
                             "scheme": "COLA-FREE", "name": "a scheme"}]
    assert data["lines"][0]["not_applied"][0]["code"] == "lost_to_better_saving"
    assert data["applied"] == {"COLA-750": ["COLA-FREE"]}


def test_index_hands_each_line_only_the_schemes_on_its_sku_brand_category_or_everything() -> None:
    schemes = [
        scheme(id="BY-SKU"),
        scheme(id="BY-BRAND", scope={"brands": ["cola"]}),
        scheme(id="BY-CATEGORY", scope={"categories": ["Drinks"], "skus": ["COLA-750"]}),
        scheme(id="EVERYTHING", scope={}),
        scheme(id="ELSEWHERE", scope={"brands": ["Crispy"]}),
    ]
    found = SchemeIndex(schemes).candidates(CATALOG["COLA-750"])
    assert sorted(e.scheme.id for e in found) == [
        "BY-BRAND", "BY-CATEGORY", "BY-SKU", "EVERYTHING"
    ]


def test_two_schemes_with_one_id_are_refused() -> None:
    with pytest.raises(InvalidInput, match="used twice"):
        SchemeIndex([scheme(id="A"), scheme(id="A")])


def test_scheme_valid_through_its_last_day() -> None:
    nov = scheme(id="NOV", valid={"from": "2026-11-01", "to": "2026-11-30"})
    last_day = Buyer(on=date(2026, 11, 30), role="retailer")
    day_after = Buyer(on=date(2026, 12, 1), role="retailer")
    assert price([line("COLA-750", 1)], [nov], last_day).discount > 0
    assert price([line("COLA-750", 1)], [nov], day_after).discount == 0
