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
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header: list[str] = []
    records: list[tuple[int, list[str]]] = []  # (the line the record starts on, its cells)
    try:
        header = [h.strip() for h in next(reader, [])]
        while True:
            # A quoted cell may span lines and blank lines are skipped: count from the reader.
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if cells:
                records.append((start, cells))
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KB limit
        raise ImportFailed([RowError(reader.line_num or 1, "file",
                                     f"unreadable CSV: {exc}")]) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFailed([RowError(1, c, "column missing from header") for c in missing])
    for line, cells in records:
        row = {name: value.strip() for name, value in zip(header, cells, strict=False)}
        bad = [RowError(line, c, "required") for c in required if not row.get(c)]
        if any(c.strip() for c in cells[len(header):]):  # a trailing empty cell is no value
            # Cut off silently, "zed,zed cola" would have imported as just "zed".
            bad.append(RowError(line, "file", f"{len(cells)} cells, but the header has "
                                              f"{len(header)} columns (quote a cell with commas)"))
        yield line, row, bad


def check_text(line: int, column: str, value: str, max_length: int | None,
               errors: list[RowError]) -> None:
    """Names the cell if its value, as it will be stored, does not fit (field_limits)."""
    reason = text_problem(value, max_length)
    if reason is not None:
        errors.append(RowError(line, column, reason))
