"""Parties CSV (spec/runtime.md) -> parties, with every bad row named."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.errors import ImportFailed, RowError
from domain.model.field_limits import ID_LENGTH, MONEY, PARTY_NAME_LENGTH, REGION_LENGTH
from domain.model.party import CHANNELS, Party, Role
from domain.services.csv_rows import check_text, csv_rows

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")  # ASCII digits: "९" is a \d, not a phone digit
PARTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
REQUIRED = ("id", "role", "name", "phone")
# Free-text columns as stored: the longest each may be (None: a JSON list, no limit). The
# others are checked by their format (id, phone, numbers) or a fixed list of values.
TEXT_LENGTHS: dict[str, int | None] = {
    "name": PARTY_NAME_LENGTH, "distributor_id": ID_LENGTH, "route": None,
    "region": REGION_LENGTH,
}
# ASCII digits that fit the BigInteger column: str.isdigit() takes "²", which int() refuses.
TELEGRAM_ID = re.compile(r"[0-9]{1,18}")


def _float(raw: str, column: str, line: int, lo: float, hi: float, errors: list[RowError]
           ) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(RowError(line, column, f"not a number: {raw!r}"))
        return None
    if not lo <= value <= hi:
        errors.append(RowError(line, column, f"must be between {lo} and {hi}"))
    return value


def parse_parties_csv(text: str) -> list[Party]:
    return [party for _, party in parties_by_line(text)]


def parties_by_line(text: str) -> list[tuple[int, Party]]:
    """Each party with the line of the file it is on, for errors found later."""
    parties: list[tuple[int, Party]] = []
    errors: list[RowError] = []
    ids: dict[str, int] = {}
    phones: dict[str, int] = {}
    telegrams: dict[str, int] = {}
    for line, row, bad in csv_rows(text, REQUIRED):
        party_id, phone = row.get("id", ""), row.get("phone", "")
        if party_id and not PARTY_ID.match(party_id):
            bad.append(RowError(line, "id", "letters, digits, '-', '_' or '.' only"))
        if party_id in ids:
            bad.append(RowError(line, "id", f"duplicate of line {ids[party_id]}"))
        if phone and not E164.match(phone):
            bad.append(RowError(line, "phone", f"not an E.164 number: {phone!r}"))
        elif phone in phones:
            bad.append(RowError(line, "phone", f"same phone as line {phones[phone]}"))
        try:
            role = Role(row.get("role", "").lower())
        except ValueError:
            bad.append(RowError(line, "role", "must be distributor, retailer, rep or manager"))
            role = Role.RETAILER
        telegram = row.get("telegram_user_id", "")
        if telegram and not TELEGRAM_ID.fullmatch(telegram):
            bad.append(RowError(line, "telegram_user_id", "must be a number"))
        elif telegram in telegrams:
            bad.append(RowError(line, "telegram_user_id",
                                f"same Telegram user as line {telegrams[telegram]}"))
        outlet_class = row.get("outlet_class", "").upper() or None
        if outlet_class not in (None, "A", "B", "C"):
            bad.append(RowError(line, "outlet_class", "must be A, B or C"))
        channel = row.get("channel", "").lower() or None
        if channel is not None and channel not in CHANNELS:
            bad.append(RowError(line, "channel", f"must be one of {', '.join(CHANNELS)}"))
        lat = _float(row.get("lat", ""), "lat", line, -90, 90, bad)
        lon = _float(row.get("lon", ""), "lon", line, -180, 180, bad)
        credit: Decimal | None = None
        if row.get("credit_limit"):
            try:
                credit = Decimal(row["credit_limit"])
                if not credit.is_finite() or credit < 0:
                    raise InvalidOperation
            except InvalidOperation:
                bad.append(RowError(line, "credit_limit", "must be a number, zero or more"))
            else:
                if (reason := MONEY.problem(credit)) is not None:
                    bad.append(RowError(line, "credit_limit", reason))
        if role == Role.RETAILER and not row.get("distributor_id"):
            bad.append(RowError(line, "distributor_id", "a retailer needs its distributor"))
        routes = tuple(r.strip() for r in row.get("route", "").split("|") if r.strip())
        region = row.get("region", "").lower()  # checked as stored: lower() can lengthen it
        stored = {"name": row.get("name", ""), "distributor_id": row.get("distributor_id", ""),
                  "route": "|".join(routes), "region": region}
        for column, value in stored.items():
            check_text(line, column, value, TEXT_LENGTHS[column], bad)
        errors.extend(bad)
        if bad:
            continue
        ids[party_id], phones[phone] = line, line
        if telegram:
            telegrams[telegram] = line
        parties.append((line, Party(
            id=party_id, role=role, name=row["name"], phone=phone,
            telegram_user_id=int(telegram) if telegram else None,
            distributor_id=row.get("distributor_id") or None,
            routes=routes, region=region or None, lat=lat, lon=lon,
            outlet_class=outlet_class, channel=channel, credit_limit=credit,
        )))
    if errors:
        raise ImportFailed(errors)
    return parties


def party_line_numbers(parties: list[Party]) -> dict[str, int]:
    """Line of each party in the file it came from (header is line 1)."""
    return {p.id: n for n, p in enumerate(parties, start=2)}
