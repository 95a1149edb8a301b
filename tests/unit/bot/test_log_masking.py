"""Phones are masked in every log line, from the shortest E.164 number up; dates and order
numbers are left as they are."""

from __future__ import annotations

import pytest

from bot.observability import mask


@pytest.mark.parametrize(("line", "masked"), [
    ("from +298123456", "from +*****3456"),  # 9 digits: the Faroes
    ("sender 919800000001", "sender ********0001"),
    ("+91 98000 00001 wrote", "+********0001 wrote"),
    ("settled on 2026-11-28", "settled on 2026-11-28"),
    ("order ORD-000012 placed", "order ORD-000012 placed"),
    ("chat 5550001", "chat 5550001"),
])
def test_a_phone_is_masked_down_to_its_last_four_digits(line: str, masked: str) -> None:
    assert mask(line) == masked
