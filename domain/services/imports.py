"""File imports: all-or-nothing, every bad row named, the same file twice changes nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml

from domain.errors import ImportFailed, InvalidInput, RowError
from domain.model.catalog import Product
from domain.model.party import Party, Role
from domain.model.scheme import Scheme, scheme_from_dict, scheme_storage_problems
from domain.services.catalog_file import parse_catalog_csv
from domain.services.party_file import parties_by_line
from domain.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ImportReport:
    kind: str
    rows: int
    changed: int

    def __str__(self) -> str:
        unchanged = self.rows - self.changed
        return (f"{self.kind}: {self.rows} rows, {self.changed} created or updated, "
                f"{unchanged} unchanged")


def import_catalog(uow: UnitOfWork, text: str) -> ImportReport:
    products = parse_catalog_csv(text)
    with uow:
        changed = sum(uow.products.upsert(p) for p in products)
        if changed:
            uow.meta.bump_catalog_version()
        uow.commit()
    return ImportReport("products", len(products), changed)


def import_parties(uow: UnitOfWork, text: str) -> ImportReport:
    by_line = parties_by_line(text)
    parties = [party for _, party in by_line]
    lines = {party.id: line for line, party in by_line}
    in_file = {p.id: p for p in parties}
    with uow:
        errors: list[RowError] = []
        first: dict[str, set[str]] = {p.id: set() for p in parties}  # upserted before it
        for party in parties:
            link = party.distributor_id
            target = (in_file.get(link) or uow.parties.get(link)) if link else None
            if link and (target is None or target.role != Role.DISTRIBUTOR):
                errors.append(RowError(lines[party.id], "distributor_id",
                                       f"{link!r} is not a known distributor"))
            holder = uow.parties.by_phone(party.phone)
            if holder is not None and holder.id != party.id:
                if holder.id in in_file:  # the file moves the holder to another phone
                    first[party.id].add(holder.id)
                else:
                    errors.append(RowError(lines[party.id], "phone",
                                           f"already registered to {holder.id}"))
            if link in in_file:  # the retailer's link resolves inside the transaction
                first[party.id].add(link)
            if party.telegram_user_id is not None:
                bound = uow.parties.by_telegram_user(party.telegram_user_id)
                if bound is not None and bound.id != party.id:
                    errors.append(RowError(lines[party.id], "telegram_user_id",
                                           f"already bound to {bound.id}"))
        ordered, circle = _dependencies_first(parties, first)
        errors += [RowError(lines[pid], "phone", "phones passed round in a circle (a swap): "
                            "the unique key cannot take that row by row; do it in two imports")
                   for pid in circle]
        if errors:
            raise ImportFailed(errors)
        changed = sum(uow.parties.upsert(_kept_binding(uow, p)) for p in ordered)
        uow.commit()
    return ImportReport("parties", len(parties), changed)


def _dependencies_first(parties: Sequence[Party], first: dict[str, set[str]]
                        ) -> tuple[list[Party], list[str]]:
    """The parties in an order where each comes after those in `first[its id]` (the party
    giving up the phone it takes, its distributor), else in file order; and the ids left
    in a circle, which no order serves."""
    waiting = {pid: set(deps) for pid, deps in first.items()}
    ordered: list[Party] = []
    while True:
        ready = [p for p in parties if p.id in waiting and not waiting[p.id]]
        if not ready:
            break
        for party in ready:
            del waiting[party.id]
        ordered += ready
        for deps in waiting.values():
            deps.difference_update(p.id for p in ready)
    return ordered, sorted(waiting)


def _kept_binding(uow: UnitOfWork, party: Party) -> Party:
    """A Telegram user bound by sharing their contact stays bound when a file that names no
    Telegram id is imported again; a new phone needs the new phone's owner to bind anew."""
    if party.telegram_user_id is not None:
        return party
    stored = uow.parties.get(party.id)
    if stored is None or stored.telegram_user_id is None or stored.phone != party.phone:
        return party
    return replace(party, telegram_user_id=stored.telegram_user_id)


def read_scheme_file(text: str) -> list[dict[str, Any]]:
    """A JSON list or a YAML list of schemes (a single mapping is taken as a list of one)."""
    try:
        data = json.loads(text)
    except ValueError:  # not JSON, or an integer past Python's digit limit: try YAML
        try:
            data = yaml.safe_load(text)
        # PyYAML raises ValueError for a date like 2026-02-30; deep nesting recurses too far.
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise ImportFailed([RowError(1, "file", f"neither JSON nor YAML: {exc}")]) from None
    except RecursionError:
        raise ImportFailed([RowError(1, "file", "nested too deeply")]) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ImportFailed([RowError(1, "file", "expected a list of schemes")])
    return data


def parse_schemes(items: Sequence[dict[str, Any]], catalog: dict[str, Product]) -> list[Scheme]:
    """Validates each scheme and its references to the catalog; 'line' is the scheme's position."""
    schemes: list[Scheme] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        try:
            scheme = scheme_from_dict(item)
        except InvalidInput as exc:
            field, _, reason = str(exc).partition(": ")
            errors.append(RowError(number, field if reason else "scheme", reason or str(exc)))
            continue
        problems = scheme_storage_problems(scheme) + scheme_reference_errors(scheme, catalog)
        errors.extend(RowError(number, f, r) for f, r in problems)
        if scheme.id in seen:
            errors.append(RowError(number, "id", f"duplicate of scheme {seen[scheme.id]}"))
        seen[scheme.id] = number
        if not problems:
            schemes.append(scheme)
    if errors:
        raise ImportFailed(errors)
    return schemes


def scheme_reference_errors(scheme: Scheme, catalog: dict[str, Product]) -> list[tuple[str, str]]:
    problems = [
        (f"scope.skus[{i}]", f"unknown SKU {sku!r}")
        for i, sku in enumerate(scheme.scope.skus) if sku not in catalog
    ]
    for i, slab in enumerate(scheme.slabs):
        if slab.free_sku and slab.free_sku not in catalog:
            problems.append((f"slabs[{i}].free_sku", f"unknown SKU {slab.free_sku!r}"))
    return problems


def import_schemes(uow: UnitOfWork, text: str) -> ImportReport:
    items = read_scheme_file(text)
    with uow:
        catalog = {p.sku: p for p in uow.products.list()}
        schemes = parse_schemes(items, catalog)
        changed = sum(uow.schemes.upsert(s) for s in schemes)
        if changed:
            uow.meta.bump_catalog_version()
        uow.commit()
    return ImportReport("schemes", len(schemes), changed)
