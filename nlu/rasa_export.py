"""`dms nlu export-rasa DIR`: a Rasa 3.x NLU project generated from the catalog (and, when
given, an annotated cases file), ready for `rasa train nlu`.

Training examples are written the way the Rasa backend sends messages (`rasa_text`), with
entities `product`, `qty` and `unit`; lookup tables hold the catalog's names and our unit
spellings, and synonyms map aliases that name one product only to that product's name.
Every annotated example is checked before it is written: its spans, resolved the way the
backend resolves Rasa's spans, must give back the items it was made from.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from domain.model.catalog import Product
from nlu.builtin_parser import ITEM_INTENTS, BuiltinParser
from nlu.evaluation import Case, load_cases, matched_items
from nlu.parse_result import INTENTS, ParseContext, ParsedItem
from nlu.quantities import number_value
from nlu.rasa_backend import ENTITIES, PRODUCT, QTY, UNIT, Entity, rasa_text, resolve_entities
from nlu.text_normalization import normalize
from nlu.units import PIECE, UNIT_SPELLINGS, misspelt_unit, unit_word

RASA_FORMAT = "3.1"
DEFAULT_EPOCHS = 40  # DIET is at full accuracy on the training data well before this
_PARENS = re.compile(r"\([^)]*\)")
_MARKUP = re.compile(r"[\[\]{}]")

# Quantities as shops write them (digits, English and Hindi words, fractions).
_QTYS = ("1", "2", "3", "4", "5", "6", "8", "10", "12", "15", "20", "25", "50", "ek", "do",
         "teen", "char", "paanch", "das", "half", "dedh", "dhai", "2.5", "one", "two", "three",
         "five", "ten")

_ONE_LINE = (
    "{q} {u} {p}", "{p} {q} {u}", "{p} - {q} {u}", "{q} {p}", "{p} {q}", "{q} {u} {p} bhejo",
    "{q} {u} {p} bhej do", "pls send {q} {u} {p}", "{q} {u} {p} chahiye", "send {q} {u} {p}",
    "{p} x {q}", "{q} {u} {p} dena", "{p} {q} {u} order karo", "{q} {u} {p} please",
    "order {q} {u} {p}", "{q} {u} {p} add karo", "bhai {q} {u} {p} bhej dena",
    "{q} {u} {p} kal tak chahiye",
)
_TWO_LINES = (
    "{q} {u} {p} aur {q2} {u2} {p2}", "{p} {q} {u} , {p2} {q2} {u2}",
    "{q} {u} {p} , {q2} {u2} {p2} bhejo", "{p} - {q} {u} , {p2} - {q2} {u2}",
    "{q} {u} {p} and {q2} {u2} {p2} please", "send {q} {u} {p} + {q2} {u2} {p2}",
)
_THREE_LINES = (
    "{q} {u} {p} , {q2} {u2} {p2} , {q3} {u3} {p3}",
    "{p} {q} {u} , {p2} {q2} {u2} aur {p3} {q3} {u3} bhej do",
)
_RETURNS = (
    "{q} {u} {p} wapas lena hai", "{q} {u} {p} return karna hai expired",
    "return {q} {p} damaged", "{p} {q} {u} expire ho gaya wapas lo",
    "{q} {u} {p} toot gaye return", "{q} {p} galat aa gaya wapas le jao",
    "{q} {u} {p} leak ho rahe hai return", "{p} {q} {u} extra aa gaya wapas karo",
)
_VISITS = (
    "visited {o} , took order {q} {u} {p}", "visit done {o} order {q} {u} {p} collected {a}",
    "{o} visit kiya , {q} {u} {p} ka order , payment {a} liya",
    "visited {o} , {q} {u} {p} and {q2} {u2} {p2} , collected {a} cash",
    "met owner at {o} , order {q} {u} {p}",
)
_VISITS_WITHOUT_ITEMS = (
    "visited {o} , shop closed", "met owner at {o} , no order", "visited {o} collected {a}",
    "{o} visit done , payment {a} cheque", "visit {o} , owner not available",
    "visited {o} , will order next week",
)
# outlet names and amounts of our own for the visit notes
_OUTLETS = ("gupta stores", "sai provision", "new bharat kirana", "jai mata di general store",
            "laxmi traders", "raju pan bhandar", "om medical", "krishna super market",
            "balaji kirana", "royal bakery", "shiv shakti stores", "city mart")
_AMOUNTS = ("2500", "rs 1200", "10,000", "3500", "800", "15000")

# intents without order lines: phrasings of our own, English, Hinglish and short forms
PHRASES: dict[str, tuple[str, ...]] = {
    "statement_query": (
        "statement bhejo", "statement for last month", "ledger for october", "mera hisaab batao",
        "outstanding kitna hai", "last 30 days ka statement", "q2 statement", "is mahine ka ledger",
        "account statement from 1 oct to 31 oct", "balance kitna hai", "pichle mahine ka hisab",
        "fy statement", "how much do i owe", "baaki kitna hai", "khata dikhao",
        "statement of september", "last quarter statement", "transactions this month",
        "dues batao", "udhaar kitna hai", "send my ledger", "account balance please",
        "last 7 days transactions", "this year statement", "hisab kitab bhejo",
    ),
    "order_status": (
        "order kab aayega", "delivery status", "mera maal kab aayega", "where is my order",
        "order dispatch hua kya", "track my order", "order status batao",
        "kal wala order nahi aaya", "gaadi kab aayegi", "invoice bana kya",
        "order ka kya hua", "my orders", "pending orders", "new orders", "open orders",
        "kitne order pending hain", "maal nikla kya", "not received my order yet",
        "order shipped?", "delivery kab hogi", "show my orders", "aaj ke orders",
    ),
    "reorder_last": (
        "same as last order", "repeat last order", "pichli baar wala order bhejo",
        "wahi order dobara", "reorder", "last order repeat karo", "same order again",
        "phir se wahi bhejo", "usual order bhej do", "hamesha wala order",
        "repeat my previous order", "same as before", "dubara wahi maal bhejo",
    ),
    "show_schemes": (
        "koi scheme hai kya", "offers batao", "any discount", "scheme list",
        "kya offer chal raha hai", "current deals", "free goods scheme", "is mahine ki schemes",
        "promo details", "discount milega kya", "what offers are running", "scheme batao bhai",
        "koi chhoot hai", "latest offers",
    ),
    "loyalty_points": (
        "mere points kitne hain", "loyalty points", "reward points balance", "redeem points",
        "cashback kitna mila", "coins kitne hue", "my rewards", "points check karo",
        "how many points do i have", "loyalty balance",
    ),
    "recommend": (
        "kya naya aaya hai", "suggest karo kya order karu", "what should i stock",
        "best selling items", "new launches", "fast moving products batao", "kya mangau",
        "recommend something", "replenish", "trending products", "suggest order",
        "restock suggestion", "what should i order", "stock order suggest karo",
        "kya zyada bik raha hai", "popular items batao",
    ),
    "confirm": (
        "yes", "haan", "ok", "confirm", "theek hai", "haan bhej do", "done", "go ahead",
        "sahi hai", "ji", "okay confirm", "yes please", "ok bhej do", "confirm order",
        "proceed", "haan ji", "chalega", "yes confirm it",
    ),
    "cancel": (
        "cancel", "nahi", "no", "cancel order", "rehne do", "mat bhejo", "order cancel karo",
        "nahi chahiye", "abort", "don't send", "radd karo", "cancel it", "order hatao",
    ),
    "greet": (
        "hi", "hello", "namaste", "good morning", "hey", "ram ram", "hlo", "namaskar ji",
        "jai shree krishna", "good evening", "hello bhai", "hi there",
    ),
    "help": (
        "help", "menu", "how to order", "kaise order karu", "madad chahiye", "what can you do",
        "commands", "guide me", "options batao", "help me", "how do i check my statement",
        "instructions please",
    ),
    "out_of_scope": (
        "aaj mausam kaisa hai", "cricket score kya hai", "tell me a joke", "who are you",
        "movie tickets book karo", "what is the time", "biryani recipe batao",
        "tumhara naam kya hai", "phone recharge karna hai", "kya haal hai duniya ka",
        "send me a song", "what is the capital of france",
    ),
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity: str


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[Span, ...] = ()

    def markup(self) -> str:
        """'2 cs coke' -> '[2](qty) [cs](unit) [coke](product)'."""
        out: list[str] = []
        at = 0
        for span in sorted(self.spans, key=lambda s: s.start):
            out += [self.text[at:span.start], f"[{self.text[span.start:span.end]}]({span.entity})"]
            at = span.end
        out.append(self.text[at:])
        return "".join(out)

    def entities(self) -> list[Entity]:
        return [Entity(s.entity, s.start, s.end, self.text[s.start:s.end],
                       self.text[s.start:s.end]) for s in self.spans]


@dataclass
class RasaProject:
    examples: dict[str, list[Example]] = field(default_factory=lambda: defaultdict(list))
    lookups: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    report: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, intent: str, example: Example, seen: set[str]) -> None:
        if example.text in seen or _MARKUP.search(example.text):
            return
        seen.add(example.text)
        self.examples[intent].append(example)

    def nlu_yml(self) -> str:
        lines = [f'version: "{RASA_FORMAT}"', "", "nlu:"]
        for intent in INTENTS:
            if self.examples.get(intent):
                lines += _block("intent", intent, (e.markup() for e in self.examples[intent]))
        for name, values in self.lookups.items():
            lines += _block("lookup", name, values)
        for canonical, variants in self.synonyms.items():
            lines += _block("synonym", canonical, variants)
        lines += _block("regex", QTY, [r"\b\d+(?:\.\d+)?\b"])
        return "\n".join(lines) + "\n"

    def domain_yml(self) -> str:
        intents = [i for i in INTENTS if self.examples.get(i)]
        return _yaml({"version": RASA_FORMAT, "intents": intents, "entities": list(ENTITIES)})


def config_yml(epochs: int = DEFAULT_EPOCHS) -> str:
    """A pipeline that trains in a few minutes on a laptop CPU."""
    return _yaml({
        "recipe": "default.v1",
        "assistant_id": "chat-dms-nlu",
        "language": "en",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
             "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True},
            {"name": "EntitySynonymMapper"},
        ],
        "policies": [],
    })


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _block(kind: str, name: str, values: Iterable[str]) -> list[str]:
    rows = [v for v in values if v.strip()]
    if not rows:
        return []
    return [f"- {kind}: {_scalar(name)}", "  examples: |", *(f"    - {v}" for v in rows), ""]


def _scalar(name: str) -> str:
    dumped: str = yaml.safe_dump(name, default_style=None).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


# -- the catalog's words ------------------------------------------------------------------


def surfaces(product: Product) -> list[str]:
    """How shops name the product: its aliases, its name without the bracketed notes."""
    names = [*product.aliases, _PARENS.sub(" ", product.name)]
    out = [" ".join(rasa_text(n).split()) for n in names]
    # Rasa's tokenizer cuts a trailing "%" off its word: a span ending in one is misaligned
    return [n for n in dict.fromkeys(out) if n and not _MARKUP.search(n) and "%" not in n]


# spellings that read as something else in a sentence ("no", "unit") or that normalizing
# rewrites ("peti's"): the lookup table keeps them, generated examples do not use them
_NOT_IN_EXAMPLES = frozenset({"no", "unit", "units", "peti's"})


def unit_spellings(product: Product) -> list[str]:
    units = set(product.units) | {PIECE}
    return [w for w, canonical in UNIT_SPELLINGS.items()
            if canonical in units and w not in _NOT_IN_EXAMPLES]


def lookups(products: Sequence[Product]) -> dict[str, list[str]]:
    names = dict.fromkeys(s for p in products for s in (*surfaces(p), rasa_text(p.brand)))
    return {PRODUCT: [n for n in names if n], UNIT: list(UNIT_SPELLINGS)}


def synonyms(products: Sequence[Product]) -> dict[str, list[str]]:
    """Alias -> the product's name, for aliases only one product answers to."""
    owners: dict[str, set[str]] = defaultdict(set)
    for product in products:
        for alias in product.aliases:
            owners[rasa_text(alias)].add(product.sku)
    out: dict[str, list[str]] = {}
    taken: set[str] = set()
    for product in products:
        canonical = " ".join(rasa_text(_PARENS.sub(" ", product.name)).split())
        if not canonical or canonical in taken:
            continue
        variants = [a for a in dict.fromkeys(rasa_text(x) for x in product.aliases)
                    if a and a != canonical and owners[a] == {product.sku}
                    and not _MARKUP.search(a)]
        if variants:
            out[canonical] = variants
            taken.add(canonical)
    return out


# -- examples ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Want:
    """An order line a template means: the product, and how many in which unit word."""

    sku: str
    qty: str
    unit: str | None


class _Composer:
    """Fills a template, remembering where each slot landed."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: list[Span] = []

    def fill(self, template: str, slots: dict[str, tuple[str, str | None]]) -> Example:
        for piece in re.split(r"(\{\w+\})", template):
            if piece.startswith("{") and piece.endswith("}"):
                value, entity = slots[piece[1:-1]]
                if entity is not None and value:
                    self.spans.append(Span(len(self.text), len(self.text) + len(value), entity))
                self.text += value
            else:
                self.text += piece
        return _squeezed(self.text, self.spans)


def _squeezed(text: str, spans: list[Span]) -> Example:
    """Collapses doubled spaces (an empty unit slot) and moves the spans with the text."""
    out: list[str] = []
    moved: list[Span] = []
    shift: dict[int, int] = {}
    for i, ch in enumerate(text):
        shift[i] = len(out)
        if ch == " " and (not out or out[-1] == " "):
            continue
        out.append(ch)
    shift[len(text)] = len(out)
    for span in spans:
        moved.append(Span(shift[span.start], shift[span.end], span.entity))
    joined = "".join(out)
    stripped = joined.rstrip()
    return Example(stripped, tuple(s for s in moved if s.end <= len(stripped)))


class ExampleMaker:
    def __init__(self, products: Sequence[Product], seed: int = 7) -> None:
        self.products = [p for p in products if p.active]
        self.parser = BuiltinParser(self.products)
        self.random = random.Random(seed)

    def _want(self, product: Product, with_unit: bool = True) -> Want:
        qty = self.random.choice(_QTYS)
        units = unit_spellings(product)
        return Want(product.sku, qty, self.random.choice(units) if with_unit and units else None)

    def _slots(self, wants: Sequence[Want], names: Sequence[str],
               ) -> dict[str, tuple[str, str | None]]:
        slots: dict[str, tuple[str, str | None]] = {}
        for n, (want, name) in enumerate(zip(wants, names, strict=True)):
            suffix = "" if n == 0 else str(n + 1)
            slots["q" + suffix] = (want.qty, QTY)
            slots["u" + suffix] = (want.unit or "", UNIT)
            slots["p" + suffix] = (name, PRODUCT)
        return slots

    def _lines(self, template: str, count: int, extra: dict[str, tuple[str, str | None]],
               ) -> tuple[Example, list[Want]]:
        chosen = self.random.sample(self.products, count)
        wants = [self._want(p, with_unit="{u" in template) for p in chosen]
        names = [self.random.choice(surfaces(p) or [rasa_text(p.name)]) for p in chosen]
        example = _Composer().fill(template, {**self._slots(wants, names), **extra})
        return example, wants

    def order_lines(self, templates: Sequence[str], rounds: int, count: int = 1,
                    role: str = "retailer",
                    extra: dict[str, Sequence[str]] | None = None) -> Iterable[Example]:
        """Examples from templates with `count` order lines each, the ones that check out."""
        for _ in range(rounds):
            template = self.random.choice(templates)
            fills: dict[str, tuple[str, str | None]] = {
                k: (self.random.choice(v), None) for k, v in (extra or {}).items()}
            example, wants = self._lines(template, count, fills)
            if self.checks(example, wants, role):
                yield example

    def checks(self, example: Example, wants: Sequence[Want], role: str) -> bool:
        """The spans, resolved as the backend resolves them, give back what the template
        meant: each product (or an ambiguity that includes it) with its quantity."""
        items, _ = resolve_entities(self.parser.extractor, example.entities(), None,
                                    ParseContext(role=role))
        if len(items) != len(wants):
            return False
        for item, want in zip(items, wants, strict=True):
            qty = number_value(normalize(want.qty))
            if qty is None or item.qty != qty:
                return False
            if want.sku != item.sku and want.sku not in item.candidates:
                return False
        return True

    def from_case(self, case: Case) -> Example | None:
        """A cases-file message, annotated by our parser, kept only if the parse agrees with
        the gold items and the spans alone resolve to them too."""
        sent = rasa_text(case.text)
        gold = list(case.gold.get("items") or [])
        if case.gold.get("intent") not in ITEM_INTENTS or not gold:
            return Example(sent)
        parse = self.parser.parse(sent, ParseContext(role=case.role, now=case.now))
        if not _same_items(gold, list(parse.items), self.products):
            return None
        spans = _locate(sent, parse.items)
        if spans is None:
            return None
        example = Example(sent, tuple(spans))
        items, _ = resolve_entities(self.parser.extractor, example.entities(), None,
                                    ParseContext(role=case.role, now=case.now))
        return example if _same_items(gold, list(items), self.products) else None


def _same_items(gold: list[dict[str, Any]], items: list[ParsedItem],
                products: Sequence[Product]) -> bool:
    predicted = [i.to_json() for i in items]
    defaults = {p.sku: p.default_unit for p in products}
    return matched_items(gold, predicted, defaults) == len(gold) == len(predicted)


_NUMBER_THEN_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=\bx)(?=\d)")


def _find(text: str, phrase: str, taken: list[Span], near: int | None = None) -> Span | None:
    """The phrase our lexer wrote ("zing 1l") where the message says it ("zing 1 l")."""
    words = []
    for word in phrase.split():
        if word == "and":
            words.append("(?:and|&)")  # our lexer reads "head & shoulders" with an "and"
        else:
            words.append(r"\s?".join(re.escape(p) for p in _NUMBER_THEN_LETTER.split(word)))
    body = r"[\s-]+".join(words)  # "parle-g" is lexed "parle g"
    pattern = re.compile(r"(?<![a-z0-9.])" + body + r"(?![a-z0-9])")
    found = [m for m in pattern.finditer(text)
             if not any(m.start() < s.end and s.start < m.end() for s in taken)]
    if not found:
        return None
    match = found[0] if near is None else min(found, key=lambda m: abs(m.start() - near))
    return Span(match.start(), match.end(), "")


def _locate(text: str, items: Sequence[ParsedItem]) -> list[Span] | None:
    """Where each item's product words and quantity words stand in the message."""
    spans: list[Span] = []
    for item in items:
        phrase = item.phrase
        if not phrase or not item.text.endswith(phrase):
            return None
        product = _find(text, phrase, spans)
        if product is None:
            return None
        spans.append(Span(product.start, product.end, PRODUCT))
        said = item.text[: len(item.text) - len(phrase)].split()
        if not said:
            continue
        unit = said[-1] if (unit_word(said[-1]) or misspelt_unit(said[-1])) else None
        qty_words = said[:-1] if unit else said
        for words, entity in ((qty_words, QTY), ([unit] if unit else [], UNIT)):
            if not words:
                continue
            where = _find(text, " ".join(words), spans, near=product.start)
            if where is None or abs(where.start - product.start) > 40:
                return None
            spans.append(Span(where.start, where.end, entity))
    return spans


def build_project(products: Sequence[Product], cases: Sequence[Case] = (),
                  seed: int = 7, per_product: int = 4) -> RasaProject:
    maker = ExampleMaker(products, seed)
    project = RasaProject(lookups=lookups(maker.products), synonyms=synonyms(maker.products))
    seen: set[str] = set()
    for case in cases:  # the given examples first: they win over generated duplicates
        intent = str(case.gold.get("intent"))
        example = maker.from_case(case) if intent in INTENTS else None
        if example is None:
            project.report["cases_skipped"] += 1
            continue
        project.report["cases_used"] += 1
        project.add(intent, example, seen)
    n = len(maker.products)
    visit: dict[str, Sequence[str]] = {"o": _OUTLETS, "a": _AMOUNTS}
    # (intent, templates, how many to try, order lines each, role, other slots)
    plan: list[tuple[str, Sequence[str], int, int, str, dict[str, Sequence[str]]]] = [
        ("place_order", _ONE_LINE, per_product * n, 1, "retailer", {}),
        ("place_order", _TWO_LINES, n, 2, "retailer", {}),
        ("place_order", _THREE_LINES, n // 3, 3, "retailer", {}),
        ("return_request", _RETURNS, n, 1, "retailer", {}),
        ("log_visit", _VISITS[:3] + _VISITS[4:], n // 3, 1, "rep", visit),
        ("log_visit", _VISITS[3:4], n // 6, 2, "rep", visit),
    ]
    for intent, templates, rounds, count, role, extra in plan:
        if count > n:
            continue
        for example in maker.order_lines(templates, rounds, count, role, extra):
            project.add(intent, example, seen)
            project.report["generated"] += 1
    for template in _VISITS_WITHOUT_ITEMS:
        for outlet in maker.random.sample(_OUTLETS, 4):
            text = template.format(o=outlet, a=maker.random.choice(_AMOUNTS))
            project.add("log_visit", Example(rasa_text(text)), seen)
    for intent, phrases in PHRASES.items():
        for phrase in phrases:
            project.add(intent, Example(rasa_text(phrase)), seen)
    return project


def write_project(directory: Path, project: RasaProject,
                  epochs: int = DEFAULT_EPOCHS) -> list[Path]:
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = {data / "nlu.yml": project.nlu_yml(), directory / "config.yml": config_yml(epochs),
             directory / "domain.yml": project.domain_yml()}
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


def run_export_rasa(directory: Path, products: Sequence[Product], examples: Path | None,
                    out: TextIO, epochs: int = DEFAULT_EPOCHS) -> int:
    cases = load_cases(examples) if examples is not None else []
    project = build_project(products, cases)
    written = write_project(directory, project, epochs)
    counts = ", ".join(f"{i} {len(project.examples[i])}" for i in INTENTS
                       if project.examples.get(i))
    total = sum(len(v) for v in project.examples.values())
    out.write(f"wrote {', '.join(str(p) for p in written)}\n")
    out.write(f"{total} examples ({counts}); {len(project.lookups[PRODUCT])} product names, "
              f"{len(project.synonyms)} synonyms")
    if cases:
        out.write(f"; from {examples}: {project.report['cases_used']} used, "
                  f"{project.report['cases_skipped']} skipped")
    out.write("\n")
    return 0

