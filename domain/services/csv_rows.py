"""Reading an import CSV: rows with their line numbers, cells trimmed, and the problems every
import shares (unreadable file, missing columns, empty required cells) named per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from domain.errors import ImportFailed, RowError
from domain.model.field_limits import text_problem


def csv_rows(text: str, required: Sequence[str]
             ) -> Iterator[tuple[int, dict[str, str], list[RowError]]]:
    """(line, trimmed row, the row's missing required cells) for each data row.

    Raises ImportFailed at once for an unreadable file or a header without a required column.
    """
    # newline="" as the csv module asks, so a bare CR ends a line instead of raising.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KB limit
        # DictReader.line_num lags a row behind; its csv reader knows the line that failed.
        line = reader.reader.line_num or 1
        raise ImportFailed([RowError(line, "file", f"unreadable CSV: {exc}")]) from None
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([RowError(1, c, "column missing from header") for c in missing])
    for line, raw in enumerate(records, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        yield line, row, [RowError(line, c, "required") for c in required if not row.get(c)]


def check_text(line: int, column: str, value: str, max_length: int | None,
               errors: list[RowError]) -> None:
    """Names the cell if its value, as it will be stored, does not fit (field_limits)."""
    reason = text_problem(value, max_length)
    if reason is not None:
        errors.append(RowError(line, column, reason))
