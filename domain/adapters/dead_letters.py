"""Outbound messages that could not be delivered, kept for an operator to see and resend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.adapters.tables import DeadLetterRow


class SqlDeadLetters:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, key: str, channel: str, payload: dict[str, Any], reason: str) -> None:
        with Session(self.engine) as session:
            session.add(DeadLetterRow(key=key, channel=channel, payload=payload,
                                      reason=reason[:500], created_at=datetime.now(UTC)))
            session.commit()

    def recent(self, limit: int = 100) -> list[DeadLetterRow]:
        with Session(self.engine) as session:
            query = select(DeadLetterRow).order_by(col(DeadLetterRow.id).desc()).limit(limit)
            return list(session.exec(query).all())
