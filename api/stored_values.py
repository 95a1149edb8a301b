"""Request-body field types that take only what the tables can store (domain.model.field_limits),
so the console answers 422 with the reason where the database would have answered 500.

Lengths stay on each field (`Field(max_length=...)`), where OpenAPI documents them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator

from domain.model.field_limits import MONEY, text_problem


def _text(value: str) -> str:
    reason = text_problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


def _money(value: Decimal) -> Decimal:
    reason = MONEY.problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


StoredText = Annotated[str, AfterValidator(_text)]
StoredMoney = Annotated[Decimal, AfterValidator(_money)]
