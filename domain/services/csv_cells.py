"""Text cells of the CSV files we hand out (statements, claims), safe to open in a spreadsheet.

A cell starting with = + - @ (or a tab or carriage return) is a formula to Excel and its
kin: a narration typed as =HYPERLINK(...) would run when the distributor opens the file. Such
text gets a leading apostrophe, which the spreadsheet shows as text (OWASP's advice on CSV
injection). Numbers are written by us and are never passed through here.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
