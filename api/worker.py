"""`dms worker`: delivers the outbound queue (arq on Redis) and runs the daily stock alerts.

Several workers may run side by side: arq hands each job to one of them, and a job's id is
its message key, so nothing is sent twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker
from redis import Redis

from api.bootstrap import REDIS_TIMEOUTS
from api.channels_setup import build_channels
from api.settings import Settings
from bot.channels.webchat import WebChatMailbox
from bot.job_queue import MAX_TRIES, deliver_job
from bot.outbound import Outbound
from domain.adapters.database import make_engine
from domain.adapters.dead_letters import SqlDeadLetters
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.model.party import Role
from domain.services.stock_alerts import run_stock_alerts
from domain.services.unit_of_work import UnitOfWork

log = logging.getLogger("dms.worker")


async def startup(ctx: dict[str, Any]) -> None:
    settings = Settings()
    engine = make_engine(settings.DATABASE_URL, pool_size=2)
    redis = Redis.from_url(settings.REDIS_URL, **REDIS_TIMEOUTS) if settings.REDIS_URL else None
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    channels = build_channels(settings, uow_factory, http, redis=redis)
    if settings.web_chat_enabled:
        channels.senders["webchat"] = WebChatMailbox(redis)
    for hook in channels.startups:
        await hook()
    dead_letters = SqlDeadLetters(engine)

    def bury(out: Outbound, reason: str) -> None:
        dead_letters.record(out.key, out.channel, out.to_json(), reason)

    ctx.update(settings=settings, engine=engine, http=http, channels=channels,
               senders=channels.senders, dead_letters=bury, uow_factory=uow_factory)
    log.info("worker ready: channels %s", sorted(channels.senders))


async def shutdown(ctx: dict[str, Any]) -> None:
    for hook in ctx["channels"].shutdowns:
        await hook()
    await ctx["http"].aclose()
    ctx["engine"].dispose()


def stock_alerts_for_all(uow_factory: Any, settings: Settings, now: datetime) -> int:
    with uow_factory() as uow:
        catalog = {p.sku: p for p in uow.products.list()}
        distributors = [p.id for p in uow.parties.list(Role.DISTRIBUTOR)]
    return sum(len(run_stock_alerts(uow_factory(), catalog, d, now,
                                    settings.STOCK_ALERT_COVER_DAYS)) for d in distributors)


async def daily_stock_alerts(ctx: dict[str, Any]) -> int:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(stock_alerts_for_all, ctx["uow_factory"], ctx["settings"],
                                   datetime.now(UTC))


def worker_settings(settings: Settings) -> dict[str, Any]:
    assert settings.REDIS_URL
    return {
        "functions": [func(deliver_job, name="deliver_outbound", max_tries=MAX_TRIES)],
        "cron_jobs": [cron(daily_stock_alerts, hour={7}, minute={0}, unique=True)],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.REDIS_URL),
        "max_tries": MAX_TRIES,
        "keep_result": 24 * 3600,  # keeps the job id, so a repeat within a day is dropped
    }


def run_worker(settings: Settings) -> int:
    if not settings.REDIS_URL:
        log.error("dms worker needs REDIS_URL; without it the app delivers in-process")
        return 2
    Worker(**worker_settings(settings)).run()
    return 0
