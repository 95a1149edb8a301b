"""A rep's visit note -> the outlet visited and the money collected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NUM = r"(?P<num>\d{1,3}(?:,\d{2,3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<k>\s*k(?![a-z]))?"
_MODE = r"(?:cash|cheque|chq|check|upi|online|neft|gpay|paytm|phonepe|by \w+|in cash)"
_AMOUNTS = (
    re.compile(
        r"(?<![a-z])(?:collected|collection of|collect kiya|received|recd|rcvd|paid|payment"
        r"(?: of)?|pymt|amount)\s*(?:rs\s*)?(?:" + _MODE + r"\s*)?(?:of\s*)?(?:rs\s*)?" + _NUM
    ),
    re.compile(
        _NUM + r"\s*(?:rs\s*)?(?:" + _MODE + r"\s*)?(?:collected|liya|liye|le liya|mila|mile|"
        r"received|paid|jama)(?![a-z])"
    ),
    re.compile(_NUM + r"\s*(?:rs\s*)?(?:cash|cheque|chq|upi|online|neft)(?![a-z])"),
)

_CLAUSE_SPLIT = re.compile(r"\s+[-–—]+\s+|[,;:\n!?]|\.(?=\s|$)")
_NAME_AFTER = re.compile(
    r"^(?:visited|visiting|visit(?:ed)?\s+(?:done\s+)?(?:at|to)|met\s+(?:the\s+)?owner\s+of|"
    r"met\s+(?:the\s+)?(?:owner|manager|seth|sethji)\s+(?:at|of)|met|log(?:ged)?\s+visit(?:\s+at)?|"
    r"visit(?:\s+done)?(?:\s+at)?)\s+(?P<name>.+)$",
    re.IGNORECASE,
)
_NAME_BEFORE = re.compile(
    r"^(?P<name>.+?)\s+(?:visited|visit\s+done|visit\s+kiya|visit\s+hua|ka\s+visit|"
    r"me\s+visit|visit)$",
    re.IGNORECASE,
)
_KEYWORD_ONLY = re.compile(r"^(?:log(?:ged)?\s+)?visit(?:ed)?(?:\s+(?:done|report|note))?$",
                           re.IGNORECASE)
_AT_NAME = re.compile(r"(?<![A-Za-z])(?:at|@)\s+(?P<name>[A-Z][\w&'.]*(?:\s+[A-Z&][\w&'.]*)*)")
_VISIT_WORD = re.compile(r"(?<![a-z])(?:re-?)?visit", re.IGNORECASE)
_NOT_A_NAME = re.compile(
    r"^(?:no|took|order|ordered|collected|payment|paid|will|shop|owner|wants|cash|visit|"
    r"log)\b|\d",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class VisitDetails:
    outlet: str | None
    amount: Decimal | None
    amount_span: tuple[int, int] | None  # in the normalized text, to keep it out of the items


def collected_amount(normalized: str) -> tuple[Decimal | None, tuple[int, int] | None]:
    for pattern in _AMOUNTS:
        m = pattern.search(normalized)
        if m is None:
            continue
        try:
            value = Decimal(m["num"].replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits numbers only
            continue
        if m["k"]:
            value *= 1000
        return value, m.span()
    return None, None


def _clauses(original: str) -> list[str]:
    return [c.strip(" .-–—•*") for c in _CLAUSE_SPLIT.split(original) if c.strip(" .-–—•*")]


def _clean(name: str) -> str | None:
    name = " ".join(name.split()).strip(" .-:")
    if not name or _NOT_A_NAME.search(name) or not re.search(r"[^\W\d_]", name):
        return None
    return name


def outlet_name(original: str) -> str | None:
    """The outlet named in a visit note, as the rep wrote it."""
    clauses = _clauses(original)
    at_name = _AT_NAME.search(original)  # "met Ramesh at New Balaji Kirana"
    if at_name and (name := _clean(at_name["name"])):
        return name
    for n, clause in enumerate(clauses):
        if not _VISIT_WORD.search(clause):
            continue
        if _KEYWORD_ONLY.match(clause) and n + 1 < len(clauses):
            name = _clean(clauses[n + 1])
            if name:
                return name
        for pattern in (_NAME_AFTER, _NAME_BEFORE):
            m = pattern.match(clause)
            if m and (name := _clean(m["name"])):
                return name
    return _clean(clauses[0]) if clauses else None


def visit_details(original: str, normalized: str) -> VisitDetails:
    amount, span = collected_amount(normalized)
    return VisitDetails(outlet_name(original), amount, span)
