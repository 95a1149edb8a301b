"""Which schemes a party can have today: what 'what offers are running?' answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.model.party import Party
from domain.model.scheme import Scheme
from domain.pricing import Buyer
from domain.pricing.scheme_index import IndexedScheme


def live_schemes(schemes: Iterable[Scheme], party: Party, on: date) -> list[Scheme]:
    buyer = Buyer(on=on, role=party.role.value, region=party.region, party_id=party.id)
    return [s for s in schemes if IndexedScheme.of(s).refusal(buyer) is None]
