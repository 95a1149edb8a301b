"""Period schemes (QPS): a party's delivered quantity or value over the scheme's window,
shown as progress while it runs and settled once as a credit note after it ends."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from domain.commands import RecordNote
from domain.errors import InvalidInput, NotFound
from domain.model.catalog import Product
from domain.model.money import format_rupees, round_money
from domain.model.order import Order, OrderStatus
from domain.model.party import Party
from domain.model.scheme import Scheme
from domain.pricing import Buyer, cumulative_progress
from domain.pricing.scheme_index import IndexedScheme, in_scope
from domain.services.ledger import MAX_AMOUNT, SETTLEMENT_CLIENT_ID, record_note
from domain.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

DELIVERED = (OrderStatus.DISPATCHED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class Delivered:
    base_qty: dict[str, int]
    value: Decimal


def delivered_in_window(orders: Iterable[Order], scheme: Scheme,
                        catalog: Mapping[str, Product]) -> Delivered:
    qty: Counter[str] = Counter()
    value = Decimal("0")
    for order in orders:
        if order.status not in DELIVERED or order.kind != "secondary":
            continue
        day = order.created_at.date()
        if (scheme.valid_from and day < scheme.valid_from) or (
                scheme.valid_to and day > scheme.valid_to):
            continue
        for line in order.lines:
            product = catalog.get(line.sku)
            if line.free or product is None or not in_scope(scheme, product):
                continue
            qty[line.sku] += line.qty_base
            value += line.gross
    return Delivered(dict(qty), value)


def settlement_amount(scheme: Scheme, got: Delivered, catalog: Mapping[str, Product]
                      ) -> Decimal:
    """The money the party earned: the reached slab's benefit on everything delivered."""
    reached, _ = cumulative_progress(scheme, got.base_qty, got.value, catalog)
    if reached is None:
        return Decimal("0.00")
    slab = scheme.slabs[reached]
    units = sum(got.base_qty.values())
    if slab.percent is not None:
        return round_money(got.value * slab.percent / 100)
    if slab.amount_off is not None:
        # As on an invoice, money off stops at what the goods were worth.
        return round_money(min(slab.amount_off * units, got.value))
    if slab.price is not None:
        return round_money(sum((max(catalog[s].price - slab.price, Decimal(0)) * q
                                for s, q in got.base_qty.items() if s in catalog),
                               Decimal("0")))
    if slab.free_qty is not None:
        # Free goods earned over a period are paid as their value: the goods left long ago.
        times = 1
        if scheme.slab_is_recursive(slab):
            have = got.value if slab.min_value is not None else _have_in_unit(slab.unit, got,
                                                                              catalog)
            minimum = slab.min_value if slab.min_value is not None else slab.minimum
            times = math.floor(Fraction(have) / Fraction(minimum))
        free_sku = slab.free_sku or max(got.base_qty, key=lambda s: got.base_qty[s])
        product = catalog[free_sku]
        per = product.units.get(slab.free_unit or product.base_unit, 1)
        return round_money(product.price * per * slab.free_qty * times)
    return Decimal("0.00")


def _have_in_unit(unit: str | None, got: Delivered, catalog: Mapping[str, Product]) -> Fraction:
    total = Fraction(0)
    for sku, qty in got.base_qty.items():
        size = catalog[sku].units.get(unit or catalog[sku].base_unit)
        if size:
            total += Fraction(qty, size)
    return total


@dataclass(frozen=True)
class Settlement:
    party_id: str
    amount: Decimal
    created: bool  # False when this party had been settled for this scheme before


def settle_scheme(factory: UnitOfWorkFactory, scheme_id: str, catalog: Mapping[str, Product],
                  today: date, now: datetime) -> list[Settlement]:
    """Credit notes for every qualifying party, once: a second run finds them and adds none."""
    with factory() as uow:
        scheme = uow.schemes.get(scheme_id)
        if scheme is None:
            raise NotFound(f"no scheme {scheme_id}")
        if not scheme.cumulative:
            raise InvalidInput(f"{scheme_id} is not a period scheme")
        if scheme.valid_to is None or today <= scheme.valid_to:
            raise InvalidInput(f"{scheme_id} runs until {scheme.valid_to}; settle it after that")
        indexed = IndexedScheme.of(scheme)
        parties = [p for p in uow.parties.list() if indexed.refusal(Buyer(
            on=scheme.valid_to, role=p.role.value, region=p.region, party_id=p.id)) in (
            None, "inactive")]
        earned, settled = [], {}
        for party in parties:
            client_id = f"{SETTLEMENT_CLIENT_ID}{scheme.id}:{party.id}"
            if (before := uow.ledger.by_client_id(client_id)) is not None:
                settled[party.id] = before  # once: whatever the orders say now
                continue
            orders, _ = uow.orders.list(party_id=party.id, limit=10_000)
            amount = settlement_amount(scheme, delivered_in_window(orders, scheme, catalog),
                                       catalog)
            if amount > 0:
                earned.append((party, amount, client_id))
    # Every note is checked before any is written: a refusal half-way would leave some
    # parties credited and the rest not.
    for party, amount, _ in earned:
        if amount > MAX_AMOUNT:  # what record_note would refuse, after the others were written
            raise InvalidInput(f"{party.id} would be credited {format_rupees(amount)}, more "
                               f"than one ledger entry takes ({format_rupees(MAX_AMOUNT)}); "
                               "nothing was settled")
    done = [Settlement(party.id, settled[party.id].credit, False) for party in parties
            if party.id in settled]
    for party, amount, client_id in earned:
        posted = record_note(RecordNote(
            client_id=client_id, party_id=party.id, kind="credit_note", amount=amount,
            on=scheme.valid_to + timedelta(days=1) if scheme.valid_to else today,
            ref=f"QPS-{scheme.id}"[:64], narration=f"{scheme.name}: period scheme settled"),
            factory(), now)
        done.append(Settlement(party.id, posted.entry.credit, posted.created))
    return done


def progress_lines(uow: UnitOfWork, schemes: Iterable[Scheme], party: Party,
                   catalog: Mapping[str, Product], skus: set[str], today: date) -> list[str]:
    """'34 of 50 cases so far' for each live period scheme touching the draft's SKUs."""
    buyer = Buyer(on=today, role=party.role.value, region=party.region, party_id=party.id)
    live = [s for s in schemes if s.cumulative and IndexedScheme.of(s).refusal(buyer) is None
            and any(sku in catalog and in_scope(s, catalog[sku]) for sku in skus)]
    if not live:
        return []
    orders, _ = uow.orders.list(party_id=party.id, limit=2_000)
    lines = []
    for scheme in live:
        got = delivered_in_window(orders, scheme, catalog)
        _, text = cumulative_progress(scheme, got.base_qty, got.value, catalog)
        until = f" (till {scheme.valid_to:%d %b})" if scheme.valid_to else ""
        lines.append(f"{scheme.name}: {text.split(': ', 1)[-1]}{until}")
    return lines
