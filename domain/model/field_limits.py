"""What a stored field can hold: the sizes the tables are built from (adapters/tables.py), and
the checks every way in (file imports, the console) runs before anything is written.

PostgreSQL refuses values that SQLite keeps without a word: a NUL character in text, a string
longer than its VARCHAR, a number past its NUMERIC precision; and it rounds away decimal places
the column lacks. Checking here first makes each of those a named row error or a 422, the same
on every database, instead of a driver error at commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# VARCHAR lengths, in characters. Ids join across tables, so they all share one length.
ID_LENGTH = 64  # sku, party id, scheme id, distributor_id, ledger and stock refs
PRODUCT_NAME_LENGTH = 200
BRAND_LENGTH = 100
CATEGORY_LENGTH = 100
UNIT_LENGTH = 30
PARTY_NAME_LENGTH = 200
ROLE_LENGTH = 20
PHONE_LENGTH = 20
REGION_LENGTH = 50
CHANNEL_LENGTH = 30
SCHEME_NAME_LENGTH = 300
NARRATION_LENGTH = 300  # ledger narration, reversal and rejection reasons
CLIENT_ID_LENGTH = 100
STATUS_NOTE_LENGTH = 500


@dataclass(frozen=True)
class Decimals:
    """A NUMERIC(digits, places) column: `digits` significant digits, `places` after the point."""

    digits: int
    places: int

    @property
    def whole_digits(self) -> int:
        return self.digits - self.places

    def problem(self, value: Decimal) -> str | None:
        """Why the column cannot hold `value` exactly, or None."""
        return self.size_problem(value) or self.places_problem(value)

    def size_problem(self, value: Decimal) -> str | None:
        """Why `value` is too large for the column, or None (extra decimal places allowed)."""
        if not value.is_finite():
            return "must be a finite number"
        if value and value.adjusted() >= self.whole_digits:
            return f"must have at most {self.whole_digits} digits before the decimal point"
        return None

    def places_problem(self, value: Decimal) -> str | None:
        # Exact on the digits: quantize() would round through the context's 28-digit precision.
        _, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            return "must be a finite number"
        extra = -exponent - self.places
        if extra > 0 and any(digits[-extra:]):
            return f"must have at most {self.places} decimal places"
        return None


MONEY = Decimals(14, 2)
QUANTITY = Decimals(14, 3)
# INTEGER columns: quantities in base units (order lines, stock levels and moves).
BASE_UNITS_MAX = 2_147_483_647
# Base units in one pack: a 50 kg bag in grams is 50,000. With at most 10,000 packs to a line
# (domain.services.ordering.MAX_CASES) a line's base units stay inside BASE_UNITS_MAX.
PACK_SIZE_MAX = 100_000


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """Why `value` cannot be stored as text (of at most `max_length` characters), or None."""
    if "\x00" in value:
        return "must not contain a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, e.g. from a JSON "\ud800" escape
            return "must be valid Unicode text"
    if max_length is not None and len(value) > max_length:
        return f"must be at most {max_length} characters (got {len(value)})"
    return None
