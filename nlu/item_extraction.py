"""Tokens -> order lines: which quantity goes with which product mention.

A message is cut into clauses at hard separators (new line, comma, "aur", "+" ...). Inside a
clause, runs of product words and quantity groups alternate ("fanta 600 - 2 cs", "2 cs fanta
600", "fanta 1.5l 2 cs fanta 600 3 cs"); each quantity pairs with the neighbouring mention that
gives the best reading of the whole clause. A bare number right after a name is part of the
name when the catalog has it there ("calpol 650 - 2 box") and another quantity is around.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from domain.model.catalog import Product
from nlu.aliases import AliasBook
from nlu.catalog_matcher import MAX_CANDIDATES, CatalogMatcher, Match, Mention
from nlu.filler_words import (
    BIG_WORDS,
    EACH_WORDS,
    FILLER_WORDS,
    NEGATIONS,
    RECALL_TENSE,
    RECALL_VERBS,
    SMALL_WORDS,
    SUMMARY_WORDS,
)
from nlu.message_tokens import Token, tokenize
from nlu.parse_result import ParsedItem
from nlu.quantities import plain
from nlu.units import resolve_unit

USUAL_SIZE_NOTE = "usual size from your past orders"
_HISTORY_MIN_ORDERS = 3
_HISTORY_SHARE = 0.8
_MIN_EXPLAINED = 0.5


@dataclass
class _Run:
    tokens: list[Token] = field(default_factory=list)
    numbers: list[Decimal] = field(default_factory=list)
    size_choice: str | None = None
    match: Match | None = None
    qty: _Qty | None = None

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens if t.kind == "word"]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    @property
    def matched(self) -> bool:
        return self.match is not None and bool(self.match.skus)


@dataclass
class _Qty:
    value: Decimal
    unit: str | None  # generic unit word, e.g. "case", "piece"
    text: str
    named: bool  # a unit or an "x" came with it (not a bare number)
    taken: bool = False


@dataclass
class _Bare:
    token: Token


@dataclass
class _Gap:
    pass


_Element = _Run | _Qty | _Bare | _Gap


@dataclass(frozen=True)
class Extraction:
    items: tuple[ParsedItem, ...]
    unknown: tuple[str, ...]
    mentions: int  # products named by alias or brand, with or without a quantity
    unknown_lines: int = 0  # order-like lines ("5 box <something>") naming nothing we hold


class ItemExtractor:
    def __init__(self, matcher: CatalogMatcher) -> None:
        self.matcher = matcher

    def extract(
        self,
        text: str,
        aliases: AliasBook | None = None,
        sender: str | None = None,
        history: Mapping[str, int] | None = None,
    ) -> Extraction:
        tokens = tokenize(text, self.matcher)
        clauses = _clauses(tokens)
        runs_by_clause: list[list[_Run]] = []
        loose: list[list[_Qty]] = []
        each: list[bool] = []
        last_named: _Run | None = None
        for clause in clauses:
            each.append(any(t.kind == "word" and t.text in EACH_WORDS for t in clause))
            if _negated(clause) or _recalled(clause) or _summary(clause):
                runs_by_clause.append([])
                loose.append([])
                continue
            elements = self._elements(clause, last_named.words if last_named else [])
            runs = [e for e in elements if isinstance(e, _Run)]
            for run in runs:
                if not run.words and last_named is not None:
                    # "fanta 600 2cs, 1.5l 1cs": a size alone means the product named before
                    run.tokens[:0] = [t for t in last_named.tokens if t.kind == "word"]
                run.match = self._match(run, aliases, sender)
                if run.matched and run.words:
                    last_named = run
            _pair([e for e in elements if isinstance(e, _Run | _Qty)])
            runs_by_clause.append(runs)
            loose.append([e for e in elements if isinstance(e, _Qty) and not e.taken])
        _attach_loose_quantities(runs_by_clause, loose)
        _share_quantities(runs_by_clause, loose, each)
        # Not `history or {}`: its truth would read a lazy history every message.
        return self._lines(runs_by_clause, loose, aliases, sender,
                           {} if history is None else history)

    # -- clause -> elements ---------------------------------------------------------------

    def _elements(self, clause: list[Token], named_before: list[str]) -> list[_Element]:
        elements: list[_Element] = []
        run: _Run | None = None

        def close() -> None:
            nonlocal run
            if run is not None and (run.tokens or run.size_choice):
                elements.append(run)
            run = None

        i = 0
        while i < len(clause):
            tok = clause[i]
            nxt = clause[i + 1] if i + 1 < len(clause) else None
            if tok.kind == "word":
                if tok.text in BIG_WORDS or tok.text in SMALL_WORDS:
                    run = run or _Run()
                    run.size_choice = "big" if tok.text in BIG_WORDS else "small"
                    if self.matcher.is_known(tok.text):  # also a name ("lux chota", "Bara")
                        run.tokens.append(tok)
                    i += 1
                    continue
                if self._is_filler(tok.text):
                    close()
                    elements.append(_Gap())
                else:
                    run = run or _Run()
                    run.tokens.append(tok)
            elif tok.kind in ("size", "price"):
                run = run or _Run()
                run.tokens.append(tok)
            elif tok.kind == "num" and tok.value is not None:
                close()
                if nxt is not None and nxt.kind == "unit":
                    elements.append(_Qty(tok.value, nxt.unit, f"{tok.text} {nxt.text}", True))
                    i += 2
                    continue
                prev = clause[i - 1] if i > 0 else None
                if prev is not None and prev.kind == "mult":
                    elements.append(_Qty(tok.value, None, tok.text, True))
                else:
                    elements.append(_Bare(tok))
            elif tok.kind == "unit":
                close()
                elements.append(_Qty(Decimal(1), tok.unit, tok.text, True))
            elif tok.kind == "dash":
                close()
                elements.append(_Gap())
            i += 1
        close()
        return self._read_bare_numbers(elements, named_before)

    def _is_filler(self, word: str) -> bool:
        if self.matcher.is_known(word):
            return False
        return word in FILLER_WORDS

    def _read_bare_numbers(self, elements: list[_Element],
                           named_before: list[str]) -> list[_Element]:
        """A bare number after a name is part of it ('calpol 650 2 box'), else a quantity.
        Opening a clause, before a quantity, it can name a size of the product named just
        before ('fanta 600 3cs, 1.5 2cs')."""
        out: list[_Element] = []
        for i, element in enumerate(elements):
            if not isinstance(element, _Bare):
                out.append(element)
                continue
            assert element.token.value is not None
            value = element.token.value
            prev = out[-1] if out else None
            if (prev is None and named_before and isinstance(_next_solid(elements, i + 1), _Qty)
                    and self.matcher.names_number(named_before, value)):
                out.append(_Run(tokens=[element.token], numbers=[value]))
                continue
            if isinstance(prev, _Run) and prev.words and self._names_number(prev, value):
                after = _next_solid(elements, i + 1)
                before = _prev_solid(out, len(out) - 2)
                adjacent_run = i + 1 < len(elements) and isinstance(elements[i + 1], _Run)
                other_qty = isinstance(after, _Qty | _Bare) or (
                    isinstance(before, _Qty) and not before.taken)
                # "fanta 600" alone: 600 is the size, and the quantity is missing (ask),
                # but "fanta 2" is two of them
                size_like = (value >= 100 or value != value.to_integral_value()) and (
                    self._names_number(prev, value, in_name=True))
                if other_qty or adjacent_run or size_like:
                    prev.numbers.append(value)
                    prev.tokens.append(element.token)
                    continue
            out.append(_Qty(value, None, element.token.text, False))
        return _merge_adjacent_runs(out)

    def _names_number(self, run: _Run, value: Decimal, in_name: bool = False) -> bool:
        return self.matcher.names_number(run.words, value, in_name)

    # -- matching ---------------------------------------------------------------------------

    def _mention(self, run: _Run, unit: str | None = None) -> Mention:
        sizes = tuple((t.unit, t.value) for t in run.tokens
                      if t.kind == "size" and t.unit and t.value is not None)
        return Mention(
            words=tuple(run.words),
            sizes=sizes,
            size_numbers=tuple(t.written for t in run.tokens
                               if t.kind == "size" and t.written is not None),
            prices=tuple(t.value for t in run.tokens
                         if t.kind == "price" and t.value is not None and t.unit != "loose"),
            numbers=(*run.numbers, *(t.value for t in run.tokens if t.kind == "price"
                                     and t.value is not None and t.unit == "loose")),
            size_choice=run.size_choice,
            unit=unit,
        )

    def _match(self, run: _Run, aliases: AliasBook | None, sender: str | None,
               unit: str | None = None) -> Match:
        if aliases is not None and run.tokens:
            learned = aliases.lookup(run.text, sender)
            if learned is not None and self.matcher.product(learned) is not None:
                return Match((learned,), 1.0, named=True, strength=1.0)
        if not run.words:
            return Match((), 0.0)
        found = self.matcher.match(self._mention(run, unit))
        if found.explained < _MIN_EXPLAINED or len(found.skus) > MAX_CANDIDATES:
            return Match((), found.explained, found.unexplained)
        return found

    # -- lines ------------------------------------------------------------------------------

    def _lines(
        self,
        runs_by_clause: list[list[_Run]],
        loose: list[list[_Qty]],
        aliases: AliasBook | None,
        sender: str | None,
        history: Mapping[str, int],
    ) -> Extraction:
        items: list[ParsedItem] = []
        unknown: list[str] = []
        unquantified: list[_Run] = []
        mentions = unknown_lines = 0
        for runs in runs_by_clause:
            for run in runs:
                if run.matched and run.match is not None and run.match.named:
                    mentions += 1
                if run.qty is None:
                    if run.matched:
                        unquantified.append(run)
                    continue
                if not run.matched:
                    if run.words:
                        unknown.append(run.text)
                        unknown_lines += run.qty.named
                    continue
                assert run.match is not None
                match = self._match(run, aliases, sender, run.qty.unit) if run.qty.unit else (
                    run.match)
                if not match.skus:
                    match = run.match
                item = self._item(run, match, history)
                if item is None:
                    unknown.append(f"{run.qty.text} {run.text}")
                else:
                    items.append(item)
        items = _settle_with_unquantified(items, unquantified, unknown)
        for qtys in loose:
            unknown.extend(q.text for q in qtys if q.named and not q.taken)
        return Extraction(tuple(items), tuple(dict.fromkeys(unknown)), mentions, unknown_lines)

    def _item(self, run: _Run, match: Match, history: Mapping[str, int]) -> ParsedItem | None:
        assert run.qty is not None
        qty = plain(run.qty.value)
        skus = list(match.skus)
        note = ""
        if len(skus) > 1 and history:
            usual = _usual(skus, history)
            if usual is not None:
                skus, note = [usual], USUAL_SIZE_NOTE
        products = [p for p in (self.matcher.product(s) for s in skus) if p is not None]
        if all(_part_of_base_unit(p, qty, run.qty.unit) for p in products):
            return None  # half a bottle cannot be sold: the line goes back to the shop as unknown
        # zero passes through as said: the order service tells the shop why it cannot be
        text = f"{run.qty.text} {run.text}".strip()
        if len(products) == 1:
            product = products[0]
            unit = resolve_unit(run.qty.unit, product) if run.qty.unit else None
            if match.tied_on_size and not note:
                note = "largest size" if run.size_choice == "big" else "smallest size"
            note = "; ".join(filter(None, (note, _uneven_pack_note(product, qty, unit))))
            return ParsedItem(qty=qty, unit=unit, sku=product.sku, text=text, note=note,
                              phrase=run.text)
        unit = _shared_unit(run.qty.unit, products)
        return ParsedItem(qty=qty, unit=unit, sku=None, candidates=tuple(skus), text=text,
                          phrase=run.text)


def _part_of_base_unit(product: Product, qty: Decimal, generic: str | None) -> bool:
    """A fraction of the smallest unit sold ("half bottle"): no line can hold that."""
    unit = resolve_unit(generic, product) if generic else product.default_unit
    return product.units.get(unit) == 1 and qty != qty.to_integral_value()


def _uneven_pack_note(product: Product, qty: Decimal, unit: str | None) -> str:
    """Half a case of 9 is kept as the shop said it (0.5 case) but flagged: 4.5 bottles."""
    size = product.units.get(unit or product.default_unit)
    if size is None:
        return ""
    base = qty * size
    if base == base.to_integral_value():
        return ""
    return (f"{plain(qty)} {unit or product.default_unit} is {plain(base)} "
            f"{product.base_unit}s, not a whole number")


def _shared_unit(generic: str | None, products: Sequence[Product]) -> str | None:
    if generic is None:
        return None
    resolved = {resolve_unit(generic, p) for p in products}
    return resolved.pop() if len(resolved) == 1 else generic


def _usual(skus: Sequence[str], history: Mapping[str, int]) -> str | None:
    counts = sorted(((history.get(s, 0), s) for s in skus), reverse=True)
    total = sum(c for c, _ in counts)
    top, sku = counts[0]
    if top >= _HISTORY_MIN_ORDERS and top >= _HISTORY_SHARE * total:
        return sku
    return None


def _settle_with_unquantified(
    items: list[ParsedItem], unquantified: list[_Run], unknown: list[str]
) -> list[ParsedItem]:
    """'ace 4l dented aaye ... wapas lo 2 ace': the sized mention settles the vague one."""
    settled: list[ParsedItem] = []
    used: set[int] = set()
    for item in items:
        if item.sku is None:
            for n, run in enumerate(unquantified):
                assert run.match is not None
                if n not in used and len(run.match.skus) == 1 and (
                        run.match.skus[0] in item.candidates):
                    used.add(n)
                    item = ParsedItem(qty=item.qty, unit=item.unit, sku=run.match.skus[0],
                                      text=item.text, note=item.note, phrase=item.phrase)
                    break
        settled.append(item)
    named = {i.sku for i in settled} | {c for i in settled for c in i.candidates}
    for n, run in enumerate(unquantified):
        assert run.match is not None
        if n not in used and run.match.named and not set(run.match.skus) <= named:
            unknown.append(run.text)  # named a product but said no quantity: ask
    return settled


def _clauses(tokens: Sequence[Token]) -> list[list[Token]]:
    clauses: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.kind == "sep":
            if clauses[-1]:
                clauses.append([])
        else:
            clauses[-1].append(tok)
    return [c for c in clauses if c]


def _negated(clause: Sequence[Token]) -> bool:
    return any(t.kind == "word" and t.text in NEGATIONS for t in clause)


def _summary(clause: Sequence[Token]) -> bool:
    """'Total 4 cs' repeats the lines above; it orders nothing new."""
    first = next((t.text for t in clause if t.kind == "word"), "")
    return clause[0].kind == "word" and first in SUMMARY_WORDS


def _recalled(clause: Sequence[Token]) -> bool:
    words = {t.text for t in clause if t.kind == "word"}
    return bool(words & RECALL_TENSE) and bool(words & RECALL_VERBS)


def _next_solid(elements: Sequence[_Element], start: int) -> _Element | None:
    for element in elements[start:]:
        if not isinstance(element, _Gap):
            return element
    return None


def _prev_solid(elements: Sequence[_Element], start: int) -> _Element | None:
    for element in reversed(elements[: start + 1] if start >= 0 else []):
        if not isinstance(element, _Gap):
            return element
    return None


def _merge_adjacent_runs(elements: list[_Element]) -> list[_Element]:
    out: list[_Element] = []
    for element in elements:
        prev = out[-1] if out else None
        if isinstance(element, _Run) and isinstance(prev, _Run):
            prev.tokens.extend(element.tokens)
            prev.numbers.extend(element.numbers)
            prev.size_choice = prev.size_choice or element.size_choice
            continue
        out.append(element)
    return out


def _pair(sequence: Sequence[_Run | _Qty]) -> None:
    """Pair quantities with neighbouring mentions so the clause reads best (max-weight
    matching on a path: each element pairs with at most one neighbour)."""
    n = len(sequence)
    best = [0.0] * (n + 1)
    took = [False] * (n + 1)
    for i in range(1, n + 1):
        best[i], took[i] = best[i - 1], False
        if i >= 2:
            weight = _pair_weight(sequence[i - 2], sequence[i - 1])
            if weight > 0 and best[i - 2] + weight > best[i]:
                best[i], took[i] = best[i - 2] + weight, True
    i = n
    while i >= 2:
        if took[i]:
            left, right = sequence[i - 2], sequence[i - 1]
            run, qty = (left, right) if isinstance(left, _Run) else (right, left)
            assert isinstance(run, _Run) and isinstance(qty, _Qty)
            run.qty, qty.taken = qty, True
            i -= 2
        else:
            i -= 1


def _pair_weight(left: _Run | _Qty, right: _Run | _Qty) -> float:
    if isinstance(left, _Run) == isinstance(right, _Run):
        return 0.0
    run = left if isinstance(left, _Run) else right
    qty = right if isinstance(left, _Run) else left
    assert isinstance(run, _Run) and isinstance(qty, _Qty)
    if run.matched and run.match is not None:
        weight = 1.0 + min(run.match.strength, 1.0)  # a typo-only match pulls less
    else:
        weight = 0.5 if qty.named else 0.2
    if isinstance(left, _Run):
        weight += 0.01  # "fanta 600 - 2 cs" is the commoner order of words
    return weight


def _share_quantities(runs_by_clause: list[list[_Run]], loose: list[list[_Qty]],
                      each: list[bool]) -> None:
    """'fanta 600, mirinda 600 - 2 cs each': the quantity said once serves every product
    named without one since the last line that had its own."""
    for n, is_each in enumerate(each):
        if not is_each:
            continue
        quantities = [r.qty for r in runs_by_clause[n] if r.qty] + loose[n]
        if not quantities:
            continue
        shared = quantities[-1]
        shared.taken = True
        for runs in reversed(runs_by_clause[: n + 1]):
            waiting = [r for r in runs if r.matched and r.qty is None]
            for run in waiting:
                run.qty = shared
            if any(r.qty is not None and r.qty is not shared for r in runs):
                break


def _attach_loose_quantities(runs_by_clause: list[list[_Run]], loose: list[list[_Qty]]) -> None:
    """'fanta wapas lena hai, 2 case': a clause with only a quantity completes the clause
    before it when that one named a product without a quantity."""
    for n, qtys in enumerate(loose):
        if not qtys or runs_by_clause[n] or n == 0:
            continue
        waiting = [r for r in runs_by_clause[n - 1] if r.matched and r.qty is None]
        if waiting:
            waiting[-1].qty = qtys[0]
            qtys[0].taken = True
