"""Chat messages in and notices out: the inbound log that makes a message idempotent, the
opening read every message starts with, and the outbox of notices to relay.

SqlOpenings lives here, beside SqlInboundLog, because it is the inbound side's first read:
it answers "handled before?" from the inbound log and only borrows the party and catalog
version columns (from parties and catalog) for the same round trip."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, insert, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.adapters.sql.catalog import CATALOG_VERSION_KEY
from domain.adapters.sql.core import META, PARTIES, run_statement, table_of
from domain.adapters.sql.parties import party_from_row
from domain.adapters.tables import InboundMessageRow, OutboxRow
from domain.errors import Conflict
from domain.model.notice import Notice
from domain.services.unit_of_work import Opening

_INBOUND = table_of(InboundMessageRow)
_REPLY_FOR = sa_select(_INBOUND.c.reply).where(_INBOUND.c.key == bindparam("b_key"))
_RECORD_INBOUND = insert(_INBOUND)


def _opening(party_matches: ColumnElement[bool]) -> Select[Any]:
    """One row whatever matches: the stored reply, the catalog version and the name of the
    sender's distributor (what a placed order's reply names) as scalar subqueries, beside the
    sender's party columns (all NULL when no one has that phone)."""
    anchor = sa_select(literal(1).label("one")).subquery("anchor")
    version = sa_select(META.c.value).where(META.c.key == CATALOG_VERSION_KEY)
    supplier = PARTIES.alias("supplier")
    supplier_name = sa_select(supplier.c.name).where(supplier.c.id == PARTIES.c.distributor_id)
    return (sa_select(_REPLY_FOR.scalar_subquery().label("stored_reply"),
                      version.scalar_subquery().label("stored_catalog_version"),
                      supplier_name.scalar_subquery().label("supplier_name"), *PARTIES.c)
            .select_from(anchor.outerjoin(PARTIES, party_matches)).limit(1))


_OPENING_BY_PHONE = _opening(PARTIES.c.phone == bindparam("b_phone"))
_OPENING_BY_ID = _opening(PARTIES.c.id == bindparam("b_id"))
_INSERT_OUTBOX = insert(table_of(OutboxRow))


class SqlInboundLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def reply_for(self, key: str) -> str | None:
        reply = run_statement(self.session, _REPLY_FOR, {"b_key": key}).scalar()
        return str(reply) if reply is not None else None

    def record(self, key: str, party_id: str | None, reply: str) -> None:
        try:
            run_statement(self.session, _RECORD_INBOUND, {"key": key, "party_id": party_id,
                                                          "received_at": datetime.now(UTC),
                                                          "reply": reply})
        except IntegrityError as exc:
            raise Conflict(f"message {key} already handled") from exc


class SqlOpenings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, key: str, phone: str | None = None, party_id: str | None = None) -> Opening:
        if party_id is not None:
            row = run_statement(self.session, _OPENING_BY_ID,
                                {"b_key": key, "b_id": party_id}).one()
        else:
            row = run_statement(self.session, _OPENING_BY_PHONE,
                                {"b_key": key, "b_phone": phone}).one()
        version = row.stored_catalog_version
        return Opening(reply=str(row.stored_reply) if row.stored_reply is not None else None,
                       party=party_from_row(row) if row.id is not None else None,
                       catalog_version=int(version) if version is not None else 0,
                       supplier_name=row.supplier_name)


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notice: Notice) -> None:
        run_statement(self.session, _INSERT_OUTBOX, {"party_id": notice.party_id,
                                                     "body": notice.to_json(),
                                                     "created_at": datetime.now(UTC)})

    def pending(self, limit: int = 100) -> builtins.list[Notice]:
        query = (select(OutboxRow).where(col(OutboxRow.relayed_at).is_(None))
                 .order_by(col(OutboxRow.id)).limit(limit))
        return [Notice.from_json(r.party_id, r.body, r.id) for r in self.session.exec(query)]

    def claim(self, now: datetime, lease_until: datetime, limit: int = 100
              ) -> builtins.list[Notice]:
        free = (col(OutboxRow.relayed_at).is_(None)
                & (col(OutboxRow.claimed_until).is_(None)
                   | (col(OutboxRow.claimed_until) < now)))
        ids = sa_select(col(OutboxRow.id)).where(free).order_by(col(OutboxRow.id)).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            # Several relays claim at once: each takes rows the others have not locked, and a
            # row another has claimed and committed meanwhile fails `free` on its recheck.
            ids = ids.with_for_update(skip_locked=True)
        # A CTE, run once: as `id IN (subquery)` PostgreSQL may rescan the subquery, whose
        # recheck then skips the rows this statement just claimed and takes more than `limit`.
        picked = ids.cte("picked")
        rows = self.session.execute(
            update(OutboxRow).where(col(OutboxRow.id) == picked.c.id, free)
            .values(claimed_until=lease_until)
            .returning(col(OutboxRow.id), col(OutboxRow.party_id), col(OutboxRow.body)))
        return sorted((Notice.from_json(party_id, body, notice_id)
                       for notice_id, party_id, body in rows), key=lambda n: n.id or 0)

    def release(self, ids: builtins.list[int], lease_until: datetime) -> None:
        if ids:
            self.session.execute(update(OutboxRow).where(
                col(OutboxRow.id).in_(ids), col(OutboxRow.relayed_at).is_(None),
                col(OutboxRow.claimed_until) == lease_until).values(claimed_until=None))

    def mark_relayed(self, ids: builtins.list[int], at: datetime) -> None:
        if ids:
            self.session.execute(update(OutboxRow).where(col(OutboxRow.id).in_(ids))
                                 .values(relayed_at=at))
