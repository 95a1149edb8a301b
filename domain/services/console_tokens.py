"""Console tokens by role. The token is random and shown once; only its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import secrets

from domain.errors import InvalidInput, NotFound
from domain.services.unit_of_work import UnitOfWork

ROLES = ("admin", "manager", "read-only")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(uow: UnitOfWork, role: str) -> tuple[int, str]:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    token = "dms_" + secrets.token_urlsafe(32)
    with uow:
        token_id = uow.tokens.add(role, token_hash(token))
        uow.commit()
    return token_id, token


def revoke_token(uow: UnitOfWork, token_id: int) -> None:
    with uow:
        if not uow.tokens.revoke(token_id):
            raise NotFound(f"no active token {token_id}")
        uow.commit()


def role_for(uow: UnitOfWork, token: str) -> str | None:
    with uow:
        return uow.tokens.role_for(token_hash(token))
