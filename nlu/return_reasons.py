"""Why goods come back: damaged | expired | excess | wrong_item | other."""

from __future__ import annotations

import re

_B, _E = r"(?<![a-z0-9])", r"(?![a-z0-9])"


def _cues(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(f"{_B}(?:{p}){_E}" for p in phrases))


# checked in this order: a wrong delivery is often also "extra", an expired one also "bad"
REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("wrong_item", _cues(
        r"wrong\w*", r"galat\w*", r"glt", r"(?:manga|mangaya|mangwaya|mangvaya|ordered|order kiya)"
        r"(?: \w+)? (?:tha|thi|the)", r"order \w+(?: \w+)? (?:ka|ki|ke) (?:tha|thi|the)",
        r"instead of", r"different (?:item|product|brand|size)", r"not what i ordered",
        r"dusra (?:maal|item|product)", r"badal ke", r"mismatch\w*")),
    ("expired", _cues(
        r"expir\w*", r"expiry", r"exp date", r"date (?:nikal|khatam|over)\w*", r"out of date",
        r"best before", r"purana (?:stock|maal)", r"old stock", r"shelf life")),
    ("excess", _cues(
        r"excess", r"extra", r"zyada", r"jyada", r"jada", r"more than (?:i )?ordered",
        r"over ?supply", r"overstock\w*", r"surplus", r"not ordered", r"order nahi kiya")),
    ("damaged", _cues(
        r"damag\w*", r"broken", r"break", r"leak\w*", r"phat\w*", r"phat gay\w*", r"fat gay\w*",
        r"fata", r"fati", r"pichk\w*", r"dent\w*", r"crush\w*", r"melt\w*", r"pighal\w*",
        r"tut\w*", r"toot\w*", r"kharab", r"kharaab", r"defect\w*", r"torn", r"jam gay\w*",
        r"patthar", r"seal (?:khul|tut)\w*", r"sad gay\w*", r"spoil\w*", r"rotten", r"sweating",
        r"wet", r"geela", r"bheeg\w*", r"cracked?", r"dabba tuta")),
)


def return_reason(text: str) -> str:
    for reason, pattern in REASONS:
        if pattern.search(text):
            return reason
    return "other"
