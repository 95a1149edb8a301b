"""Statement periods resolve against the message date and never run past it."""

from __future__ import annotations

from datetime import date

import pytest

from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import Period
from nlu.periods import resolve_period
from tests.unit.nlu.shop_catalog import parse

FEB_10 = date(2027, 2, 10)  # FY 2026-27, Q4


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("last month", date(2027, 1, 1), date(2027, 1, 31)),
        ("pichle mahine ka hisaab", date(2027, 1, 1), date(2027, 1, 31)),
        ("this month", date(2027, 2, 1), FEB_10),
        ("last 45 days", date(2026, 12, 27), FEB_10),
        ("pichle 10 din ka", date(2027, 1, 31), FEB_10),
        ("since 15 dec", date(2026, 12, 15), FEB_10),
        ("1 nov se aaj tak", date(2026, 11, 1), FEB_10),
        ("from 05/01/2027 to 20/01/2027", date(2027, 1, 5), date(2027, 1, 20)),
        ("q1", date(2026, 4, 1), date(2026, 6, 30)),
        ("q3 ka statement", date(2026, 10, 1), date(2026, 12, 31)),
        ("q4", date(2027, 1, 1), FEB_10),
        ("last quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("fy so far", date(2026, 4, 1), FEB_10),
        ("fy 2025-26", date(2025, 4, 1), date(2026, 3, 31)),
        ("fy26", date(2025, 4, 1), date(2026, 3, 31)),
        ("december ka ledger", date(2026, 12, 1), date(2026, 12, 31)),
        ("march ka ledger", date(2026, 3, 1), date(2026, 3, 31)),
        ("nov-jan statement", date(2026, 11, 1), date(2027, 1, 31)),
        ("since april", date(2026, 4, 1), FEB_10),
    ],
)
def test_period(text: str, start: date, end: date) -> None:
    assert resolve_period(text, FEB_10) == Period(start, end)


def test_a_period_never_runs_past_the_message_date() -> None:
    period = resolve_period("this quarter", date(2026, 5, 20))
    assert period == Period(date(2026, 4, 1), date(2026, 5, 20))
    future = resolve_period("from 1 jan 2030 to 5 jan 2030", FEB_10)
    assert future is None


def test_financial_quarters_start_in_april_before_april() -> None:
    assert resolve_period("q4", date(2026, 2, 1)) == Period(date(2026, 1, 1), date(2026, 2, 1))
    assert resolve_period("q1", date(2026, 2, 1)) == Period(date(2025, 4, 1), date(2025, 6, 30))


def test_no_period_words_no_period() -> None:
    assert resolve_period("mera balance kitna hai", FEB_10) is None


def test_the_parser_fills_the_period_from_the_message_time(parser: BuiltinParser) -> None:
    result = parse(parser, "jan ka account statement bhejo")
    assert result.intent == "statement_query"
    assert result.period == Period(date(2027, 1, 1), date(2027, 1, 31))
