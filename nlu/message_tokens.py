"""Normalized text -> typed tokens: words, quantities, units, pack sizes, prices, separators.

The lexer knows units, measures and number words; for the few places where only the catalog
can tell ("7 up" is a product, "4 pack" is part of a name, "head and shoulders" is one name),
it asks a `KnownWords` (the catalog matcher's vocabulary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, Protocol

from nlu.quantities import (
    GROUPED_DIGITS,
    MODIFIERS,
    MULTIPLIERS,
    VERBS_BEFORE_DO,
    number_value,
)
from nlu.units import MEASURES, UNIT_ONLY_WORDS, misspelt_unit, unit_word

Kind = Literal["word", "num", "unit", "size", "price", "mult", "dash", "sep"]


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # as written (normalized)
    value: Decimal | None = None  # num: the number; size: amount in ml or g; price: rupees
    unit: str | None = None  # unit: generic unit; size: "ml" or "g"
    written: Decimal | None = None  # size: the number as written (1.25 in "1.25 ltr")


class KnownWords(Protocol):
    def is_known(self, word: str) -> bool: ...

    def joins_with_and(self, left: str, right: str) -> bool: ...


class NoWords:
    """Lexing without a catalog (catalog text itself, tests)."""

    def is_known(self, word: str) -> bool:
        return False

    def joins_with_and(self, left: str, right: str) -> bool:
        return False


_PRICE_PREFIX = re.compile(r"(?<![a-z0-9])(?:rs|inr|mrp|rate|rupees?)\s*\.?\s*[:=-]?\s*(?=\d)")
_PRICE_AT = re.compile(r"@\s*(?=\d)")
_PRICE_SUFFIX = re.compile(
    r"(?<=\d)\s*(?:/-|rs\b\.?|rupees?\b|rupa[iy]?[ae]?\b|rupiya\b|rupaiye\b|rup\b|inr\b|₹)"
)
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}\s*[.)]\s+(?=\D)")
_INNER_HYPHEN = re.compile(r"(?<=[a-z0-9])-(?=[a-z])|(?<=[a-z])[-.](?=[0-9a-z])")
_LETTERS_THEN_DIGITS = re.compile(r"^([a-z]{3,})(\d+(?:\.\d+)?)([a-z]*)$")
_RAW = re.compile(
    r"""
    (?P<date>\d{1,4}/\d{1,2}(?:/\d{2,4})?)
  | (?P<num>""" + GROUPED_DIGITS + r"""(?:\.\d+)?(?![\d])|\d+(?:\.\d+)?)
    (?P<glued>[a-z][a-z0-9]*)?
  | (?P<mult>x\d+(?:\.\d+)?)(?![a-z])
  | (?P<word>[a-z][a-z0-9]*(?:[&'][a-z0-9]+)*)
  | (?P<amp>&)
  | (?P<sep>\n|[,;:!?|]|\.(?!\d)|\+(?=\s|$))
  | (?P<dash>-+|[=*])
    """,
    re.VERBOSE,
)
_EXPONENT = re.compile(r"e[0-9]{1,3}")
_SEP_WORDS = frozenset({"aur", "or", "tatha", "also", "plus"})
_WALA = frozenset({"wala", "wali", "wale", "waala", "waali", "waale", "vala", "vali", "wla",
                   "valaa", "walla"})
_X_WORDS = frozenset({"x", "into", "qty", "quantity"})


def _raw_tokens(text: str) -> list[Token]:
    text = _LIST_MARKER.sub("", text)
    text = _PRICE_SUFFIX.sub("rs ", text)  # "5 rs 20 box": the rupees follow their number
    text = _PRICE_PREFIX.sub(" mrp ", text)  # "mrp", not "rs": "750 @ 38" must stay two
    text = _PRICE_AT.sub(" mrp ", text)
    text = _INNER_HYPHEN.sub(" ", text)
    out: list[Token] = []
    for match in _RAW.finditer(text):
        if match.group("date"):
            raw = match.group("date")
            value = number_value(raw)
            out.append(Token("num", raw, value) if value is not None else Token("sep", raw))
        elif match.group("num"):
            value = number_value(match.group("num"))
            assert value is not None
            glued = match.group("glued")
            if glued and _EXPONENT.fullmatch(glued):
                # "1e9" as written: the order's limit then says it is too many, where it
                # used to be dropped and leave the line a quantity of one.
                out.append(Token("num", match.group("num") + glued,
                                 Decimal(match.group("num").replace(",", "") + glued)))
                continue
            if glued and not splits_off(glued):
                out.append(Token("word", match.group("num") + glued))  # "7up", "o3", "1st"
                continue
            out.append(Token("num", match.group("num"), value))
            if glued:
                out.append(Token("word", glued, unit="glued"))
        elif match.group("mult"):
            out.append(Token("mult", "x"))
            value = number_value(match.group("mult")[1:])
            out.append(Token("num", match.group("mult")[1:], value))
        elif match.group("word"):
            out.append(Token("word", match.group("word")))
        elif match.group("amp"):
            out.append(Token("word", "and"))  # one name ("hide & seek") or two items
        elif match.group("sep"):
            out.append(Token("sep", match.group("sep")))
        else:
            out.append(Token("dash", "-"))
    return out


_IMPROPER = re.compile(r"^([0-9]{1,2})/([1-9])$")


def _fractions_before_units(tokens: list[Token]) -> list[Token]:
    """'3/2 cs' is one and a half cases. An improper fraction reads as a date ('26/11') and
    separates, which left the case with a quantity of one; before a unit word it is none."""
    out = list(tokens)
    for i, tok in enumerate(out[:-1]):
        nxt = out[i + 1]
        m = _IMPROPER.match(tok.text)
        if (tok.kind == "sep" and m and int(m[1]) >= int(m[2]) and nxt.kind == "word"
                and unit_word(nxt.text) is not None):
            out[i] = Token("num", tok.text, Decimal(m[1]) / Decimal(m[2]))
    return out


def _mixed_numbers(tokens: list[Token], known: KnownWords) -> list[Token]:
    """'1 1/2' is one and a half: a small whole number, then a proper fraction. Not after a
    catalog word, where the number may be part of a name ('maggi 70 1/2 box' is half a box of
    Maggi 70; 'send 1 1/2 case' is one and a half), nor a big one ('750 1/2' is a size, then
    half of something)."""
    out: list[Token] = []
    for tok in tokens:
        prev = out[-1] if out else None
        after_word = len(out) > 1 and out[-2].kind == "word" and known.is_known(out[-2].text)
        if (prev is not None and prev.kind == "num" and tok.kind == "num" and "/" in tok.text
                and not after_word
                and prev.value is not None and prev.value == prev.value.to_integral() < 100
                and "/" not in prev.text and tok.value is not None and 0 < tok.value < 1):
            out[-1] = Token("num", f"{prev.text} {tok.text}", prev.value + tok.value)
            continue
        out.append(tok)
    return out


def splits_off(suffix: str) -> bool:
    """'3cs', '750ml', '10rs', '2x' split into number and word; '7up' stays one word."""
    return (not suffix or suffix in MEASURES or unit_word(suffix) is not None
            or suffix in ("rs", "x", "k") or suffix in _WALA)


def _words_to_numbers(tokens: list[Token], known: KnownWords) -> list[Token]:
    """Number words -> numbers, with 'do sau' = 200, 'sava do' = 2.25, and 'bhej do' left alone."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "word" and tok.text in MODIFIERS and nxt is not None:
            shift, alone = MODIFIERS[tok.text]
            value = number_value(nxt.text) if nxt.kind in ("word", "num") else None
            if value is not None and value >= 1 and nxt.unit != "glued":
                out.append(Token("num", f"{tok.text} {nxt.text}", value + shift))
                i += 2
                continue
            if alone:
                out.append(Token("num", tok.text, alone))
                i += 1
                continue
        if tok.kind == "word" and tok.unit != "glued":
            value = number_value(tok.text)
            before_unit = nxt is not None and (
                nxt.text in MEASURES or unit_word(nxt.text) is not None)
            if (value is not None and (before_unit or not known.is_known(tok.text))
                    and _reads_as_number(tok.text, out[-1] if out else None, nxt, known)):
                out.append(Token("num", tok.text, value))
                i += 1
                continue
        if (tok.kind == "word" and tok.text in MULTIPLIERS and out and out[-1].kind == "num"
                and out[-1].value is not None):
            prev = out.pop()
            assert prev.value is not None
            out.append(Token("num", f"{prev.text} {tok.text}", prev.value * MULTIPLIERS[tok.text]))
            i += 1
            continue
        out.append(tok)
        i += 1
    return out


def _reads_as_number(word: str, prev: Token | None, nxt: Token | None,
                     known: KnownWords) -> bool:
    if prev is not None and prev.kind == "word" and prev.text == "har":
        return False  # "har ek" is "each one", not a quantity
    if word != "do":
        return True
    # "do" is two before a unit or a product ("send do peti", "do fanta"), else "give" or "do"
    if nxt is None or nxt.kind not in ("word", "num"):
        return False
    if unit_word(nxt.text) is not None:
        return True
    if prev is not None and prev.kind == "word" and prev.text in VERBS_BEFORE_DO:
        return False
    return known.is_known(nxt.text)


def _join_known(tokens: list[Token], known: KnownWords) -> list[Token]:
    """'7 up' / '4 pack' / 'thums up' -> one word when the catalog spells it as one;
    'coke750' -> 'coke' '750' when only the parts are known."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        joinable = nxt is not None and nxt.kind == "word" and (
            tok.kind == "num"
            or (tok.kind == "word" and not (known.is_known(tok.text) and known.is_known(nxt.text)))
        )
        if joinable and nxt is not None and known.is_known(tok.text + nxt.text):
            out.append(Token("word", tok.text + nxt.text))
            i += 2
            continue
        split = _LETTERS_THEN_DIGITS.match(tok.text) if tok.kind == "word" else None
        if (split and not known.is_known(tok.text) and known.is_known(split.group(1))
                and splits_off(split.group(3))):
            value = number_value(split.group(2))
            out.append(Token("word", split.group(1)))
            out.append(Token("num", split.group(2), value))
            if split.group(3):
                out.append(Token("word", split.group(3), unit="glued"))
            i += 1
            continue
        out.append(tok)
        i += 1
    return out


def _past_wala(tokens: list[Token], i: int) -> int:
    """After a price, "wala" only says the product goes by it ("10rs wala"): skip it."""
    if i < len(tokens) and tokens[i].kind == "word" and tokens[i].text in _WALA:
        return i + 1
    return i


def _sizes_prices_units(tokens: list[Token], known: KnownWords) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "num" and tok.value is not None and nxt is not None and nxt.kind == "word":
            measure = MEASURES.get(nxt.text)
            if measure is not None:
                dimension, factor = measure
                out.append(Token("size", f"{tok.text}{nxt.text}", tok.value * factor,
                                 dimension, written=tok.value))
                i += 2
                continue
            if nxt.text == "rs":
                out.append(Token("price", f"{tok.text}rs", tok.value))
                i = _past_wala(tokens, i + 2)
                continue
            if nxt.text in _WALA:
                # "10 wala" is an MRP, "750 wala" a size: a number the product goes by
                out.append(Token("price", f"{tok.text} {nxt.text}", tok.value, unit="loose"))
                i += 2
                continue
            if nxt.text == "x" and nxt.unit == "glued":
                out.append(Token("mult", "x"))
                out.append(tok)
                i += 2
                continue
        if tok.kind == "word" and tok.text == "mrp" and nxt is not None and nxt.kind == "num":
            assert nxt.value is not None
            out.append(Token("price", f"rs{nxt.text}", nxt.value))
            i = _past_wala(tokens, i + 2)
            continue
        if tok.kind == "word" and tok.text in _X_WORDS and nxt is not None and nxt.kind == "num":
            out.append(Token("mult", "x"))
            i += 1
            continue
        out.append(tok)
        i += 1
    return out


def _units_and_separators(tokens: list[Token], known: KnownWords) -> list[Token]:
    out: list[Token] = []
    for i, tok in enumerate(tokens):
        prev = out[-1] if out else None
        if tok.kind == "word":
            after_number = prev is not None and prev.kind == "num"
            generic = unit_word(tok.text) or (
                misspelt_unit(tok.text) if after_number and not known.is_known(tok.text)
                else None)
            if generic is not None and (after_number or (
                    tok.text in UNIT_ONLY_WORDS and not known.is_known(tok.text))):
                out.append(Token("unit", tok.text, unit=generic))
                continue
            if tok.text in _SEP_WORDS and not known.is_known(tok.text):
                out.append(Token("sep", tok.text))
                continue
            if tok.text in ("and", "n", "&"):
                left = prev.text if prev is not None and prev.kind == "word" else ""
                right = tokens[i + 1].text if i + 1 < len(tokens) else ""
                if known.joins_with_and(left, right):
                    out.append(Token("word", "and"))
                else:
                    out.append(Token("sep", tok.text))
                continue
        if tok.unit == "glued":
            tok = replace(tok, unit=None)
        out.append(tok)
    return out


def tokenize(text: str, known: KnownWords | None = None) -> list[Token]:
    """Normalized text (see text_normalization.normalize) -> typed tokens."""
    words = known or NoWords()
    tokens = _mixed_numbers(_fractions_before_units(_raw_tokens(text)), words)
    tokens = _words_to_numbers(tokens, words)
    tokens = _join_known(tokens, words)
    tokens = _sizes_prices_units(tokens, words)
    return _units_and_separators(tokens, words)
