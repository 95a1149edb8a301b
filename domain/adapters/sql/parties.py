"""The parties (distributors, retailers, salesmen, managers) and the console's API tokens."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from domain.adapters.sql.core import PARTIES, apply_fields, run_statement
from domain.adapters.tables import ApiTokenRow, PartyRow
from domain.model.party import Party, Role

_PARTY_BY_ID = sa_select(PARTIES).where(PARTIES.c.id == bindparam("b_id"))
_PARTY_BY_PHONE = sa_select(PARTIES).where(PARTIES.c.phone == bindparam("b_phone"))
_PARTIES_BY_ID = sa_select(PARTIES).where(PARTIES.c.id.in_(bindparam("b_ids", expanding=True)))


def party_from_row(row: PartyRow | Any) -> Party:  # an ORM row, or a Core row with its columns
    return Party(
        id=row.id, role=Role(row.role), name=row.name, phone=row.phone,
        telegram_user_id=row.telegram_user_id, distributor_id=row.distributor_id,
        routes=tuple(row.routes), region=row.region, lat=row.lat, lon=row.lon,
        outlet_class=row.outlet_class, channel=row.channel,
        credit_limit=Decimal(row.credit_limit) if row.credit_limit is not None else None,
        active=row.active,
    )


def _party_fields(p: Party) -> dict[str, object]:
    return {
        "role": p.role.value, "name": p.name, "phone": p.phone,
        "telegram_user_id": p.telegram_user_id, "distributor_id": p.distributor_id,
        "routes": list(p.routes), "region": p.region, "lat": p.lat, "lon": p.lon,
        "outlet_class": p.outlet_class, "channel": p.channel, "credit_limit": p.credit_limit,
        "active": p.active,
    }


class SqlPartyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, party_id: str) -> Party | None:
        row = run_statement(self.session, _PARTY_BY_ID, {"b_id": party_id}).first()
        return party_from_row(row) if row else None

    def get_many(self, party_ids: Collection[str]) -> dict[str, Party]:
        if not party_ids:
            return {}
        rows = run_statement(self.session, _PARTIES_BY_ID, {"b_ids": sorted(set(party_ids))})
        return {row.id: party_from_row(row) for row in rows}

    def by_phone(self, phone: str) -> Party | None:
        row = run_statement(self.session, _PARTY_BY_PHONE, {"b_phone": phone}).first()
        return party_from_row(row) if row else None

    def by_telegram_user(self, user_id: int) -> Party | None:
        row = self.session.exec(
            select(PartyRow).where(PartyRow.telegram_user_id == user_id)).first()
        return party_from_row(row) if row else None

    def bind_telegram(self, party_id: str, user_id: int) -> None:
        for other in self.session.exec(
                select(PartyRow).where(PartyRow.telegram_user_id == user_id)).all():
            other.telegram_user_id = None
        self.session.flush()
        row = self.session.get(PartyRow, party_id)
        if row is not None:
            row.telegram_user_id = user_id

    def list(self, role: Role | None = None) -> list[Party]:
        query = select(PartyRow).order_by(col(PartyRow.id))
        if role is not None:
            query = query.where(PartyRow.role == role.value)
        return [party_from_row(r) for r in self.session.exec(query).all()]

    def upsert(self, party: Party) -> bool:
        row = self.session.get(PartyRow, party.id)
        if row is None:
            self.session.add(PartyRow.model_validate({"id": party.id, **_party_fields(party)}))
            return True
        return apply_fields(row, _party_fields(party))


class SqlTokenStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, role: str, token_hash: str) -> int:
        row = ApiTokenRow(role=role, token_hash=token_hash, created_at=datetime.now(UTC))
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def role_for(self, token_hash: str) -> str | None:
        row = self.session.exec(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash,
                                      col(ApiTokenRow.revoked_at).is_(None))
        ).first()
        return row.role if row else None

    def revoke(self, token_id: int) -> bool:
        row = self.session.get(ApiTokenRow, token_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = datetime.now(UTC)
        return True
