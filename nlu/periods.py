"""Statement periods ("last month", "Q2", "since 1 oct", "FY so far") -> dates.

Conventions (spec/nlu-eval.md): Indian financial year from 1 April, Q1 = Apr-Jun .. Q4 = Jan-Mar;
"last N days" = message date minus N days .. message date; "last month" = the previous
calendar month; a period never runs past the message date. A date or month without a year is
the latest one not after the message date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from nlu.parse_result import Period

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    ("jan january janvari janwari", "feb february farvari farwari febuary",
     "mar march", "apr april aprail", "may mayi", "jun june joon", "jul july julai",
     "aug august agast", "sep sept september sitambar", "oct october aktubar",
     "nov november navambar", "dec december disambar"),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_MONTH = r"(?P<{}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
_DAY = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:[ ,']*(?P<{}>20\d\d|\d\d)(?!\d))?"
_B, _E = r"(?<![a-z0-9])", r"(?![a-z0-9])"


def _date_pattern(tag: str) -> str:
    numeric = (rf"(?P<{tag}nd>[0-3]?\d)[/.-](?P<{tag}nm>[01]?\d)"
               rf"(?:[/.-](?P<{tag}ny>\d{{4}}|\d\d))?(?![\d/])")
    day_month = (_DAY.format(f"{tag}d") + r"\s*(?:of\s+)?" + _MONTH.format(f"{tag}m")
                 + _YEAR.format(f"{tag}y"))
    month_day = (_MONTH.format(f"{tag}m2") + r"\s+" + _DAY.format(f"{tag}d2")
                 + _YEAR.format(f"{tag}y2"))
    return rf"(?:{numeric}|{day_month}{_E}|{month_day}{_E})"


_TO = r"\s*(?:to|till|until|upto|up to|se|-|–|tak)\s*"
_DATE_RANGE = re.compile(_B + _date_pattern("a") + _TO + _date_pattern("b"))
_SINCE_DATE = (
    re.compile(rf"{_B}(?:since|from|after|starting)\s+{_date_pattern('a')}"),
    re.compile(rf"{_B}{_date_pattern('a')}\s*(?:se|onwards|onward)(?:\s+(?:aaj|ab)\s+tak)?{_E}"),
)
_MONTH_RANGE = re.compile(
    _B + _MONTH.format("m1") + _YEAR.format("y1") + _TO + _MONTH.format("m2")
    + _YEAR.format("y2") + _E
)
_SINCE_MONTH = (
    re.compile(rf"{_B}(?:since|from)\s+{_MONTH.format('m1')}{_YEAR.format('y1')}{_E}"),
    re.compile(rf"{_B}{_MONTH.format('m1')}{_YEAR.format('y1')}\s+(?:se|onwards){_E}"),
)
_LAST_N = re.compile(
    rf"{_B}(?:last|past|pichle|pichhle|pichli|previous|prev)\s+(?P<n>\d+)\s*"
    rf"(?P<what>days?|din|dino|dinon|weeks?|hafte|months?|mahine|mahina)(?:\s+ka)?{_E}"
)
_LAST_MONTH = re.compile(
    rf"{_B}(?:last|previous|prev|pichle|pichhle|pichla|pichhla|pichli|past)\s+"
    rf"(?:month|mahine|mahina|mahin[ae]|mnth){_E}|{_B}(?:last|prev)month{_E}"
)
_THIS_MONTH = re.compile(
    rf"{_B}(?:this|current|is|iss|ye|yeh|chalu|present)\s+(?:month|mahine|mahina|mnth){_E}"
    rf"|{_B}mtd{_E}"
)
_LAST_WEEK = re.compile(rf"{_B}(?:last|previous|pichle|pichhle|pichla)\s+(?:week|hafte|hafta){_E}")
_THIS_WEEK = re.compile(rf"{_B}(?:this|current|is|iss)\s+(?:week|hafte|hafta){_E}")
_QUARTER = re.compile(rf"{_B}q(?P<q>[1-4]){_E}|{_B}quarter\s*(?P<q2>[1-4]){_E}")
_LAST_QUARTER = re.compile(
    rf"{_B}(?:last|previous|pichle|pichla|pichhle)\s+(?:quarter|qtr){_E}"
)
_THIS_QUARTER = re.compile(rf"{_B}(?:this|current|is)\s+(?:quarter|qtr){_E}|{_B}qtd{_E}")
_FY_NAMED = re.compile(
    rf"{_B}(?:fy|f\.y\.?|financial year|finanical year)\s*'?(?P<a>20\d\d|\d\d)"
    rf"(?:\s*[-/]\s*(?P<b>20\d\d|\d\d))?{_E}"
)
_FY = re.compile(
    rf"{_B}(?:fy|f\.y|financial year|ytd|is saal|this year|current year|saal bhar){_E}"
)
_LAST_FY = re.compile(
    rf"{_B}(?:last|previous|pichle|pichla)\s+(?:fy|financial year|year|saal){_E}"
)
_MONTH_ALONE = re.compile(_B + _MONTH.format("m") + _YEAR.format("y") + _E)
_TODAY = re.compile(rf"{_B}(?:today|aaj|aj)(?:\s+ka)?{_E}")
_YESTERDAY = re.compile(rf"{_B}(?:yesterday|kal ka|kal ki|kal ke)\b")
_AMBIGUOUS_MONTHS = {"may", "mar", "mayi"}  # also English / Hindi words


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _latest(month: int, day: int, today: date) -> date | None:
    """The latest (month, day) not after today."""
    for year in (today.year, today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


def _fy_start(today: date) -> int:
    return today.year if today.month >= 4 else today.year - 1


def _quarter_bounds(fy: int, quarter: int) -> tuple[date, date]:
    first_month = (4 + 3 * (quarter - 1) - 1) % 12 + 1
    year = fy if quarter < 4 else fy + 1
    return date(year, first_month, 1), _month_end(year, first_month + 2)


def _date_from(match: re.Match[str], tag: str, today: date) -> date | None:
    groups = match.groupdict()
    if groups.get(f"{tag}nd"):
        day, month = int(groups[f"{tag}nd"]), int(groups[f"{tag}nm"])
        year = _year(groups.get(f"{tag}ny"))
    elif groups.get(f"{tag}d"):
        day, month = int(groups[f"{tag}d"]), MONTHS[groups[f"{tag}m"]]
        year = _year(groups.get(f"{tag}y"))
    elif groups.get(f"{tag}d2"):
        day, month = int(groups[f"{tag}d2"]), MONTHS[groups[f"{tag}m2"]]
        year = _year(groups.get(f"{tag}y2"))
    else:
        return None
    if not 1 <= month <= 12:
        return None
    if year is None:
        return _latest(month, day, today)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_start(month: int, year: int | None, today: date) -> date:
    if year is not None:
        return date(year, month, 1)
    return date(today.year if month <= today.month else today.year - 1, month, 1)


def _clip(start: date, end: date, today: date) -> Period | None:
    end = min(end, today)
    if start > end:
        return None
    return Period(start, end)


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def resolve_period(text: str, today: date) -> Period | None:
    """The period a statement request names, or None when it names none."""
    if m := _DATE_RANGE.search(text):
        start, end = _date_from(m, "a", today), _date_from(m, "b", today)
        if start and end:
            if end < start and end.year == start.year - 1:
                end = end.replace(year=start.year)  # "15 dec to 10 jan" crosses the year
            return _clip(start, end, today)
    for pattern in _SINCE_DATE:
        if (m := pattern.search(text)) and (start_date := _date_from(m, "a", today)):
            return _clip(start_date, today, today)
    if m := _MONTH_RANGE.search(text):
        first, last = MONTHS[m["m1"]], MONTHS[m["m2"]]
        end_start = _month_start(last, _year(m["y2"]), today)
        start = _month_start(first, _year(m["y1"]) or None, today)
        if start > end_start:
            start = start.replace(year=end_start.year - (1 if first > last else 0))
        return _clip(start, _month_end(end_start.year, end_start.month), today)
    for pattern in _SINCE_MONTH:
        if m := pattern.search(text):
            return _clip(_month_start(MONTHS[m["m1"]], _year(m["y1"]), today), today, today)
    if m := _LAST_N.search(text):
        n, what = int(m["n"]), m["what"]
        if what.startswith(("day", "din")):
            start = today - timedelta(days=n)
        elif what.startswith(("week", "haft")):
            start = today - timedelta(weeks=n)
        else:
            start = _shift_months(today, n)
        return _clip(start, today, today)
    if _LAST_MONTH.search(text):
        end = today.replace(day=1) - timedelta(days=1)
        return _clip(end.replace(day=1), end, today)
    if _THIS_MONTH.search(text):
        return _clip(today.replace(day=1), today, today)
    if _LAST_WEEK.search(text):
        monday = today - timedelta(days=today.weekday() + 7)
        return _clip(monday, monday + timedelta(days=6), today)
    if _THIS_WEEK.search(text):
        return _clip(today - timedelta(days=today.weekday()), today, today)
    if _LAST_QUARTER.search(text) or _THIS_QUARTER.search(text):
        fy = _fy_start(today)
        current = (today.month - 4) % 12 // 3 + 1
        if _THIS_QUARTER.search(text):
            start, end = _quarter_bounds(fy, current)
        else:
            start, end = _quarter_bounds(fy if current > 1 else fy - 1, (current - 2) % 4 + 1)
        return _clip(start, end, today)
    named_fy = _FY_NAMED.search(text)
    if m := _QUARTER.search(text):
        quarter = int(m["q"] or m["q2"])
        fy = _named_fy_start(named_fy) if named_fy else _fy_start(today)
        start, end = _quarter_bounds(fy, quarter)
        if named_fy is None and start > today:
            start, end = _quarter_bounds(fy - 1, quarter)
        return _clip(start, end, today)
    if named_fy:
        fy = _named_fy_start(named_fy)
        return _clip(date(fy, 4, 1), date(fy + 1, 3, 31), today)
    if _LAST_FY.search(text):
        fy = _fy_start(today) - 1
        return _clip(date(fy, 4, 1), date(fy + 1, 3, 31), today)
    if _FY.search(text):
        return _clip(date(_fy_start(today), 4, 1), today, today)
    for m in _MONTH_ALONE.finditer(text):
        if m["m"] in _AMBIGUOUS_MONTHS and not _month_context(text, m):
            continue
        start = _month_start(MONTHS[m["m"]], _year(m["y"]), today)
        return _clip(start, _month_end(start.year, start.month), today)
    if _TODAY.search(text):
        return Period(today, today)
    if _YESTERDAY.search(text):
        day = today - timedelta(days=1)
        return Period(day, day)
    return None


def _named_fy_start(m: re.Match[str]) -> int:
    first = _year(m["a"])
    assert first is not None
    if m["b"]:
        return first  # "FY 26-27" / "FY 2026-27": the year it starts
    return first - 1  # "FY27": the year it ends


_MONTH_CONTEXT = re.compile(r"(?:of|for|in|since|from|se)\s+$")
_MONTH_AFTER = re.compile(r"^\s*(?:ka|ki|ke|month|mahina|mahine|statement|ledger|\d)")


def _month_context(text: str, m: re.Match[str]) -> bool:
    return bool(_MONTH_CONTEXT.search(text[: m.start()]) or _MONTH_AFTER.match(text[m.end():]))
