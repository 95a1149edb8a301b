"""A chat YES places its order with the retailer its message opened with, not read again; the
checks on that retailer still hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.adapters.memory import MemoryPartyRepository, MemoryStore, MemoryUnitOfWork
from domain.commands import DraftLine, PlaceOrder
from domain.errors import NotFound
from domain.model.party import Party
from domain.pricing.scheme_index import SchemeIndex
from domain.services.imports import import_catalog, import_parties
from domain.services.ordering import place_order
from tests.unit.domain.test_imports import CATALOG, PARTIES


class CountingParties(MemoryPartyRepository):
    reads = 0

    def get(self, party_id: str) -> Party | None:
        CountingParties.reads += 1
        return super().get(party_id)


class CountingUnitOfWork(MemoryUnitOfWork):
    def _load(self) -> None:
        super()._load()
        self.parties = CountingParties(self._work["parties"])


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    import_catalog(MemoryUnitOfWork(store), CATALOG)
    import_parties(MemoryUnitOfWork(store), PARTIES)
    CountingParties.reads = 0
    return store


def order(draft_id: str) -> PlaceOrder:
    return PlaceOrder(party_id="R-0001", lines=(DraftLine("TU-750", Decimal(2), "case"),),
                      draft_id=draft_id, channel="whatsapp",
                      at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC))


def place(store: MemoryStore, draft_id: str, buyer: Party | None) -> str:
    products = {p.sku: p for p in store.products.values()}
    placed = place_order(order(draft_id), CountingUnitOfWork(store), products, SchemeIndex([]),
                         buyer=buyer)
    assert placed.order.number is not None
    return placed.order.number


def test_a_known_buyer_is_not_read_again(store: MemoryStore) -> None:
    place(store, "d-1", store.parties["R-0001"])
    assert CountingParties.reads == 0
    place(store, "d-2", None)  # the console's way: read in the transaction
    assert CountingParties.reads == 1
    place(store, "d-3", store.parties["D-001"])  # someone else: the buyer is read
    assert CountingParties.reads == 2
    assert len(store.orders) == 3


def test_a_known_buyer_that_is_inactive_orders_nothing(store: MemoryStore) -> None:
    with pytest.raises(NotFound):
        place(store, "d-1", replace(store.parties["R-0001"], active=False))
    assert store.orders == {}
