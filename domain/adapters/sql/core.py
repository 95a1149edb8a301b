"""What the SQL repositories share: table handles, running a prebuilt Core statement in the
unit of work's transaction, and writing changed fields onto a row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

from domain.adapters.tables import MetaRow, PartyRow


def table_of(model: type[SQLModel]) -> Table:
    return model.metadata.tables[str(model.__tablename__)]


# What every chat message runs (dedup, identity, catalog version, history, the inbound record)
# and what a confirmed order adds, as Core statements built once. Building and hashing an ORM
# statement per call, then loading ORM objects, cost more than the round trip itself: about
# twice the CPU of these. Results become the same plain dataclasses as elsewhere.
# Each module builds its own statements beside the repository that runs them; the handles of
# tables more than one module reads are here.
PARTIES, META = table_of(PartyRow), table_of(MetaRow)


def run_statement(session: Session, statement: Executable, params: dict[str, Any]
                  ) -> CursorResult[*tuple[Any, ...]]:
    """A Core statement in the unit of work's transaction. Unlike an ORM query it does not
    autoflush, so flush first (a no-op when nothing is pending): it sees this unit's writes."""
    session.flush()
    # On the session's connection, past the ORM's execute: these statements map no entities.
    return session.connection().execute(statement, params)


def insert_if_absent(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT .. ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike): True if inserted.
    Check-then-insert raced another worker into a unique violation, which also spoils the
    session's transaction."""
    session.flush()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: psycopg reports -1 for an insert that did nothing.
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.connection().execute(statement).first() is not None


def apply_fields(row: object, fields: dict[str, object]) -> bool:
    changed = False
    for name, value in fields.items():
        current = getattr(row, name)
        if isinstance(value, Decimal) and current is not None:
            same = Decimal(current) == value
        else:
            same = current == value
        if not same:
            setattr(row, name, value)
            changed = True
    return changed
