"""Numbers as shops write them: digits, English and Hindi/Hinglish words, fractions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

NUMBER_WORDS: dict[str, Decimal] = {}
for _value, _spellings in {
    "0.5": "half aadha aadhi adha adhi aada aadhe adhe",
    "1.5": "dedh dedd derh dhedh",
    "2.5": "dhai dhaai dhaee adhai adhaai",
    "1": "one ek ekk",
    "2": "two do doo",
    "3": "three teen tiin",
    "4": "four char chaar",
    "5": "five paanch panch paach pach paanc",
    "6": "six chhe chhah che chhai chhey",
    "7": "seven saat",
    "8": "eight aath ath",
    "9": "nine nau",
    "10": "ten das dus",
    "11": "eleven gyarah gyara",
    "12": "twelve barah baarah",
    "13": "thirteen terah",
    "14": "fourteen chaudah",
    "15": "fifteen pandrah pandra",
    "16": "sixteen solah",
    "17": "seventeen satrah",
    "18": "eighteen atharah",
    "19": "nineteen unnis",
    "20": "twenty bees bis",
    "25": "pachchis pachis",
    "30": "thirty tees tis",
    "40": "forty chalis chaalis",
    "50": "fifty pachas pachaas",
    "60": "sixty",
    "70": "seventy sattar",
    "80": "eighty assi",
    "90": "ninety nabbe",
    "100": "hundred sau",
}.items():
    for _spelling in _spellings.split():
        NUMBER_WORDS[_spelling] = Decimal(_value)

# words that scale the number before them ("do sau" = 200)
MULTIPLIERS: dict[str, Decimal] = {
    "sau": Decimal(100), "hundred": Decimal(100), "hazaar": Decimal(1000),
    "hazar": Decimal(1000), "thousand": Decimal(1000),
}
# words that shift the number after them ("sava do" = 2.25, "paune teen" = 2.75)
MODIFIERS: dict[str, tuple[Decimal, Decimal]] = {
    "sava": (Decimal("0.25"), Decimal("1.25")), "sawa": (Decimal("0.25"), Decimal("1.25")),
    "paune": (Decimal("-0.25"), Decimal("0.75")), "pone": (Decimal("-0.25"), Decimal("0.75")),
    "saade": (Decimal("0.5"), Decimal("0")), "sade": (Decimal("0.5"), Decimal("0")),
    "saadhe": (Decimal("0.5"), Decimal("0")),
}
# words that read as a number but, right after these verbs, are the verb's tail ("bhej do")
VERBS_BEFORE_DO = frozenset({
    "bhej", "kar", "de", "le", "dal", "daal", "bata", "dikha", "rakh", "bana", "likh", "book",
    "bhijwa", "mangwa", "cancel", "confirm", "hata", "nikal", "jod", "add", "send", "bhejwa",
    "pahuncha", "dila", "dijiye", "karwa", "bol",
})

_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")
# A number with its digits grouped: 12,500 and, as written in India, 1,00,000 (a lakh) and
# 10,00,000. The lexer finds numbers with it and number_value reads them: one pattern for both.
GROUPED_DIGITS = r"(?:\d{1,2}(?:,\d{2})+,\d{3}|\d{1,3}(?:,\d{3})+)"
_THOUSANDS = re.compile(rf"^{GROUPED_DIGITS}(?:\.\d+)?$")
_FRACTION = re.compile(r"^(\d+)/(\d+)$")


def number_value(token: str) -> Decimal | None:
    """'12' -> 12, '2.5' -> 2.5, '12,500' -> 12500, '1/2' -> 0.5, 'dedh' -> 1.5; else None."""
    if _DIGITS.match(token) or _THOUSANDS.match(token):
        try:
            return Decimal(token.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the patterns only admit numbers
            return None
    fraction = _FRACTION.match(token)
    if fraction and int(fraction.group(2)) and int(fraction.group(1)) < int(fraction.group(2)):
        return Decimal(fraction.group(1)) / Decimal(fraction.group(2))
    return NUMBER_WORDS.get(token)


def is_number_word(token: str) -> bool:
    return token in NUMBER_WORDS or token in MODIFIERS or token in MULTIPLIERS


def plain(value: Decimal) -> Decimal:
    """A quantity without trailing zeros: 2.0 -> 2, 0.50 -> 0.5."""
    normalized = value.normalize()
    if normalized != normalized.to_integral():
        return normalized
    try:
        return normalized.quantize(Decimal(1))
    except InvalidOperation:  # more digits than the context holds: as it is, for the limits
        return normalized
