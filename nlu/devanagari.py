"""Devanagari -> the Latin spelling shops type in chat (Hinglish), so one set of rules reads both.

Common words map through a small dictionary (so `तीन` becomes `teen`, not `tin`, a unit);
anything else is transliterated letter by letter with the inherent vowel dropped at the end
of a word, which is close enough for the fuzzy catalog matcher (`थम्स अप` -> `thams ap`).
"""

from __future__ import annotations

import re
import unicodedata

DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")

WORDS: dict[str, str] = {
    # numbers
    "एक": "ek", "दो": "do", "तीन": "teen", "चार": "char", "पांच": "paanch", "पाँच": "paanch",
    "छह": "chhe", "छः": "chhe", "छे": "chhe", "सात": "saat", "आठ": "aath", "नौ": "nau",
    "दस": "das", "बारह": "barah", "पंद्रह": "pandrah", "बीस": "bees", "पच्चीस": "pachchis",
    "तीस": "tees", "चालीस": "chalis", "पचास": "pachas", "सौ": "sau", "आधा": "aadha",
    "आधी": "aadhi", "डेढ़": "dedh", "डेढ": "dedh", "ढाई": "dhai", "सवा": "sava", "पौने": "paune",
    "साढ़े": "saade", "साढे": "saade",
    # units
    "पेटी": "peti", "केस": "case", "डिब्बा": "dabba", "डिब्बे": "dabba", "बोरी": "bori",
    "कट्टा": "katta", "दर्जन": "dozen", "पैकेट": "packet", "बॉक्स": "box", "बोतल": "bottle",
    "लीटर": "litre", "किलो": "kilo", "ग्राम": "gram", "नग": "nag", "पीस": "piece",
    # the words intents hang on
    "भेजो": "bhejo", "भेज": "bhej", "भेजना": "bhejna", "और": "aur", "चाहिए": "chahiye",
    "हाँ": "haan", "हां": "haan", "हा": "haan", "नहीं": "nahi", "नही": "nahi", "मत": "mat",
    "स्टेटमेंट": "statement", "हिसाब": "hisaab", "खाता": "khata", "ऑर्डर": "order",
    "आर्डर": "order", "वापस": "wapas", "नमस्ते": "namaste", "नमस्कार": "namaskar",
    "मदद": "madad", "ठीक": "theek", "है": "hai", "का": "ka", "की": "ki", "के": "ke",
    "को": "ko", "से": "se", "में": "me", "तक": "tak", "कब": "kab", "आएगा": "aayega",
    "आयेगा": "aayega", "कैंसल": "cancel", "रद्द": "cancel", "स्कीम": "scheme",
    "ऑफर": "offer", "पॉइंट": "points", "पॉइंट्स": "points", "बैलेंस": "balance",
    "बकाया": "bakaya", "पिछला": "pichla", "पिछले": "pichle", "महीने": "mahine",
    "महीना": "mahina", "इस": "is", "आज": "aaj", "कल": "kal", "दिन": "din", "जी": "ji",
    "भाई": "bhai", "भैया": "bhaiya", "मुझे": "mujhe", "मेरा": "mera", "मेरे": "mere",
}

_VOWELS = {
    "अ": "a", "आ": "aa", "इ": "i", "ई": "i", "उ": "u", "ऊ": "u", "ऋ": "ri", "ए": "e",
    "ऐ": "ai", "ओ": "o", "औ": "au", "ऑ": "o",
}
_MATRAS = {
    "ा": "a", "ि": "i", "ी": "i", "ु": "u", "ू": "u", "ृ": "ri", "े": "e", "ै": "ai",
    "ो": "o", "ौ": "au", "ॉ": "o", "ॅ": "e",
}
_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n", "च": "ch", "छ": "chh", "ज": "j",
    "झ": "jh", "ञ": "n", "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n", "त": "t",
    "थ": "th", "द": "d", "ध": "dh", "न": "n", "प": "p", "फ": "f", "ब": "b", "भ": "bh",
    "म": "m", "य": "y", "र": "r", "ल": "l", "व": "v", "श": "sh", "ष": "sh", "स": "s",
    "ह": "h", "ळ": "l",
}
# a consonant with a nukta dot under it (decomposed: the consonant, then the nukta)
_WITH_NUKTA = {"क": "k", "ख": "kh", "ग": "g", "ज": "z", "ड": "r", "ढ": "rh", "फ": "f"}
_VIRAMA = "्"
_NUKTA = "़"
_NASALS = {"ं": "n", "ँ": "n"}
_VISARGA = "ः"
_DEVANAGARI_RUN = re.compile(r"[\u0900-\u097F]+")


def _transliterate_word(word: str) -> str:
    out: list[str] = []
    pending_a = False  # a consonant whose inherent vowel has not been cancelled yet
    chars = unicodedata.normalize("NFD", word)
    for i, ch in enumerate(chars):
        if ch == _NUKTA:
            continue
        if ch in _CONSONANTS:
            if pending_a:
                out.append("a")
            dotted = i + 1 < len(chars) and chars[i + 1] == _NUKTA
            out.append(_WITH_NUKTA.get(ch, _CONSONANTS[ch]) if dotted else _CONSONANTS[ch])
            pending_a = True
        elif ch in _MATRAS:
            out.append(_MATRAS[ch])
            pending_a = False
        elif ch == _VIRAMA:
            pending_a = False
        elif ch in _NASALS:
            if pending_a:
                out.append("a")
            pending_a = False
            out.append(_NASALS[ch])
        elif ch in _VOWELS:
            if pending_a:
                out.append("a")
            pending_a = False
            out.append(_VOWELS[ch])
        elif ch == _VISARGA:
            pending_a = False
            out.append("h")
        # other signs (danda, om ...) carry nothing a shop order needs
    return "".join(out)  # a trailing inherent vowel is dropped, as Hindi speakers do


def to_latin(text: str) -> str:
    """Devanagari words and digits -> Latin; other text passes through unchanged."""
    text = text.translate(DIGITS)
    if not _DEVANAGARI_RUN.search(text):
        return text

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return WORDS.get(word) or WORDS.get(unicodedata.normalize("NFC", word)) or (
            _transliterate_word(word))

    return _DEVANAGARI_RUN.sub(swap, text.replace("।", "."))
