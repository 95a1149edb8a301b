"""The rule-based parser: normalize, find order lines, choose the intent, fill its slots.

Half a base unit ("half bottle", "dedh strip" of a strip-only medicine) is never produced as
an item: the line goes to `Parse.unknown` so the bot can say it cannot be sold that way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from domain.model.catalog import Product
from nlu.aliases import AliasBook
from nlu.catalog_matcher import CatalogMatcher
from nlu.intents import Signals, classify, is_visit
from nlu.item_extraction import Extraction, ItemExtractor
from nlu.parse_result import Parse, ParseContext
from nlu.periods import resolve_period
from nlu.return_reasons import return_reason
from nlu.text_normalization import MAX_CHARS, normalize
from nlu.visit_details import VisitDetails, visit_details

log = logging.getLogger(__name__)

ITEM_INTENTS = frozenset({"place_order", "return_request", "log_visit"})


class BuiltinParser:
    def __init__(self, products: Sequence[Product], aliases: AliasBook | None = None) -> None:
        self.matcher = CatalogMatcher(products)
        self.extractor = ItemExtractor(self.matcher)
        self.aliases = aliases

    def parse(self, text: str, context: ParseContext) -> Parse:
        try:
            return self._parse(text, context)
        except Exception:  # the bot must always get an answer; the log keeps the evidence
            log.exception("nlu.parse_failed", extra={"chars": len(text)})
            return Parse(intent="out_of_scope", unknown=(text[:200],) if text.strip() else ())

    def suggest(self, text: str, limit: int = 3) -> list[tuple[str, float]]:
        try:
            return self.matcher.suggest(text[:MAX_CHARS], limit)
        except Exception:
            log.exception("nlu.suggest_failed", extra={"chars": len(text)})
            return []

    def _parse(self, text: str, context: ParseContext) -> Parse:
        normalized = normalize(text)
        visit: VisitDetails | None = None
        for_items = normalized
        if is_visit(normalized, context.role):
            visit = visit_details(text[:MAX_CHARS], normalized)
            for_items = _masked(normalized, visit)
        extraction = self.extractor.extract(
            for_items, self.aliases, context.sender, context.history
        )
        intent = classify(normalized, Signals(
            has_items=bool(extraction.items) or extraction.unknown_lines > 0,
            mentions=extraction.mentions, role=context.role,
        ))
        return self._slots(intent, normalized, extraction, visit, context)

    def _slots(self, intent: str, normalized: str, extraction: Extraction,
               visit: VisitDetails | None, context: ParseContext) -> Parse:
        items = extraction.items if intent in ITEM_INTENTS else ()
        unknown = extraction.unknown if intent in ITEM_INTENTS else ()
        if intent == "statement_query":
            today = (context.now or datetime.now().astimezone()).date()
            return Parse(intent, period=resolve_period(normalized, today))
        if intent == "return_request":
            return Parse(intent, items, reason=return_reason(normalized), unknown=unknown)
        if intent == "log_visit" and visit is not None:
            return Parse(intent, items, amount=visit.amount, outlet=visit.outlet,
                         unknown=unknown)
        return Parse(intent, items, unknown=unknown)


def _masked(normalized: str, visit: VisitDetails) -> str:
    """The visit note without the amount and the outlet name, so neither reads as an item."""
    text = normalized
    if visit.amount_span is not None:
        start, end = visit.amount_span
        text = text[:start] + " , " + text[end:]
    if visit.outlet:
        outlet = normalize(visit.outlet)
        if outlet:
            text = text.replace(outlet, " , ", 1)
    return text
