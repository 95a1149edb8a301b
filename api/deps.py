"""Dependencies: the wired services and the console's bearer-token check."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Services
from domain.services.console_tokens import role_for


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain def dependency in a worker thread, a hop every request paid.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

bearer = HTTPBearer(auto_error=False,
                    description="ADMIN_API_TOKEN, or a token from `dms tokens create --role R`")


def console_role(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The caller's role: admin, manager or read-only; 401 without a valid token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    token = credentials.credentials
    bootstrap_token = services.settings.ADMIN_API_TOKEN
    if bootstrap_token and hmac.compare_digest(token.encode(), bootstrap_token.encode()):
        return "admin"
    role = role_for(services.uow(), token)
    if role is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked token",
                            headers={"WWW-Authenticate": "Bearer"})
    return role


def roles(*allowed: str) -> Callable[[str], Awaitable[str]]:
    async def check(role: Annotated[str, Depends(console_role)]) -> str:
        if role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {role} role may not do this")
        return role

    return check


ReaderDep = Annotated[str, Depends(roles("admin", "manager", "read-only"))]
ManagerDep = Annotated[str, Depends(roles("admin", "manager"))]
AdminDep = Annotated[str, Depends(roles("admin"))]
