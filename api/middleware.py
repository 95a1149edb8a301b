"""Edge middleware: a request id on every request and log line, and security headers.

Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the app
in a task of its own and streams the response through memory channels, which cost every
webhook more CPU than this whole layer does.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
HSTS = (b"strict-transport-security", b"max-age=31536000")
_SECURITY = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_CSP = (b"content-security-policy", CSP.encode())


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if REQUEST_ID.match(given) else uuid.uuid4().hex
    return uuid.uuid4().hex


def _edge_headers(path: str, https: bool) -> list[tuple[bytes, bytes]]:
    extra = list(_SECURITY)
    if not path.startswith(NO_CSP):
        extra.append(_CSP)
    if https:
        extra.append(HSTS)
    return extra


def _has_nul(scope: Scope) -> bool:
    """A NUL in the path or query: no id or filter holds one, and PostgreSQL refuses it in any
    text parameter with a driver error, so it is turned away here for every route at once."""
    return "\x00" in scope["path"] or b"%00" in scope["query_string"] or (
        b"\x00" in scope["query_string"])


NUL_REFUSED = b'{"detail":"the URL must not contain a NUL character"}'
FAILED = b'{"detail":"internal error; it is logged under this response\'s X-Request-ID"}'


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        path: str = scope["path"]
        status = 0
        app = self.app if not _has_nul(scope) else _refuse_nul

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", rid.encode()))
                # setdefault: a route that sets its own header keeps it.
                headers += [(name, value) for name, value in
                            _edge_headers(path, scope.get("scheme") == "https")
                            if name not in present]
                message["headers"] = headers
            await send(message)

        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            await app(scope, receive, send_with_headers)
        except Exception:
            # Logged here, with the request id, and answered here with the edge's headers:
            # Starlette's outer error handler would send a bare 500 after this layer.
            log.exception("request failed", extra=log_fields(
                method=scope["method"], path=path, status=500,
                ms=round((time.perf_counter() - started) * 1000, 1)))
            if status == 0:
                await send_with_headers({"type": "http.response.start", "status": 500,
                                         "headers": [(b"content-type", b"application/json"),
                                                     (b"content-length",
                                                      str(len(FAILED)).encode())]})
                await send_with_headers({"type": "http.response.body", "body": FAILED})
            raise
        else:
            log.info("request", extra=log_fields(
                method=scope["method"], path=path, status=status,
                ms=round((time.perf_counter() - started) * 1000, 1)))
        finally:
            request_id.reset(token)


async def _refuse_nul(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(NUL_REFUSED)).encode())]})
    await send({"type": "http.response.body", "body": NUL_REFUSED})


def install(app: FastAPI) -> None:
    app.add_middleware(EdgeMiddleware)
