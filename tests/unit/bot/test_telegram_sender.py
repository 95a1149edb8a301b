"""Sending through the Bot API: pieces in order, PTB's errors as retryable or not.

The Bot API is the fake in tests/fake_telegram_api.py, reached through respx: nothing
leaves the process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from bot.channels.telegram import TelegramChannel, build_application
from bot.messages import Reply
from bot.outbound import Outbound, SendFailed
from bot.replies import CONFIRM_BUTTONS
from domain.services.unit_of_work import UnitOfWork
from tests.fake_telegram_api import API, TOKEN, FakeBotApi

pytestmark = pytest.mark.anyio

CHAT = 5550001


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def no_database() -> UnitOfWork:
    raise AssertionError("sending needs no database")


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def channel(api: FakeBotApi) -> AsyncIterator[TelegramChannel]:
    with respx.mock(assert_all_called=False) as router:
        api.install(router)
        # No retries inside the rate limiter here: the queue's retry is what is tested.
        tg = TelegramChannel(build_application(TOKEN, API, rate_limit_retries=0), no_database)
        await tg.start()
        yield tg
        await tg.stop()


def outbound(*texts: str, key: str = "k1") -> Outbound:
    return Outbound("telegram", str(CHAT), tuple(Reply(t) for t in texts), key)


async def test_start_checks_the_token_with_get_me(channel: TelegramChannel,
                                                  api: FakeBotApi) -> None:
    assert [c.method for c in api.calls] == ["getMe"]


async def test_each_reply_goes_to_the_chat_as_html(channel: TelegramChannel,
                                                   api: FakeBotApi) -> None:
    await channel.sender.send(Outbound("telegram", str(CHAT),
                                       (Reply("A & B"), Reply("Confirm?", CONFIRM_BUTTONS)), "k"))
    first, second = api.messages
    assert (first["chat_id"], first["text"], first["parse_mode"]) == (str(CHAT), "A &amp; B",
                                                                      "HTML")
    assert second["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"


@pytest.mark.parametrize(("status", "description", "retryable"), [
    (403, "Forbidden: bot was blocked by the user", False),
    (400, "Bad Request: chat not found", False),
    (500, "Internal Server Error", True),
    (502, "Bad Gateway", True),
])
async def test_errors_map_to_what_waiting_can_fix(channel: TelegramChannel, api: FakeBotApi,
                                                 status: int, description: str,
                                                 retryable: bool) -> None:
    api.fail_next("sendMessage", status, description)
    with pytest.raises(SendFailed) as failed:
        await channel.sender.send(outbound("hello"))
    assert failed.value.retryable is retryable


async def test_a_flood_limit_beyond_the_limiters_retries_says_how_long_to_wait(
    channel: TelegramChannel, api: FakeBotApi
) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(SendFailed) as failed:
        await channel.sender.send(outbound("hello"))
    assert failed.value.retryable and failed.value.retry_after == 7.0


async def test_an_unreachable_api_is_retryable(api: FakeBotApi) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.route(url__startswith=API).mock(side_effect=httpx.ConnectError("down"))
        tg = TelegramChannel(build_application(TOKEN, API), no_database)
        await tg.start()  # an outage at start is logged, not fatal
        with pytest.raises(SendFailed) as failed:
            await tg.sender.send(outbound("hello"))
        assert failed.value.retryable
        await tg.stop()


async def test_a_wrong_token_stops_the_start() -> None:
    from telegram.error import InvalidToken

    api = FakeBotApi()
    api.fail_next("getMe", 401, "Unauthorized")
    with respx.mock(assert_all_called=False) as router:
        api.install(router)
        tg = TelegramChannel(build_application(TOKEN, API), no_database)
        with pytest.raises(InvalidToken):
            await tg.start()
        await tg.stop()


async def test_a_retry_after_a_partial_send_does_not_repeat_what_arrived(
    channel: TelegramChannel, api: FakeBotApi
) -> None:
    out = outbound("one", "two", "three", key="partial")
    api.fail_next("sendMessage", 502, "Bad Gateway", after=1)  # "one" arrives, "two" fails
    with pytest.raises(SendFailed):
        await channel.sender.send(out)
    await channel.sender.send(out)  # the queue's retry
    assert api.texts() == ["one", "two", "three"]
    assert [c.params["text"] for c in api.attempts("sendMessage")] == [
        "one", "two", "two", "three"]


def test_sends_into_one_chat_are_spaced_and_other_chats_are_not_held_up() -> None:
    import asyncio
    import itertools

    from bot.channels.telegram import TelegramSender

    class Clocked:
        def __init__(self) -> None:
            self.at: list[tuple[int, float]] = []

        async def send_message(self, chat_id: int, *args: object, **kwargs: object) -> None:
            self.at.append((chat_id, asyncio.get_running_loop().time()))

    async def scenario() -> list[tuple[int, float]]:
        bot = Clocked()
        sender = TelegramSender(bot, per_chat_interval=0.2)  # type: ignore[arg-type]
        from bot.messages import Reply
        from bot.outbound import Outbound

        await asyncio.gather(*(sender.send(Outbound("telegram", str(chat), (Reply("hi"),),
                                                    f"k{chat}{n}"))
                               for n in range(3) for chat in (1, 2)))
        return bot.at

    sent = asyncio.run(scenario())
    for chat in (1, 2):
        times = sorted(t for c, t in sent if c == chat)
        assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))
    first = {c: min(t for cc, t in sent if cc == c) for c in (1, 2)}
    assert abs(first[1] - first[2]) < 0.1
