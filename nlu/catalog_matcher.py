"""Product mentions -> the smallest set of SKUs they leave open.

Every product's name, brand and aliases are cut into words, and an inverted index maps each
word to the products that use it, so a mention only ever touches the products that share a
word with it (cost follows the mention, not the catalog). Typos go through rapidfuzz, but only
against words with the same first sound and a similar length. Pack sizes ("750ml"), prices
("10rs", "@450") and bare numbers from names ("dolo 650", "opc 53") are *cues*: they never
find products on their own, they only decide between the ones the words found.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from domain.model.catalog import Product
from nlu.message_tokens import Token, splits_off, tokenize
from nlu.text_normalization import normalize
from nlu.units import sells_in

EXACT = 1.0
_FUZZY_WEIGHT = 0.92  # a typo explains a word a little less than the right spelling
_SKELETON_SIM = 0.8  # same consonants, other vowels ("thams" ~ "thums")
_MIN_FUZZY_LEN = 4
_MIN_SKELETON = 4
_SHORT_WORD = 5  # up to this length ratio-based fuzz is too coarse; one edit is allowed
_SHORT_TYPO_SIM = 0.7
_SHORT_SKELETON_RATIO = 65.0
_TIER_LIMIT = 200  # beyond this many equal products the mention is too vague to settle
_NONE: frozenset[int] = frozenset()
_COMMON_WORD = 64  # a word on more products than this only re-scores products already found
_CACHE_LIMIT = 50_000
MAX_CANDIDATES = 12  # more than this and the mention named a brand or a shelf, not a product
_TIER_ALIAS, _TIER_BRAND = 2, 1
_PAREN_DROPPED = re.compile(r"\((?:strip|pack|box|set) of [^)]*\)")
_SKELETON_DROP = re.compile(r"[aeiouy]|(?<=[a-z])h")
_SOUND = str.maketrans({"c": "k", "q": "k", "w": "v", "z": "j"})


def _skeleton(word: str) -> str:
    """Consonants only, with c/k, w/v, z/j merged: Hinglish spells vowels every which way."""
    translated = word.translate(_SOUND)
    return translated[:1] + _SKELETON_DROP.sub("", translated)[1:] if translated else ""


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


_K = TypeVar("_K")


def _invert(pairs: Iterable[tuple[int, Iterable[_K]]]) -> dict[_K, frozenset[int]]:
    inverted: dict[_K, set[int]] = defaultdict(set)
    for index, values in pairs:
        for value in values:
            inverted[value].add(index)
    return {value: frozenset(indices) for value, indices in inverted.items()}


def size_key(dimension: str, amount: Decimal) -> str:
    return f"@{dimension}:{_plain(amount)}"


def number_key(value: Decimal) -> str:
    return f"#{_plain(value)}"


def price_key(value: Decimal) -> str:
    return f"₹{_plain(value)}"


@dataclass(frozen=True)
class Mention:
    """What a message says about one product: words plus cues."""

    words: tuple[str, ...] = ()
    sizes: tuple[tuple[str, Decimal], ...] = ()  # (dimension, amount in ml or g)
    size_numbers: tuple[Decimal, ...] = ()  # the sizes' numbers as written (1.25 of "1.25l")
    prices: tuple[Decimal, ...] = ()
    numbers: tuple[Decimal, ...] = ()  # bare numbers read as part of the name
    size_choice: str | None = None  # "big" | "small"
    unit: str | None = None  # the generic unit the quantity was given in


@dataclass(frozen=True)
class Match:
    skus: tuple[str, ...]  # best first; one sku = resolved
    explained: float  # how much of the mention's words the best products explain
    unexplained: tuple[str, ...] = ()  # words no product of the result knows
    tied_on_size: bool = False  # bada/chota decided it
    named: bool = False  # the mention said a whole alias or brand, not just a shared word
    strength: float = 0.0  # mean similarity of the words to the best product (1 = all exact)


@dataclass
class _Facts:
    product: Product
    order: int  # position in the catalog: candidates are listed in catalog order
    words: set[str] = field(default_factory=set)
    sizes: set[tuple[str, Decimal]] = field(default_factory=set)
    prices: set[Decimal] = field(default_factory=set)
    numbers: set[Decimal] = field(default_factory=set)  # every number the product is known by
    name_numbers: set[Decimal] = field(default_factory=set)  # ... written in name or aliases
    designations: list[tuple[int, frozenset[str]]] = field(default_factory=list)

    def keys(self) -> set[str]:
        return (self.words | {size_key(d, a) for d, a in self.sizes}
                | {number_key(n) for n in self.numbers} | {price_key(p) for p in self.prices})

    @property
    def main_size(self) -> Decimal | None:
        return max((a for _, a in self.sizes), default=None)


class _OwnWords:
    """Catalog text is lexed knowing only its own words: "Clinic Plus" keeps "plus" as a word
    (in a message it might separate two items) and "Head & Shoulders" keeps its "and"."""

    def __init__(self, text: str) -> None:
        self.words = frozenset(
            w for w in re.findall(r"[a-z0-9]+", text)
            if not w[0].isdigit() or _PACK_WORD.match(w) or not splits_off(w.lstrip("0123456789."))
        )

    def is_known(self, word: str) -> bool:
        return word in self.words

    def joins_with_and(self, left: str, right: str) -> bool:
        return True


_PACK_COUNT = re.compile(r"(\d+)\s*-?\s*(pack|pk|in\s*1)\b")
_PACK_WORD = re.compile(r"^\d+(?:pack|pk|in1)$")


@lru_cache(maxsize=8192)  # brands and aliases repeat across a catalog's rows
def _catalog_tokens(text: str) -> tuple[Token, ...]:
    normalized = _PACK_COUNT.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""),
                                 normalize(_PAREN_DROPPED.sub(" ", text)))
    return tuple(tokenize(normalized, _OwnWords(normalized)))


class CatalogMatcher:
    """An index over the products' words; answers which SKUs a mention can mean."""

    def __init__(self, products: Sequence[Product]) -> None:
        self._facts: list[_Facts] = []
        self._by_sku: dict[str, _Facts] = {}
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._posting_sets: dict[str, frozenset[int]] = {}
        self._and_pairs: set[tuple[str, str]] = set()
        for product in products:
            if not product.active or product.sku in self._by_sku:
                continue
            facts = self._learn(product, len(self._facts))
            self._by_sku[product.sku] = facts
            self._facts.append(facts)
        self._postings = dict(self._postings)  # frozen from here on: lookups must not add keys
        self._posting_sets = {w: frozenset(ix) for w, ix in self._postings.items()}
        self._by_size = _invert((i, f.sizes) for i, f in enumerate(self._facts))
        self._by_price = _invert((i, f.prices) for i, f in enumerate(self._facts))
        self._by_number = _invert((i, f.numbers) for i, f in enumerate(self._facts))
        self._buckets: dict[str, list[str]] = defaultdict(list)
        self._skeletons: dict[str, list[str]] = defaultdict(list)
        self._clipped: dict[str, list[str]] = defaultdict(list)  # "cok" -> ["coke"]
        for word in self._postings:
            if len(word) == _MIN_FUZZY_LEN and word.isalpha():
                self._clipped[word[:-1].translate(_SOUND)].append(word)
            if len(word) >= _MIN_FUZZY_LEN:
                self._buckets[word.translate(_SOUND)[0]].append(word)
                self._skeletons[_skeleton(word)].append(word)
        self._similar_cache: dict[str, dict[str, float]] = {}

    # -- building -------------------------------------------------------------------------

    def _learn(self, product: Product, index: int) -> _Facts:
        facts = _Facts(product, index)
        if product.mrp > 0:
            facts.prices.add(product.mrp)
            facts.numbers.add(product.mrp)
        texts = [(product.name, _TIER_ALIAS), (product.brand, _TIER_BRAND)]
        texts += [(alias, _TIER_ALIAS) for alias in product.aliases]
        for text, tier in texts:
            tokens = _catalog_tokens(text)
            keys: set[str] = set()
            words = [t.text for t in tokens if t.kind == "word" and t.text != "and"]
            for t in tokens:
                if t.kind == "word" and t.text != "and":
                    keys.add(t.text)
                elif t.kind == "size" and t.unit and t.value is not None:
                    facts.sizes.add((t.unit, t.value))
                    keys.add(size_key(t.unit, t.value))
                    if t.written is not None:
                        facts.numbers.add(t.written)
                        facts.name_numbers.add(t.written)
                        keys.add(number_key(t.written))
                elif t.kind == "price" and t.value is not None:
                    facts.prices.add(t.value)
                    keys.add(price_key(t.value))
                elif t.kind == "num" and t.value is not None:
                    facts.numbers.add(t.value)
                    facts.name_numbers.add(t.value)
                    keys.add(number_key(t.value))
            for left, right in itertools.pairwise(words):
                facts.words.add(left + right)  # "thums up" also answers to "thumsup"
            for before, mid, after in zip(tokens, tokens[1:], tokens[2:], strict=False):
                if mid.text in ("and", "n") and before.kind == after.kind == "word":
                    self._and_pairs.add((before.text, after.text))
            facts.words.update(words)
            if keys:
                facts.designations.append((tier, frozenset(keys)))
        for word in facts.words:
            self._postings[word].append(index)
        return facts

    # -- vocabulary questions the lexer asks --------------------------------------------

    def is_known(self, word: str) -> bool:
        return word in self._postings

    def joins_with_and(self, left: str, right: str) -> bool:
        return (left, right) in self._and_pairs

    def product(self, sku: str) -> Product | None:
        facts = self._by_sku.get(sku)
        return facts.product if facts else None

    def has_number(self, sku: str, value: Decimal, in_name: bool = False) -> bool:
        """Whether the product is known by this number (its size, its MRP, "650" of Dolo 650);
        with in_name, only numbers written in its name or aliases count."""
        facts = self._by_sku.get(sku)
        if facts is None:
            return False
        return value in (facts.name_numbers if in_name else facts.numbers)

    @property
    def products(self) -> list[Product]:
        return [f.product for f in self._facts]

    # -- words ------------------------------------------------------------------------------

    def similar(self, word: str) -> dict[str, float]:
        """Catalog words close to `word`, with a similarity in (0, 1]."""
        cached = self._similar_cache.get(word)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if word in self._postings:
            found[word] = EXACT
        elif len(word) == _MIN_FUZZY_LEN - 1 and word.isalpha():
            # "cok" for "coke": a short word may only lack its last letter
            for candidate in self._clipped.get(word.translate(_SOUND), []):
                found[candidate] = _SKELETON_SIM
        elif len(word) >= _MIN_FUZZY_LEN:
            bucket = self._buckets.get(word.translate(_SOUND)[0], [])
            cutoff = 80.0 if len(word) <= 5 else 75.0
            for candidate, score, _ in process.extract(
                word, bucket, scorer=fuzz.ratio, score_cutoff=cutoff, limit=4
            ):
                found[candidate] = score / 100 * _FUZZY_WEIGHT
            if not found and len(word) <= _SHORT_WORD:
                # a short word with one letter wrong or two swapped ("coek", "apxe")
                for candidate, _, _ in process.extract(
                    word, bucket, scorer=OSA.distance, score_cutoff=1, limit=4
                ):
                    if candidate[0] == word[0]:
                        found[candidate] = _SHORT_TYPO_SIM
            skeleton = _skeleton(word)
            # same consonants ("thams"/"thums", "fruti"/"frooti"); a short skeleton must
            # also look alike letter by letter
            if len(skeleton) >= _MIN_SKELETON - 1:
                for candidate in self._skeletons.get(skeleton, []):
                    if abs(len(candidate) - len(word)) <= 2 and (
                            len(skeleton) >= _MIN_SKELETON
                            or fuzz.ratio(word, candidate) >= _SHORT_SKELETON_RATIO):
                        found.setdefault(candidate, _SKELETON_SIM)
        if len(self._similar_cache) > _CACHE_LIMIT:
            self._similar_cache.clear()
        self._similar_cache[word] = found
        return found

    def knows_roughly(self, word: str) -> bool:
        return bool(self.similar(word))

    # -- mentions ---------------------------------------------------------------------------

    def _word_scores(self, words: Iterable[str]) -> tuple[dict[int, float], list[str], set[str]]:
        """Per product, how well it explains the words; the words nothing explains; the
        catalog words that were hit. Rare words go first and fix the candidate set, so a
        common word ("masala", "regular") only re-scores the few products already in play."""
        unknown: list[str] = []
        matched_words: set[str] = set()
        entries: list[tuple[bool, int, dict[str, float]]] = []
        for word in words:
            similar = self.similar(word)
            if not similar:
                unknown.append(word)
                continue
            matched_words.update(similar)
            exact = max(similar.values()) >= EXACT
            entries.append((not exact, sum(len(self._postings[v]) for v in similar), similar))
        entries.sort(key=lambda e: (e[0], e[1]))
        scores: dict[int, float] = {}
        for _, hits, similar in entries:
            if scores and hits > _COMMON_WORD and len(scores) < hits:
                if len(similar) == 1:
                    ((vocab_word, sim),) = similar.items()
                    on = self._posting_sets[vocab_word]
                    for index in scores:
                        if index in on:
                            scores[index] += sim
                    continue
                for index in scores:
                    scores[index] += max(
                        (sim for v, sim in similar.items() if index in self._posting_sets[v]),
                        default=0.0,
                    )
                continue
            best: dict[int, float] = {}
            for vocab_word, sim in similar.items():
                for index in self._postings[vocab_word]:
                    if sim > best.get(index, 0.0):
                        best[index] = sim
            for index, sim in best.items():
                scores[index] = scores.get(index, 0.0) + sim
        return scores, unknown, matched_words

    def candidates_for_words(self, words: Sequence[str]) -> list[str]:
        """SKUs the words alone point to (used to decide whether '650' belongs to a name)."""
        scores, _, _ = self._word_scores(words)
        if not scores:
            return []
        best = max(scores.values())
        return [self._facts[i].product.sku for i, s in scores.items() if s >= best - 0.01]

    def names_number(self, words: Sequence[str], value: Decimal, in_name: bool = False) -> bool:
        """Whether a product these words point to goes by this number ('dolo' 650)."""
        return any(self.has_number(sku, value, in_name)
                   for sku in self.candidates_for_words(words))

    def _add_cues(self, band: dict[int, float], mention: Mention) -> None:
        """+1 per size, price or name number of the mention that the product has."""
        cue_sets = [self._by_size.get(s, _NONE) for s in mention.sizes]
        cue_sets += [self._by_price.get(p, _NONE) for p in mention.prices]
        cue_sets += [self._by_number.get(n, _NONE) for n in mention.numbers]
        for having in cue_sets:
            if len(having) < len(band):
                for index in having:
                    if index in band:
                        band[index] += 1.0
            else:
                for index in band:
                    if index in having:
                        band[index] += 1.0

    def match(self, mention: Mention) -> Match:
        words = [w for w in mention.words if w != "and"]
        scores, unknown, matched_words = self._word_scores(words)
        if not scores:
            return Match((), 0.0, tuple(unknown))
        keys = set(matched_words)
        keys.update(size_key(d, a) for d, a in mention.sizes)
        keys.update(number_key(n) for n in (*mention.numbers, *mention.size_numbers))
        keys.update(price_key(p) for p in mention.prices)
        best_words = max(scores.values())
        # each cue adds at most 1: products further behind than that cannot reach the top
        reach = len(mention.sizes) + len(mention.prices) + len(mention.numbers)
        total = {i: s for i, s in scores.items() if s >= best_words - reach - 0.01}
        if reach:
            self._add_cues(total, mention)
        best = max(total.values())
        top = [i for i, s in total.items() if s >= best - 0.01]
        if mention.unit is not None:  # "10 ladi <shampoo>": only its sachets come in strips
            sold = [i for i in top if sells_in(mention.unit, self._facts[i].product)]
            top = sold or top
        best_tier = 0
        if len(top) <= _TIER_LIMIT:
            # a designation fully said (a brand word that is an alias of two packs, not of a third)
            tiers = {i: max((t for t, d in self._facts[i].designations if d <= keys), default=0)
                     for i in top}
            best_tier = max(tiers.values())
            top = [i for i in top if tiers[i] == best_tier]
        tied_on_size = False
        if mention.size_choice and len(top) > 1:
            sized = [i for i in top if self._facts[i].main_size is not None]
            if len({self._facts[i].main_size for i in sized}) > 1:
                extreme = (max if mention.size_choice == "big" else min)(
                    self._facts[i].main_size or Decimal(0) for i in sized)
                top = [i for i in sized if self._facts[i].main_size == extreme]
                tied_on_size = True
        top.sort(key=lambda i: self._facts[i].order)
        known_by_top = set().union(*(self._facts[i].words for i in top[:MAX_CANDIDATES]))
        explained = sum(1 for w in words if self.similar(w).keys() & known_by_top)
        return Match(
            tuple(self._facts[i].product.sku for i in top),
            explained / max(len(words), 1) if best_words > 0 else 0.0,
            tuple(unknown),
            tied_on_size,
            named=best_tier > 0,
            strength=best_words / max(len(words), 1),
        )

    # -- suggestions for an unknown phrase ------------------------------------------------

    def suggest(self, text: str, limit: int = 3) -> list[tuple[str, float]]:
        """Closest SKUs for a phrase nothing matched, best first, score in [0, 1]."""
        tokens = tokenize(normalize(text), self)
        words = [t.text for t in tokens if t.kind == "word"]
        if not words or limit <= 0:
            return []
        pool: dict[int, float] = defaultdict(float)
        for word in words:
            near = dict(self.similar(word))
            if not near and len(word) >= 3:
                bucket = self._buckets.get(word.translate(_SOUND)[0], [])
                for candidate, score, _ in process.extract(
                    word, bucket, scorer=fuzz.ratio, score_cutoff=55.0, limit=5
                ):
                    near[candidate] = score / 100 * 0.7
            for vocab_word, sim in near.items():
                for index in self._postings[vocab_word]:
                    pool[index] = max(pool[index], 0.0) + sim / len(near)
        if not pool:
            return []
        phrase = " ".join(words)
        ranked: list[tuple[float, int, str]] = []
        for index, word_score in pool.items():
            facts = self._facts[index]
            names = [facts.product.name.lower(), *(a.lower() for a in facts.product.aliases)]
            text_score = max(fuzz.token_set_ratio(phrase, n) for n in names) / 100
            score = 0.5 * min(word_score / len(words), 1.0) + 0.5 * text_score
            ranked.append((score, facts.order, facts.product.sku))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return [(sku, round(score, 3)) for score, _, sku in ranked[:limit]]
