"""The FastAPI app factory: lifespan, routers, and the edge mapping of errors to HTTP."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError

from api import middleware
from api.bootstrap import Services, bootstrap
from api.openapi_refusals import document_refusals
from api.routes import health, metrics, webchat, webhooks
from api.routes import telegram as telegram_routes
from api.routes import whatsapp_cloud as whatsapp_cloud_routes
from api.routes.admin import ledger, orders, schemes, stock
from api.settings import Settings
from api.validation_errors import validation_failed
from bot.locks import SenderBusy
from bot.observability import configure_logging, register_secret
from domain.errors import Conflict, DomainError, Forbidden, NotFound

log = logging.getLogger("dms.app")

# Far above any webhook, chat message or console body (a scheme, a simulation), and read before
# any token is checked: a bigger body is refused with 413 as it arrives.
MAX_BODY_BYTES = 1_000_000


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if os.environ.get("DMS_CONFIGURE_LOGGING") == "1":
            configure_logging(json_lines=settings.log_json)
        wired = services or bootstrap(settings)
        app.state.services = wired
        await wired.start()
        log.info("channels: twilio=%s web_chat=%s redis=%s",
                 "on" if settings.twilio_enabled else "off (TWILIO_AUTH_TOKEN unset)",
                 "on" if settings.web_chat_enabled else "off",
                 "on" if settings.REDIS_URL else "off (in-process state)")
        try:
            yield
        finally:
            if services is None:
                await wired.stop()

    app = FastAPI(title="chat-dms", version="0.1.0", lifespan=lifespan,
                  description="A distribution management system that lives in chat.",
                  max_body_size=MAX_BODY_BYTES)
    for router in (health.router, metrics.router, webhooks.router, webchat.router, orders.router,
                   ledger.router, stock.router, schemes.router, whatsapp_cloud_routes.router,
                   telegram_routes.router):
        app.include_router(router)
    _error_handlers(app)
    document_refusals(app)
    middleware.install(app)
    for secret in settings.secrets():
        register_secret(secret)
    return app


def _error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_failed)

    def unavailable(reason: str) -> JSONResponse:
        # 503 + Retry-After makes Twilio and Telegram deliver the message again later.
        return JSONResponse({"detail": reason}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(SenderBusy)
    async def _busy(request: Request, exc: SenderBusy) -> JSONResponse:
        return unavailable("the previous message from this sender is still being handled")

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return unavailable("the database is unavailable")

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def _redis_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("redis unavailable: %s", type(exc).__name__)
        return unavailable("redis is unavailable")

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        code = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else (
            409 if isinstance(exc, Conflict) else 422)
        return JSONResponse({"detail": str(exc)}, status_code=code)
