"""Unit words as shops spell them -> the catalog's canonical unit of the product in question.

Two kinds of word live here: *selling units* ("3 cs", "2 peti", "10 pcs") that say how a
quantity is counted, and *measures* ("750ml", "40 kilo") that describe a pack size and
so help pick the SKU, never the quantity.
"""

from __future__ import annotations

from decimal import Decimal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from domain.model.catalog import Product

PIECE = "piece"  # stands for "the product's base unit, whatever it is called"
DABBA = "dabba"  # box where the product has boxes, else tin, else bucket

UNIT_SPELLINGS: dict[str, str] = {}
for _canonical, _spellings in {
    "case": "case cases cs cse css ctn ctns carton cartons crate crates peti petis petti "
            "peti's pety caret",
    "box": "box boxes bx bxs bxes",
    "packet": "packet packets pkt pkts pckt pckts pack packs pkg paket packt",
    PIECE: "piece pieces pcs pc pcss nos no nag nang unit units pis peice peices",
    "dozen": "dozen dozens dz doz dzn darjan darjen dozan",
    "strip": "strip strips stp ladi ladis patta patte",
    "bag": "bag bags bori boriyan bora katta katte kattas sack sacks",
    "tin": "tin tins",
    "bucket": "bucket buckets balti baltis bkt",
    DABBA: "dabba dabbe dibba dibbe",
    "bottle": "bottle bottles btl btls bottel botal",
    "can": "can cans",
    "jar": "jar jars",
    "tube": "tube tubes",
    "sachet": "sachet sachets pouchet",
    "pouch": "pouch pouches",
    "tonne": "tonne tonnes ton tons tonn mt",
    "tablet": "tablet tablets tab tabs",
}.items():
    for _spelling in _spellings.split():
        UNIT_SPELLINGS[_spelling] = _canonical

# words that mean a selling unit even with no number before them ("peti fanta" is one case)
UNIT_ONLY_WORDS = frozenset(
    w for w, c in UNIT_SPELLINGS.items()
    if c in ("case", "box", "dozen", PIECE, DABBA) and w not in ("no", "unit", "units")
)

# units that name the single item itself: if the product's base unit is called otherwise,
# the buyer still means one base unit ("5 bottle vicks" where vicks is sold by the piece)
_BASE_LIKE = frozenset({PIECE, "bottle", "can", "jar", "tube", "sachet", "pouch", "packet",
                        "tin", "tablet"})

# measure word -> (dimension, factor to ml or g)
MEASURES: dict[str, tuple[str, Decimal]] = {}
for _dimension, _factor, _words in (
    ("ml", Decimal(1), "ml mls millilitre milliliter"),
    ("ml", Decimal(1000), "l lt ltr ltrs litre litres liter liters litr ltre lit"),
    ("g", Decimal(1), "g gm gms gram grams gr grm gms."),
    ("g", Decimal(1000), "kg kgs kilo kilos kilogram kilograms kilogramme"),
    ("g", Decimal("0.001"), "mg"),
):
    for _word in _words.split():
        MEASURES[_word] = (_dimension, _factor)


def unit_word(word: str) -> str | None:
    """'cs' -> 'case', 'pcs' -> 'piece' (the base unit), 'ladi' -> 'strip'; None if not a unit."""
    return UNIT_SPELLINGS.get(word)


_LONG_SPELLINGS = [w for w in UNIT_SPELLINGS if len(w) >= 4]


def misspelt_unit(word: str) -> str | None:
    """'buckt' -> 'bucket', 'dozn' -> 'dozen': only right after a number, for longer words."""
    if len(word) < 4 or not word.isalpha():
        return None
    found = process.extract(word, _LONG_SPELLINGS, scorer=fuzz.ratio, score_cutoff=80.0, limit=1)
    if found:
        return UNIT_SPELLINGS[found[0][0]]
    if len(word) <= 5:  # "ptei", "cdse": one letter wrong or two swapped
        near = [s for s in _LONG_SPELLINGS if OSA.distance(word, s) <= 1]
        return UNIT_SPELLINGS[near[0]] if near else None
    return None


def resolve_unit(generic: str, product: Product) -> str:
    """The canonical unit of `product` that a generic unit word names."""
    units = product.units
    if generic == DABBA:
        for choice in ("box", "tin", "bucket"):
            if choice in units:
                return choice
        return product.base_unit
    if generic in units:
        return generic
    if generic in _BASE_LIKE:
        return product.base_unit
    return generic  # not sold that way: the order service says so in words the shop reads


def sells_in(generic: str, product: Product) -> bool:
    """Whether the product is sold in the unit the message names (for narrowing candidates)."""
    if generic in (PIECE, DABBA):
        return True
    return generic in product.units
