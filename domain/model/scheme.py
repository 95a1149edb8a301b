"""Trade schemes (spec/schemes.md): the shape shared by scheme files, the admin API and eval cases.

`scheme_from_dict` is the one gate a scheme passes on its way in; every refusal names the field
path (`slabs[1].percent: must be between 0 and 100`) so an admin can fix the file. Whether the
SKUs it names exist is the import layer's business: it holds the catalog, this module does not.
`scheme_storage_problems` is asked before a scheme is written, not when one is read back, so a
scheme stored before those limits still loads.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from domain.errors import InvalidInput
from domain.model.field_limits import (
    ID_LENGTH,
    MONEY,
    QUANTITY,
    SCHEME_NAME_LENGTH,
    Decimals,
    text_problem,
)

SchemeKind = Literal["discount", "free_goods", "fixed_price"]
KINDS: tuple[SchemeKind, ...] = ("discount", "free_goods", "fixed_price")

# Which benefit fields each kind may carry; anything else on a slab of that kind is a mistake.
BENEFIT_FIELDS: dict[str, frozenset[str]] = {
    "discount": frozenset({"percent", "amount_off"}),
    "free_goods": frozenset({"free_qty", "free_sku", "free_unit", "recursive"}),
    "fixed_price": frozenset({"price"}),
}
ALL_BENEFIT_FIELDS = frozenset().union(*BENEFIT_FIELDS.values())
THRESHOLD_FIELDS = frozenset({"min_qty", "unit", "min_value"})

SCHEME_FIELDS = frozenset(
    {"id", "name", "kind", "scope", "audience", "valid", "pooled", "slabs", "stackable",
     "priority", "cumulative", "recursive", "active"}
)
# Human notes that files carry alongside the data; accepted and dropped.
NOTE_FIELDS = frozenset({"why", "note", "notes", "description", "comment"})
# A slab's numbers live in the scheme's JSON but become order-line money and quantities, so each
# must fit that NUMERIC column; extra decimal places are fine (pricing rounds once per line).
SLAB_NUMBERS: dict[str, Decimals] = {
    "min_qty": QUANTITY, "free_qty": QUANTITY, "min_value": MONEY, "amount_off": MONEY,
    "price": MONEY,
}
# Thresholds and free quantities count in the column's places; amounts may carry fractions of
# a paisa, since pricing rounds once per line.
EXACT_PLACES = frozenset({"min_qty", "free_qty", "min_value"})


@dataclass(frozen=True)
class Scope:
    """The lines a scheme looks at: the union of these; all empty means every line."""

    skus: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def is_everything(self) -> bool:
        return not (self.skus or self.brands or self.categories)


@dataclass(frozen=True)
class Audience:
    """Who may get a scheme: every non-empty list must hold the buyer's value."""

    roles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slab:
    """One threshold (min_qty in `unit`, or min_value) and the benefit it unlocks."""

    min_qty: Decimal | None = None
    unit: str | None = None
    min_value: Decimal | None = None
    percent: Decimal | None = None
    amount_off: Decimal | None = None
    price: Decimal | None = None
    free_qty: Decimal | None = None
    free_sku: str | None = None
    free_unit: str | None = None
    # None defers to the scheme-level default (Scheme.recursive).
    recursive: bool | None = None

    @property
    def minimum(self) -> Decimal:
        if self.min_value is not None:
            return self.min_value
        assert self.min_qty is not None
        return self.min_qty


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    kind: SchemeKind
    slabs: tuple[Slab, ...]
    scope: Scope = field(default_factory=Scope)
    audience: Audience = field(default_factory=Audience)
    valid_from: date | None = None
    valid_to: date | None = None
    pooled: bool = False
    stackable: bool = False
    priority: int = 0
    cumulative: bool = False
    recursive: bool = False
    active: bool = True

    def slab_is_recursive(self, slab: Slab) -> bool:
        return self.recursive if slab.recursive is None else slab.recursive

    def is_valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to


# --------------------------------------------------------------------------- reading

# A bad value is quoted in its error, cut short: a YAML file of nested aliases (a "billion
# laughs") is small to read but would take gigabytes to print whole.
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxdict = 5
_REPR.maxlevel = 2
_shown = _REPR.repr


def scheme_from_dict(data: Mapping[str, Any]) -> Scheme:
    """A validated Scheme, or InvalidInput naming the first bad field by its path."""
    if not isinstance(data, Mapping):
        raise InvalidInput("scheme: must be an object")
    _refuse_unknown(data, SCHEME_FIELDS | NOTE_FIELDS, "")
    scheme_id = _text(data, "id", "id", required=True)
    assert scheme_id is not None
    name = _text(data, "name", "name") or scheme_id
    kind_raw = data.get("kind")
    if kind_raw not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)} (got {_shown(kind_raw)})")
    kind = cast(SchemeKind, kind_raw)
    scope = _scope(data.get("scope"))
    audience = _audience(data.get("audience"))
    valid_from, valid_to = _valid(data.get("valid"))
    pooled = _flag(data, "pooled", "pooled", default=False)
    recursive = _flag(data, "recursive", "recursive", default=False)
    slabs = _slabs(data.get("slabs"), kind, recursive)
    several_skus = bool(scope.brands or scope.categories) or len(scope.skus) != 1
    if kind == "free_goods" and pooled and several_skus:
        # A pool over several SKUs has no single "same SKU" to give away.
        for i, slab in enumerate(slabs):
            if slab.free_sku is None:
                raise InvalidInput(
                    f"slabs[{i}].free_sku: required for a pooled free_goods scheme "
                    "over several SKUs"
                )
    priority = data.get("priority", 0)
    if priority is None:
        priority = 0
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidInput(f"priority: must be a whole number (got {_shown(priority)})")
    return Scheme(
        id=scheme_id,
        name=name,
        kind=kind,
        slabs=slabs,
        scope=scope,
        audience=audience,
        valid_from=valid_from,
        valid_to=valid_to,
        pooled=pooled,
        stackable=_flag(data, "stackable", "stackable", default=False),
        priority=priority,
        cumulative=_flag(data, "cumulative", "cumulative", default=False),
        recursive=recursive,
        active=_flag(data, "active", "active", default=True),
    )


def _refuse_unknown(data: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidInput(f"{path}{key}: unknown field")


def _text(data: Mapping[str, Any], key: str, path: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"{path}: required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{path}: must be a non-empty string (got {_shown(value)})")
    return value.strip()


def _flag(data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInput(f"{path}: must be true or false (got {_shown(value)})")
    return value


def _names(data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput(f"{path}: must be a list of strings")
    names: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput(f"{path}[{i}]: must be a non-empty string (got {_shown(item)})")
        if item.strip() not in names:
            names.append(item.strip())
    return tuple(names)


def _section(value: Any, path: str, keys: frozenset[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{path}: must be an object")
    _refuse_unknown(value, keys, f"{path}.")
    return value


def _scope(value: Any) -> Scope:
    data = _section(value, "scope", frozenset({"skus", "brands", "categories"}))
    return Scope(
        skus=_names(data, "skus", "scope.skus"),
        brands=_names(data, "brands", "scope.brands"),
        categories=_names(data, "categories", "scope.categories"),
    )


def _audience(value: Any) -> Audience:
    data = _section(value, "audience", frozenset({"roles", "regions", "parties"}))
    return Audience(
        roles=_names(data, "roles", "audience.roles"),
        regions=_names(data, "regions", "audience.regions"),
        parties=_names(data, "parties", "audience.parties"),
    )


def _date(value: Any, path: str) -> date | None:
    if value is None:
        return None
    # YAML turns 2026-11-01 into a date already; a datetime is a date subclass we refuse.
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"{path}: must be an ISO date like 2026-11-30 (got {_shown(value)})")


def _valid(value: Any) -> tuple[date | None, date | None]:
    data = _section(value, "valid", frozenset({"from", "to"}))
    start = _date(data.get("from"), "valid.from")
    end = _date(data.get("to"), "valid.to")
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"valid: from {start.isoformat()} is after to {end.isoformat()}")
    return start, end


def _number(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidInput(f"{path}: must be a number (got {_shown(value)})")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{path}: must be a finite number")
    try:
        # str() keeps 12.2 as 12.2, not its binary expansion.
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise InvalidInput(f"{path}: must be a number (got {_shown(value)})") from None
    if not number.is_finite():
        raise InvalidInput(f"{path}: must be a finite number")
    if number < 0:
        raise InvalidInput(f"{path}: must not be negative (got {_shown(value)})")
    return number


def _optional_number(data: Mapping[str, Any], key: str, path: str) -> Decimal | None:
    value = data.get(key)
    return None if value is None else _number(value, f"{path}.{key}")


def _unit_name(data: Mapping[str, Any], key: str, path: str) -> str | None:
    name = _text(data, key, f"{path}.{key}")
    # Catalog unit names are lower case (catalog_file lowers them); match that.
    return None if name is None else name.lower()


def _slabs(value: Any, kind: str, recursive_default: bool) -> tuple[Slab, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise InvalidInput("slabs: must be a non-empty list")
    slabs = tuple(
        _slab(item, f"slabs[{i}]", kind, recursive_default) for i, item in enumerate(value)
    )
    _check_ascending(slabs)
    return slabs


def _slab(data: Any, path: str, kind: str, recursive_default: bool) -> Slab:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{path}: must be an object")
    for key in data:
        if key in THRESHOLD_FIELDS or key in BENEFIT_FIELDS[kind] or key in NOTE_FIELDS:
            continue
        if key in ALL_BENEFIT_FIELDS:
            raise InvalidInput(f"{path}.{key}: not allowed on a {kind} scheme")
        raise InvalidInput(f"{path}.{key}: unknown field")

    min_qty = _optional_number(data, "min_qty", path)
    min_value = _optional_number(data, "min_value", path)
    unit = _unit_name(data, "unit", path)
    if min_qty is None and min_value is None:
        raise InvalidInput(f"{path}: needs min_qty or min_value")
    if min_qty is not None and min_value is not None:
        raise InvalidInput(f"{path}: give min_qty or min_value, not both")
    if min_value is not None and unit is not None:
        raise InvalidInput(f"{path}.unit: only goes with min_qty")

    slab = Slab(
        min_qty=min_qty,
        unit=unit,
        min_value=min_value,
        percent=_optional_number(data, "percent", path),
        amount_off=_optional_number(data, "amount_off", path),
        price=_optional_number(data, "price", path),
        free_qty=_optional_number(data, "free_qty", path),
        free_sku=_text(data, "free_sku", f"{path}.free_sku"),
        free_unit=_unit_name(data, "free_unit", path),
        recursive=None
        if data.get("recursive") is None
        else _flag(data, "recursive", f"{path}.recursive", default=False),
    )
    _check_benefit(slab, path, kind)
    recursive = recursive_default if slab.recursive is None else slab.recursive
    if kind == "free_goods" and recursive and slab.minimum == 0:
        raise InvalidInput(f"{path}: a recursive slab needs a minimum above 0")
    return slab


def _check_benefit(slab: Slab, path: str, kind: str) -> None:
    if kind == "discount":
        if (slab.percent is None) == (slab.amount_off is None):
            raise InvalidInput(f"{path}: a discount slab needs percent or amount_off, not both")
        if slab.percent is not None and not 0 <= slab.percent <= 100:
            raise InvalidInput(f"{path}.percent: must be between 0 and 100")
    elif kind == "free_goods":
        if slab.free_qty is None:
            raise InvalidInput(f"{path}.free_qty: required on a free_goods slab")
        if slab.free_qty == 0:
            raise InvalidInput(f"{path}.free_qty: must be above 0")
    elif slab.price is None:
        raise InvalidInput(f"{path}.price: required on a fixed_price slab")


def _check_ascending(slabs: tuple[Slab, ...]) -> None:
    # Only thresholds on the same footing can be compared: "5 box" and "2 case" depend on the
    # product's pack sizes, which this module does not know.
    for i in range(1, len(slabs)):
        prev, cur = slabs[i - 1], slabs[i]
        same_footing = (prev.min_value is None) == (cur.min_value is None) and prev.unit == cur.unit
        if same_footing and cur.minimum <= prev.minimum:
            field_name = "min_value" if cur.min_value is not None else "min_qty"
            raise InvalidInput(
                f"slabs[{i}].{field_name}: slabs must be in ascending order "
                f"({_plain(cur.minimum)} is not above {_plain(prev.minimum)})"
            )


# --------------------------------------------------------------------------- storing


def scheme_storage_problems(scheme: Scheme) -> list[tuple[str, str]]:
    """(field path, reason) for each value the tables cannot hold (field_limits); [] if none.

    Texts kept in the JSON body have no length limit, but a NUL is refused there too: it would
    be stored, and then match nothing.
    """
    texts: list[tuple[str, str | None, int | None]] = [
        ("id", scheme.id, ID_LENGTH), ("name", scheme.name, SCHEME_NAME_LENGTH)]
    lists = {"scope.skus": scheme.scope.skus, "scope.brands": scheme.scope.brands,
             "scope.categories": scheme.scope.categories, "audience.roles": scheme.audience.roles,
             "audience.regions": scheme.audience.regions,
             "audience.parties": scheme.audience.parties}
    for path, values in lists.items():
        texts.extend((f"{path}[{i}]", value, None) for i, value in enumerate(values))
    for i, slab in enumerate(scheme.slabs):
        texts += [(f"slabs[{i}].unit", slab.unit, None),
                  (f"slabs[{i}].free_sku", slab.free_sku, None),
                  (f"slabs[{i}].free_unit", slab.free_unit, None)]
    problems = [(path, reason) for path, value, limit in texts
                if value is not None and (reason := text_problem(value, limit)) is not None]
    if "/" in scheme.id:
        # The console addresses a scheme as /api/schemes/{id}: one with a slash is unreachable.
        problems.append(("id", "must not contain '/'"))
    for i, slab in enumerate(scheme.slabs):
        for key, column in SLAB_NUMBERS.items():
            number: Decimal | None = getattr(slab, key)
            if number is None:
                continue
            reason = column.size_problem(number)
            if reason is None and key in EXACT_PLACES:
                # A threshold of 1e-30 made a recursive slab apply 10^30 times.
                reason = column.places_problem(number)
            if reason is not None:
                problems.append((f"slabs[{i}].{key}", reason))
    return problems


# --------------------------------------------------------------------------- writing


def _plain(number: Decimal) -> int | float:
    """A JSON number as the input had it: 5 stays 5, 12.2 stays 12.2, 5.0 stays 5.0."""
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(number)
    return float(number)


def scheme_to_dict(scheme: Scheme) -> dict[str, Any]:
    """JSON-ready; scheme_from_dict(scheme_to_dict(s)) == s."""
    data: dict[str, Any] = {
        "id": scheme.id,
        "name": scheme.name,
        "kind": scheme.kind,
        "scope": {
            "skus": list(scheme.scope.skus),
            "brands": list(scheme.scope.brands),
            "categories": list(scheme.scope.categories),
        },
        "audience": {
            "roles": list(scheme.audience.roles),
            "regions": list(scheme.audience.regions),
            "parties": list(scheme.audience.parties),
        },
        "valid": {
            "from": scheme.valid_from.isoformat() if scheme.valid_from else None,
            "to": scheme.valid_to.isoformat() if scheme.valid_to else None,
        },
        "pooled": scheme.pooled,
        "slabs": [_slab_to_dict(slab) for slab in scheme.slabs],
        "stackable": scheme.stackable,
        "priority": scheme.priority,
    }
    # Optional flags are written only when they differ from the default, like the spec's files.
    if scheme.cumulative:
        data["cumulative"] = True
    if scheme.recursive:
        data["recursive"] = True
    if not scheme.active:
        data["active"] = False
    return data


def _slab_to_dict(slab: Slab) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("min_qty", "unit", "min_value", "percent", "amount_off", "price", "free_sku",
                "free_qty", "free_unit", "recursive"):
        value = getattr(slab, key)
        if value is None:
            continue
        data[key] = _plain(value) if isinstance(value, Decimal) else value
    return data
