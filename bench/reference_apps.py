"""The two reference webhooks bench/webhook_load.py measures the app against.

    .venv/bin/python bench/reference_apps.py {bare|stateful} --port 8042 [--workers 2]

* bare: parses the Twilio form and returns a fixed TwiML reply. The ceiling of FastAPI +
  uvicorn on this machine.
* stateful: the same, and also claims the MessageSid in Redis (SET NX) and inserts one row in
  PostgreSQL, on async clients: the least any webhook that remembers messages pays.

Both are served exactly as `dms serve` serves the app (api/cli.py: uvicorn.run with a factory,
the same workers, proxy headers, no access log, no uvicorn log config). The stateful one reads
BENCH_DATABASE_URL (a plain postgresql:// URL) and BENCH_REDIS_URL; its table is created by
the bench before the servers start (two workers racing to create it would be a test of DDL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, got it.</Message>'
         "</Response>")
XML = "application/xml"
POOL_SIZE = 10  # as the app's SQLAlchemy pool (domain.adapters.database.make_engine)
TABLE_DDL = ("CREATE TABLE IF NOT EXISTS bench_inbound (key varchar(200) PRIMARY KEY, "
             "sender varchar(40) NOT NULL, body text NOT NULL, "
             "received_at timestamptz NOT NULL DEFAULT now())")
CLAIM_TTL_SECONDS = 3600


def _health(app: FastAPI) -> None:
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


def create_bare() -> FastAPI:
    app = FastAPI(title="bench-bare")
    _health(app)

    @app.post("/webhooks/twilio")
    async def twilio(request: Request) -> Response:
        form = await request.form()
        if not form.get("MessageSid"):
            return Response("missing MessageSid", status_code=400)
        return Response(TWIML, media_type=XML)

    return app


def create_stateful() -> FastAPI:
    import psycopg
    from redis.asyncio import Redis

    database_url = os.environ["BENCH_DATABASE_URL"]
    redis_url = os.environ["BENCH_REDIS_URL"]
    pool: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] = asyncio.Queue()
    redis: Redis = Redis.from_url(redis_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for _ in range(POOL_SIZE):
            pool.put_nowait(await psycopg.AsyncConnection.connect(database_url, autocommit=True))
        try:
            yield
        finally:
            while not pool.empty():
                await pool.get_nowait().close()
            await redis.aclose()

    app = FastAPI(title="bench-stateful", lifespan=lifespan)
    _health(app)

    @app.post("/webhooks/twilio")
    async def twilio(request: Request) -> Response:
        form = await request.form()
        sid, sender, body = (str(form.get(k) or "") for k in ("MessageSid", "From", "Body"))
        if not sid:
            return Response("missing MessageSid", status_code=400)
        if await redis.set(f"bench:claim:{sid}", "1", nx=True, ex=CLAIM_TTL_SECONDS):
            conn = await pool.get()
            try:
                await conn.execute(
                    "INSERT INTO bench_inbound (key, sender, body) VALUES (%s, %s, %s) "
                    "ON CONFLICT (key) DO NOTHING", (sid, sender[:40], body))
            finally:
                pool.put_nowait(conn)
        return Response(TWIML, media_type=XML)

    return app


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("kind", choices=("bare", "stateful"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    uvicorn.run(f"reference_apps:create_{args.kind}", factory=True, host=args.host,
                port=args.port, workers=args.workers, proxy_headers=True, log_config=None,
                access_log=False, app_dir=os.path.dirname(os.path.abspath(__file__)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
