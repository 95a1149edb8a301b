"""Wires the app once: settings -> engine, stores, parser, dialogue, inbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import httpx
from arq.connections import ArqRedis
from redis import Redis
from redis.asyncio import ConnectionPool as AsyncConnectionPool
from sqlalchemy.engine import Engine

from api.channels_setup import Channels, build_channels
from api.settings import Settings
from bot.catalog_cache import CatalogCache, ParserFactory
from bot.channels.webchat import WebChatMailbox
from bot.dedup import InMemoryReplyCache, RedisReplyCache, ReplyCache
from bot.dialogue import Dialogue
from bot.distributor_desk import DeskSettings, DistributorDesk
from bot.inbox import Inbox
from bot.job_queue import ArqQueue, InProcessQueue, OutboundQueue
from bot.locks import InProcessSenderLocks, RedisSenderLocks, SenderBusy, SenderLocks
from bot.messages import IncomingMessage, Reply
from bot.observability import ERRORS
from bot.outbound import Outbound
from bot.outbox_relay import OutboxRelay, channel_router
from bot.rate_limit import InProcessRateLimiter, RateLimiter, RedisRateLimiter
from bot.redis_fallback import (
    FallbackConversationStore,
    FallbackRateLimiter,
    FallbackReplyCache,
    FallbackSenderLocks,
    RedisOutage,
)
from bot.state import ConversationStore, InMemoryConversationStore, RedisConversationStore
from domain.adapters.database import make_engine, migrate
from domain.adapters.dead_letters import SqlDeadLetters
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.model.catalog import Product
from domain.services.unit_of_work import UnitOfWork
from nlu.aliases import AliasBook
from nlu.builtin_parser import BuiltinParser
from nlu.parser import Parser
from nlu.rasa_backend import RasaParser

# Database connections each process keeps open (and as many again opened when busy, closed on
# return). Each request in flight holds one at a time, from a thread of anyio's pool (40): with
# the default of 10, 32 concurrent webhooks opened and closed a new PostgreSQL connection, a
# server process, about every 17 checkouts.
DB_POOL_SIZE = 20
SENDER_RETRY_SECONDS = 0.05  # how often a message tries its busy sender's lock again
# A Redis that stops answering (not one that refuses) must not hold a webhook's thread for
# ever: the call fails in seconds, the fallback twins take over, the channel gets its answer.
REDIS_TIMEOUTS: dict[str, float] = {"socket_timeout": 5.0, "socket_connect_timeout": 2.0}


@dataclass
class Services:
    settings: Settings
    engine: Engine
    redis: Redis | None
    catalog: CatalogCache
    states: ConversationStore
    inbox: Inbox
    http: httpx.AsyncClient
    channels: Channels
    outbound: OutboundQueue
    dead_letters: SqlDeadLetters
    relay: OutboxRelay
    mailbox: WebChatMailbox | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _inbox_pool: ThreadPoolExecutor | None = None

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.engine)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """A chat message through the inbox, on one of INBOX_THREADS threads. A few threads do
        more than many: each message makes some twenty database and Redis round trips, and
        forty threads waking for them fight over the GIL and two CPUs (bench/webhook_load.py:
        4 threads answered ~15% more messages a second than 40, with p99 from 300 to 230 ms).
        The rest wait their turn on the event loop, which costs nothing.

        A message whose sender's previous one is still being handled waits here, on the loop,
        not in a thread: a burst from one sender must not take every thread from the others.

        The threads are a plain executor's, not anyio's: its hand-off costs about a quarter of
        the CPU (18 against 64 us a call, measured with uvloop).
        """
        if self._inbox_pool is None:
            self._inbox_pool = ThreadPoolExecutor(self.settings.INBOX_THREADS,
                                                  thread_name_prefix="inbox")
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.settings.SENDER_LOCK_WAIT_SECONDS
        admitted = False
        while True:
            try:
                return await loop.run_in_executor(
                    self._inbox_pool, partial(self.inbox.handle, msg, 0.0, admitted))
            except SenderBusy:
                if loop.time() >= give_up_at:
                    ERRORS.labels("SenderBusy").inc()
                    raise
                admitted = True  # counted by the rate limit once
                await asyncio.sleep(SENDER_RETRY_SECONDS)

    async def start(self) -> None:
        for hook in self.channels.startups:
            await hook()
        interval = self.settings.OUTBOX_RELAY_INTERVAL_SECONDS
        if interval > 0:
            self._tasks.append(asyncio.create_task(self.relay.run(interval)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Drain before the channels stop, so queued sends still have their clients.
        if isinstance(self.outbound, InProcessQueue):
            await self.outbound.drain()
        elif isinstance(self.outbound, ArqQueue):
            await self.outbound.redis.aclose()
        for hook in self.channels.shutdowns:
            await hook()
        await self.http.aclose()
        self.close()

    def close(self) -> None:
        if self._inbox_pool is not None:
            self._inbox_pool.shutdown(wait=True)  # no message is cut off mid-way
            self._inbox_pool = None
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def builtin_parser(products: Sequence[Product], aliases: AliasBook | None = None) -> Parser:
    return BuiltinParser(products, aliases)


def parser_factory(settings: Settings) -> ParserFactory:
    """NLU_BACKEND: the built-in rules, or Rasa (with the built-in rules when it is down)."""
    rasa_url = settings.RASA_URL
    if settings.NLU_BACKEND != "rasa" or not rasa_url:
        return builtin_parser
    # one pooled client for the process; the dialogue parses in its worker threads
    http = httpx.Client()

    def rasa_parser(products: Sequence[Product], aliases: AliasBook | None = None) -> Parser:
        return RasaParser(products, http, rasa_url, BuiltinParser(products, aliases), aliases)

    return rasa_parser


def bootstrap(
    settings: Settings,
    *,
    run_migrations: bool = True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Services:
    if run_migrations:
        migrate(settings.DATABASE_URL)
    engine = make_engine(settings.DATABASE_URL, pool_size=DB_POOL_SIZE)
    redis = Redis.from_url(settings.REDIS_URL, **REDIS_TIMEOUTS) if settings.REDIS_URL else None
    states: ConversationStore
    reply_cache: ReplyCache
    locks: SenderLocks
    limiter: RateLimiter
    if redis is not None:
        # Redis first; while it is unreachable, each process's in-process twins (the bot keeps
        # answering, and the inbound log's key keeps each message to one).
        outage = RedisOutage()
        states = FallbackConversationStore(
            RedisConversationStore(redis, settings.CONVERSATION_TTL_SECONDS), outage,
            settings.CONVERSATION_TTL_SECONDS)
        reply_cache = FallbackReplyCache(RedisReplyCache(redis, settings.DEDUP_TTL_SECONDS),
                                         outage, settings.DEDUP_TTL_SECONDS)
        locks = FallbackSenderLocks(
            RedisSenderLocks(redis, settings.SENDER_LOCK_WAIT_SECONDS,
                             settings.SENDER_LOCK_LEASE_SECONDS),
            outage, settings.SENDER_LOCK_WAIT_SECONDS)
        limiter = FallbackRateLimiter(RedisRateLimiter(redis), outage)
    else:
        states = InMemoryConversationStore(settings.CONVERSATION_TTL_SECONDS)
        reply_cache = InMemoryReplyCache(settings.DEDUP_TTL_SECONDS)
        locks = InProcessSenderLocks(settings.SENDER_LOCK_WAIT_SECONDS)
        limiter = InProcessRateLimiter()

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    # The same pool; each statement its own transaction, for units that read or write once.
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def statements() -> UnitOfWork:
        return SqlUnitOfWork(autocommit)

    catalog = CatalogCache(parser_factory(settings))
    desk = DistributorDesk(uow_factory, DeskSettings(settings.STOCK_ALERT_COVER_DAYS))
    dialogue = Dialogue(uow_factory, catalog, states, clock, desk, settings.REPLENISH_COVER_DAYS,
                        statements=statements)
    inbox = Inbox(uow_factory, dialogue, reply_cache, locks, limiter,
                  settings.RATE_LIMIT_PER_MINUTE, statements=statements)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
    channels = build_channels(settings, uow_factory, http, redis=redis)
    dead_letters = SqlDeadLetters(engine)

    def bury(out: Outbound, reason: str) -> None:
        dead_letters.record(out.key, out.channel, out.to_json(), reason)

    mailbox = WebChatMailbox(redis) if settings.web_chat_enabled else None
    if mailbox is not None:
        channels.senders["webchat"] = mailbox

    outbound: OutboundQueue
    if settings.REDIS_URL:
        outbound = ArqQueue(ArqRedis(connection_pool=AsyncConnectionPool.from_url(
            settings.REDIS_URL, **REDIS_TIMEOUTS)))
    else:
        outbound = InProcessQueue(channels.senders, bury)
    relay = OutboxRelay(uow_factory, outbound, channel_router(set(channels.senders)), bury)
    if isinstance(outbound, InProcessQueue):
        outbound.on_settled = relay.settled
    return Services(settings, engine, redis, catalog, states, inbox, http, channels, outbound,
                    dead_letters, relay, mailbox)
