"""Rasa as the NLU backend: Rasa says what the message wants and where the products are; our
catalog matcher and quantity grammar say which SKU, how many and in what unit.

`POST {RASA_URL}/model/parse` answers (Rasa's HTTP API, ParseResult):
    {"text": ..., "intent": {"name": ..., "confidence": ...},
     "entities": [{"entity": "product" | "qty" | "unit", "value": ..., "start": ..., "end": ...,
                   "extractor": ..., "confidence_entity": ..., "processors": [...]}, ...],
     "intent_ranking": [...]}
Offsets index the text we sent, which is the message as `rasa_text` writes it (the form the
exported training data is written in). Periods, return reasons, amounts and outlets come from
our own grammar. When Rasa cannot be reached (or answers nonsense) the built-in parser answers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from domain.model.catalog import Product
from nlu.aliases import AliasBook
from nlu.builtin_parser import ITEM_INTENTS, BuiltinParser
from nlu.catalog_matcher import CatalogMatcher
from nlu.item_extraction import ItemExtractor
from nlu.message_tokens import Token, tokenize
from nlu.parse_result import INTENTS, Parse, ParseContext, ParsedItem
from nlu.parser import Parser
from nlu.periods import resolve_period
from nlu.quantities import is_number_word, number_value
from nlu.return_reasons import return_reason
from nlu.text_normalization import MAX_CHARS, normalize
from nlu.units import misspelt_unit, unit_word
from nlu.visit_details import visit_details

log = logging.getLogger(__name__)

PRODUCT, QTY, UNIT = "product", "qty", "unit"
ENTITIES = (PRODUCT, QTY, UNIT)
DEFAULT_TIMEOUT = httpx.Timeout(3.0, connect=1.0)
RETRY_AFTER_SECONDS = 30.0  # after a failure, the built-in parser answers alone this long


_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}\s*[.)]\s+(?=\D)")  # "1. ", "2) " opening a line
_GLUED = re.compile(r"(?<![a-z0-9.,])(\d+(?:\.\d+)?)([a-z]+)(?![a-z0-9])")  # "5cs", "750ml"
_TIMES = re.compile(r"(?<![a-z0-9])x(?=\d)")  # "x2"


def rasa_text(text: str) -> str:
    """The form messages take on the way to Rasa, in training and at parse time alike:
    normalized (lower-case Latin, spaces collapsed), list numbers dropped, a number glued to
    its unit split off ("5cs" -> "5 cs": Rasa tags whole tokens), lines joined by ' , '.
    Our own grammar reads this form exactly as it reads the message."""
    normalized = _LIST_MARKER.sub("", normalize(text))
    normalized = _TIMES.sub("x ", _GLUED.sub(r"\1 \2", normalized))
    return " , ".join(line.strip() for line in normalized.split("\n") if line.strip())


class RasaUnavailable(Exception):
    """Rasa could not be asked, or its answer was not a parse."""


@dataclass(frozen=True)
class Entity:
    kind: str
    start: int
    end: int
    span: str  # the sent text between start and end
    value: str  # after Rasa's synonym mapping, if any


@dataclass
class _Line:
    """One order line as Rasa cut it: a product span and the quantity and unit spans near it."""

    product: Entity
    qty: Entity | None = None
    unit: Entity | None = None

    def text(self, product: str) -> str:
        parts = [e.span for e in (self.qty, self.unit) if e is not None]
        return " ".join([*parts, product])


def read_entities(sent: str, raw: Any) -> list[Entity]:
    """Rasa's entity list -> ours, in message order; anything malformed is left out."""
    found: list[Entity] = []
    if not isinstance(raw, list):
        return found
    for item in raw:
        if not isinstance(item, dict) or item.get("entity") not in ENTITIES:
            continue
        start, end, value = item.get("start"), item.get("end"), item.get("value")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(sent)):
            # no usable offsets: where the value stands in the text, if it does
            start = sent.find(value.strip()) if isinstance(value, str) and value.strip() else -1
            if start < 0:
                continue
            end = start + len(str(value).strip())
        span = sent[start:end]
        found.append(Entity(str(item["entity"]), start, end, span.strip(),
                            str(value).strip() if value is not None else span.strip()))
    found.sort(key=lambda e: e.start)
    return found


def group_lines(entities: Sequence[Entity]) -> list[_Line]:
    """Pairs each product with the quantity and unit said next to it: '2 cs coke, 5 surf'
    (before it) or 'coke 750 - 3 case' (after it, when it has none of its own yet)."""
    lines: list[_Line] = []
    waiting: list[Entity] = []  # quantities and units said before their product
    for entity in entities:
        if entity.kind == PRODUCT:
            line = _Line(entity)
            for said in waiting:
                _attach(line, said)
            waiting = []
            lines.append(line)
            continue
        last = lines[-1] if lines else None
        if not waiting and last is not None and _free_for(last, entity):
            _attach(last, entity)
        else:
            waiting.append(entity)
    return lines


def _free_for(line: _Line, entity: Entity) -> bool:
    if entity.kind == QTY:
        return line.qty is None and line.unit is None
    return line.unit is None  # a unit after the quantity: "coke - 3 case"


def _attach(line: _Line, entity: Entity) -> None:
    if entity.kind == QTY and line.qty is None:
        line.qty = entity
    elif entity.kind == UNIT and line.unit is None:
        line.unit = entity


class RasaParser:
    """The Parser port over a Rasa server; `fallback` answers when Rasa cannot."""

    def __init__(self, products: Sequence[Product], http: httpx.Client, rasa_url: str,
                 fallback: Parser | None = None, aliases: AliasBook | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 retry_after: float = RETRY_AFTER_SECONDS) -> None:
        self.http = http
        self.url = rasa_url.rstrip("/") + "/model/parse"
        self.timeout = timeout
        self.retry_after = retry_after
        self._down_until = 0.0  # time.monotonic() before which Rasa is not asked
        self.fallbacks = 0  # messages the built-in parser answered instead
        self.aliases = aliases
        builtin = fallback if isinstance(fallback, BuiltinParser) else None
        if builtin is None:
            builtin = BuiltinParser(products, aliases)
        self.fallback: Parser = fallback or builtin
        # one catalog index serves both: the fallback's is already built
        self.matcher: CatalogMatcher = builtin.matcher
        self.extractor: ItemExtractor = builtin.extractor

    def parse(self, text: str, context: ParseContext) -> Parse:
        if time.monotonic() < self._down_until:
            return self._fall_back(text, context)
        sent = rasa_text(text)
        try:
            answer = self._ask(sent)
        except RasaUnavailable as exc:
            # each message would otherwise wait for the timeout: skip Rasa for a while
            self._down_until = time.monotonic() + self.retry_after
            log.warning("nlu.rasa_unavailable", extra={
                "error": str(exc), "fallback": "builtin", "retry_in_s": self.retry_after})
            return self._fall_back(text, context)
        try:
            return self._parse(text, sent, answer, context)
        except Exception:  # the bot must always get an answer; the log keeps the evidence
            log.exception("nlu.rasa_parse_failed", extra={"chars": len(text)})
            return self._fall_back(text, context)

    def _fall_back(self, text: str, context: ParseContext) -> Parse:
        self.fallbacks += 1
        return self.fallback.parse(text, context)

    def suggest(self, text: str, limit: int = 3) -> list[tuple[str, float]]:
        return self.fallback.suggest(text, limit)

    def _ask(self, sent: str) -> dict[str, Any]:
        try:
            response = self.http.post(self.url, json={"text": sent}, timeout=self.timeout)
            response.raise_for_status()
            answer = response.json()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # not JSON
            raise RasaUnavailable("the answer was not JSON") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("intent"), dict):
            raise RasaUnavailable("the answer has no intent")
        return answer

    def _parse(self, text: str, sent: str, answer: dict[str, Any],
               context: ParseContext) -> Parse:
        name = answer["intent"].get("name")
        intent = name if name in INTENTS else "out_of_scope"
        normalized = normalize(text)
        if intent == "statement_query":
            today = (context.now or datetime.now().astimezone()).date()
            return Parse(intent, period=resolve_period(normalized, today))
        items: tuple[ParsedItem, ...] = ()
        unknown: tuple[str, ...] = ()
        if intent in ITEM_INTENTS:
            items, unknown = self._items(read_entities(sent, answer.get("entities")), context)
        if intent == "return_request":
            return Parse(intent, items, reason=return_reason(normalized), unknown=unknown)
        if intent == "log_visit":
            visit = visit_details(text[:MAX_CHARS], normalized)
            return Parse(intent, items, amount=visit.amount, outlet=visit.outlet,
                         unknown=unknown)
        return Parse(intent, items, unknown=unknown)

    def _items(self, entities: Sequence[Entity],
               context: ParseContext) -> tuple[tuple[ParsedItem, ...], tuple[str, ...]]:
        return resolve_entities(self.extractor, entities, self.aliases, context)


def resolve_entities(extractor: ItemExtractor, entities: Sequence[Entity],
                     aliases: AliasBook | None, context: ParseContext,
                     ) -> tuple[tuple[ParsedItem, ...], tuple[str, ...]]:
    """Rasa's spans -> order lines read by our own grammar and catalog matcher.

    Spans are first re-read by our lexer (a "qty" that holds no number is dropped, a
    "product" that is only "2 tin" becomes a quantity), then the lines are read together,
    one clause each, so a line can still settle another ("tractor 10l ... the 2 tractor").
    """
    matcher = extractor.matcher
    lines = group_lines(refine(entities, matcher))
    if not lines:
        return (), ()
    said = " , ".join(line.text(_product_words(line.product, matcher)) for line in lines)
    extraction = extractor.extract(normalize(said), aliases, context.sender, context.history)
    return extraction.items, extraction.unknown


def _product_words(product: Entity, matcher: CatalogMatcher) -> str:
    """The span, unless only Rasa's synonym mapping (the value) names something we hold."""
    if product.value == product.span:
        return product.span
    words = [t.text for t in tokenize(normalize(product.span), matcher) if t.kind == "word"]
    return product.span if matcher.candidates_for_words(words) else product.value


def refine(entities: Sequence[Entity], matcher: CatalogMatcher) -> list[Entity]:
    """Each span re-read by our grammar: kinds follow what the words are, not the tag alone."""
    out: list[Entity] = []
    for entity in entities:
        if entity.kind == PRODUCT:
            out.extend(_split_product(entity, tokenize(normalize(entity.span), matcher)))
            continue
        words = normalize(entity.span).split()
        numbers = [w for w in words if _is_number(w)]
        units = [w for w in words if _is_unit(w)]
        if numbers:
            out.append(_part(entity, QTY, " ".join(numbers)))
        if units:
            out.append(_part(entity, UNIT, units[-1]))
    return out


def _is_number(word: str) -> bool:
    return number_value(word) is not None or is_number_word(word)


def _is_unit(word: str) -> bool:
    return unit_word(word) is not None or misspelt_unit(word) is not None


def _split_product(entity: Entity, tokens: Sequence[Token]) -> list[Entity]:
    """'2 tin tractor 4 litre' -> qty 2, unit tin, product 'tractor 4 litre'; a product span
    holding only a quantity ('2 tin') is that quantity."""
    lead = 0
    while lead < len(tokens) and tokens[lead].kind in ("num", "unit", "mult"):
        lead += 1
    has_unit = any(t.kind == "unit" for t in tokens[:lead])
    if lead == 0 or (lead < len(tokens) and not has_unit):
        return [entity]  # "7 up", "3 roses": a leading number can be part of the name
    parts: list[Entity] = []
    numbers = [t.text for t in tokens[:lead] if t.kind == "num"]
    units = [t.text for t in tokens[:lead] if t.kind == "unit"]
    if numbers:
        parts.append(_part(entity, QTY, " ".join(numbers)))
    if units:
        parts.append(_part(entity, UNIT, units[-1]))
    rest = " ".join(t.text for t in tokens[lead:])
    if rest:
        parts.append(Entity(PRODUCT, entity.start, entity.end, rest,
                            entity.value if entity.value != entity.span else rest))
    return parts


def _part(entity: Entity, kind: str, text: str) -> Entity:
    return Entity(kind, entity.start, entity.end, text, text)
