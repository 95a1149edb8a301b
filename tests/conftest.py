"""Backends for the suite: every storage test runs on SQLite and on the real PostgreSQL,
every state/lock/dedup test in-process and on the real Redis.

Without the services (a laptop) their half is skipped and the run says so at the end;
with DMS_REQUIRE_SERVICES=1 (CI) an unreachable service fails the run instead.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
from redis import Redis
from sqlalchemy import text

from domain.adapters.database import make_engine, migrate

PG_SERVER_URL = os.environ.get("DMS_TEST_DATABASE_URL",
                               "postgresql://postgres@127.0.0.1:5432/test")
# Each test run works in a schema of its own, so two runs on one server never collide.
PG_SCHEMA = f"dms_test_{os.getpid()}"
PG_URL = f"{PG_SERVER_URL}?options=-csearch_path%3D{PG_SCHEMA}"
# Runs side by side (a developer and CI, or parallel sessions) get different databases.
REDIS_URL = os.environ.get("DMS_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{4 + os.getpid() % 12}")
REQUIRE_SERVICES = os.environ.get("DMS_REQUIRE_SERVICES") == "1"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

TABLES = ("sales_order_line", "sales_order", "inbound_message", "product", "party", "scheme",
          "ledger_entry", "stock_level", "stock_move", "alert_state", "dead_letter", "outbox",
          "app_meta", "api_token", "learned_alias")


@cache
def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1.0):
            return True
    except OSError:
        return False


_skipped_services: list[str] = []


def need(url: str, what: str) -> None:
    if reachable(url):
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} at {url} is unreachable and DMS_REQUIRE_SERVICES=1", pytrace=False)
    _skipped_services.append(what)
    pytest.skip(f"{what} unreachable ({url})")


@cache
def _pg_migrated() -> bool:
    engine = make_engine(PG_SERVER_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    migrate(PG_URL)
    return True


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _pg_migrated.cache_info().currsize:
        engine = make_engine(PG_SERVER_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        engine.dispose()


def _truncate_pg() -> None:
    engine = make_engine(PG_URL, pool_size=1)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def fresh_database(kind: str, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the real PostgreSQL emptied."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'dms.db'}"
        migrate(url)
        return url
    need(PG_URL, "PostgreSQL")
    _pg_migrated()
    _truncate_pg()
    return PG_URL


def fresh_redis(kind: str) -> str | None:
    """None means the in-process twins; otherwise the real Redis, flushed."""
    if kind == "memory":
        return None
    need(REDIS_URL, "Redis")
    client = Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request.param, tmp_path)


@pytest.fixture(params=["memory", "redis"])
def redis_url(request: pytest.FixtureRequest) -> str | None:
    return fresh_redis(request.param)


@pytest.fixture(params=["embedded", "services"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """The whole app's backing: SQLite + in-process, or PostgreSQL + Redis."""
    if request.param == "embedded":
        return fresh_database("sqlite", tmp_path), None
    return fresh_database("postgres", tmp_path), fresh_redis("redis")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (params.get("database_url") == "postgres" or params.get("redis_url") == "redis"
                or params.get("stack") == "services"):
            item.add_marker(pytest.mark.services)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_services:
        names = " and ".join(sorted(set(_skipped_services)))
        terminalreporter.write_line(
            f"NOTE: {len(_skipped_services)} test(s) on {names} were SKIPPED: the service "
            "was unreachable. Only the SQLite/in-process half ran. "
            "Set DMS_REQUIRE_SERVICES=1 to make this an error.", yellow=True, bold=True)
