"""A multi-piece send that fails half-way is retried by another worker process, which resumes
where the first stopped: on every channel, through the progress record in the real Redis (and
in-process when there is no Redis, where the same process retries)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from redis import Redis

from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.twilio_whatsapp import TwilioSender
from bot.channels.whatsapp_cloud import (
    WINDOW_SECONDS,
    CloudSender,
    InMemoryServiceWindow,
    Template,
)
from bot.messages import Reply
from bot.outbound import Outbound, SendFailed
from bot.send_progress import InMemorySendProgress, RedisSendProgress, SendProgress
from domain.services.unit_of_work import UnitOfWork
from tests.fake_telegram_api import API, TOKEN, FakeBotApi

TWILIO = "https://twilio.example.test"
TWILIO_URL = f"{TWILIO}/2010-04-01/Accounts/AC1/Messages.json"
GRAPH = "https://graph.example.test"
GRAPH_URL = f"{GRAPH}/v21.0/PNID/messages"
PHONE = "+919800000001"
NOW = 1_750_000_000.0


def two_workers(redis_url: str | None) -> tuple[SendProgress, SendProgress]:
    """Each worker's own record, over its own connection; one record when in-process."""
    if redis_url is None:
        shared = InMemorySendProgress()
        return shared, shared
    return (RedisSendProgress(Redis.from_url(redis_url)),
            RedisSendProgress(Redis.from_url(redis_url)))


def outbound(channel: str, to: str, *texts: str) -> Outbound:
    return Outbound(channel, to, tuple(Reply(t) for t in texts), key="reply:SM123")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def test_twilio_retry_on_another_worker_sends_only_what_is_left(
    redis_url: str | None, router: respx.MockRouter
) -> None:
    route = router.post(TWILIO_URL)
    route.side_effect = [httpx.Response(201), httpx.Response(503)] + [httpx.Response(201)] * 5
    first, second = (TwilioSender(httpx.AsyncClient(), TWILIO, "AC1", "token", "+14155550100",
                                  progress) for progress in two_workers(redis_url))
    out = outbound("whatsapp", PHONE, "one", "two", "three")
    with pytest.raises(SendFailed):
        asyncio.run(first.send(out))
    asyncio.run(second.send(out))
    bodies = [dict(httpx.QueryParams(c.request.content.decode()))["Body"] for c in route.calls]
    assert bodies == ["one", "two", "two", "three"]
    asyncio.run(second.send(out))  # a later repeat of the whole Outbound starts afresh
    assert len(route.calls) == 7


def test_cloud_retry_after_the_window_closed_sends_the_rest_as_the_template(
    redis_url: str | None, router: respx.MockRouter
) -> None:
    route = router.post(GRAPH_URL)
    route.side_effect = [httpx.Response(200, json={}), httpx.Response(503),
                         httpx.Response(200, json={})]
    now = [NOW]
    window = InMemoryServiceWindow(clock=lambda: now[0])
    window.touch(PHONE, NOW - 60)
    first, second = (CloudSender(httpx.AsyncClient(), base_url=GRAPH, version="v21.0",
                                 phone_number_id="PNID", token="t", window=window,
                                 template=Template("dms_update", "en"), clock=lambda: now[0],
                                 progress=progress)
                     for progress in two_workers(redis_url))
    out = outbound("whatsapp_cloud", PHONE, "first", "second", "third")
    with pytest.raises(SendFailed):
        asyncio.run(first.send(out))
    now[0] += WINDOW_SECONDS  # the retry comes after the 24 hours
    asyncio.run(second.send(out))
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert [b["type"] for b in bodies] == ["text", "text", "template"]
    assert bodies[2]["template"]["components"][0]["parameters"][0]["text"] == "second third"


def no_database() -> UnitOfWork:
    raise AssertionError("sending needs no database")


def test_telegram_retry_on_another_worker_does_not_repeat_a_piece(
    redis_url: str | None, router: respx.MockRouter
) -> None:
    api = FakeBotApi()
    api.install(router)

    async def scenario() -> None:
        first, second = (TelegramChannel(build_application(TOKEN, API, rate_limit_retries=0),
                                         no_database, 0.0, progress)
                         for progress in two_workers(redis_url))
        for worker in (first, second):
            await worker.start()
        out = outbound("telegram", "5550001", "one", "two", "three")
        api.fail_next("sendMessage", 502, "Bad Gateway", after=1)
        with pytest.raises(SendFailed):
            await first.sender.send(out)
        await second.sender.send(out)
        for worker in (first, second):
            await worker.stop()

    asyncio.run(scenario())
    assert api.texts() == ["one", "two", "three"]


def test_a_record_expires_and_an_unreadable_one_fails_the_attempt_for_a_retry(
    redis_url: str | None,
) -> None:
    if redis_url is None:
        return  # the in-process record has no expiry, only a bound
    redis = Redis.from_url(redis_url)
    progress = RedisSendProgress(redis)

    async def scenario() -> None:
        await progress.mark("reply:SM1", 2)
        assert await progress.done("reply:SM1") == 2
        down = RedisSendProgress(Redis(port=1, socket_connect_timeout=0.2))
        with pytest.raises(SendFailed) as failed:
            await down.done("reply:SM1")
        assert failed.value.retryable
        await down.mark("reply:SM1", 3)  # logged, not raised: the piece did go out

    asyncio.run(scenario())
    assert 0 < redis.ttl("dms:sent:reply:SM1") <= 24 * 3600
