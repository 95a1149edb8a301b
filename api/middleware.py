"""Edge middleware: a request id on every request and log line, and security headers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from bot.observability import log_fields, request_id

log = logging.getLogger("dms.http")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The web chat and the API need nothing from elsewhere; the Swagger pages load their assets
# from a CDN, so they get the headers above but not this policy.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")
NO_CSP = ("/docs", "/redoc")


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def edge(request: Request,
                   call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("X-Request-ID", "")
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
            log.info("request", extra=log_fields(
                method=request.method, path=request.url.path, status=response.status_code,
                ms=round((time.perf_counter() - started) * 1000, 1)))
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(NO_CSP):
            response.headers.setdefault("Content-Security-Policy", CSP)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
