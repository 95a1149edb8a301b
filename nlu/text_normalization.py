"""Raw chat text -> one lower-case Latin spelling every other rule can rely on."""

from __future__ import annotations

import re
import unicodedata

from nlu.devanagari import to_latin

MAX_CHARS = 4096  # a longer message is cut here: chat orders are short, parsing must stay fast

_SYMBOLS = {
    "×": " x ", "✕": " x ", "✖": " x ", "₹": " rs ", "½": " 0.5 ", "¼": " 0.25 ", "¾": " 0.75 ",
    "–": " - ", "—": " - ", "−": " - ", "‐": "-", "‑": "-", "•": "\n", "·": "\n", "●": "\n",
    "▪": "\n", "➡": " ", "→": " ", "’": "'", "‘": "'", "“": '"', "”": '"', "\t": " ",
    "\r": "\n", "\u200b": "", "\u200c": "", "\u200d": "", "\ufe0f": "",
}
# emoji that carry an answer; every other pictograph is decoration
_ANSWER_EMOJI = {"👍": " ok ", "👌": " ok ", "✅": " ok ", "🆗": " ok ", "❌": " cancel ",
                 "🙏": " ", "👎": " no "}
_APOSTROPHE_IN_WORD = re.compile(r"(?<=[a-z])'(?=[a-z])")
_SPACES = re.compile(r"[ \u00a0]+")


_TABLE = {ord(k): v for k, v in (_SYMBOLS | _ANSWER_EMOJI).items()}
# ASCII symbols that carry nothing (the kept ones, @ & + % / $, mark prices and separators)
_ASCII_DROPPED = {ord(ch): None for ch in "<=>^`|~"} | {
    c: None for c in range(32) if chr(c) not in "\n\t\r"
} | {127: None}


def _keep(ch: str) -> bool:
    """Letters, marks, digits, punctuation and spaces stay; symbols and emoji go."""
    if ch in "@&+%/$\n":
        return True
    category = unicodedata.category(ch)
    return not (category.startswith("S") or category in ("Co", "Cn", "Cs", "Cc"))


def normalize(text: str) -> str:
    """Lower-case, Devanagari to Latin, symbols to words, emoji dropped, spaces collapsed."""
    text = text[:MAX_CHARS].translate(_TABLE)
    if text.isascii():
        text = text.translate(_ASCII_DROPPED).lower()
    else:
        text = to_latin("".join(ch for ch in text if _keep(ch)).casefold())
    text = _APOSTROPHE_IN_WORD.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
