"""Retailers and distributors on Telegram: webhook updates in, Bot API calls out, per stack.

Telegram's side is the fake Bot API (tests/fake_telegram_api.py) behind respx. Replies and
notices leave through the outbound queue, so each step runs `deliver` (tests/e2e/conftest.py)
before looking: the in-process queue is drained on the embedded stack; on the services stack
the queued arq jobs are run through bot.job_queue.deliver_job, as a worker would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from api.settings import Settings
from bot.messages import Reply
from bot.outbound import Outbound
from tests.e2e.conftest import admin, deliver, services_of
from tests.fake_telegram_api import (
    API,
    TOKEN,
    FakeBotApi,
    callback_update,
    contact_update,
    text_update,
)

SECRET = "tg-webhook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
RAMESH = 5550001  # the Telegram user who runs Sharma Kirana Store (R-0001)
SHOP_PHONE_AS_TELEGRAM_SENDS_IT = "919800000001"  # no leading +


@pytest.fixture
def tg_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"TELEGRAM_BOT_TOKEN": TOKEN,
                                       "TELEGRAM_WEBHOOK_SECRET": SECRET,
                                       "TELEGRAM_API_BASE_URL": API,
                                       # spacing is tested in the sender's unit tests
                                       "TELEGRAM_CHAT_INTERVAL_SECONDS": 0})


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    fake = FakeBotApi()
    with respx.mock(assert_all_called=False) as router:
        fake.install(router)
        yield fake


@pytest.fixture
def tg_client(tg_settings: Settings, api: FakeBotApi) -> Iterator[TestClient]:
    with TestClient(create_app(tg_settings)) as c:
        yield c


@dataclass
class TelegramUser:
    """A Telegram user talking to the bot; `update_id` counts like Telegram's."""

    client: TestClient
    api: FakeBotApi
    user_id: int = RAMESH
    update_id: int = 9000

    @property
    def services(self) -> Services:
        return services_of(self.client)

    def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {HEADER: secret} if secret is not None else {}
        res = self.client.post("/webhooks/telegram", json=update, headers=headers)
        status: int = res.status_code
        if status == 200:
            assert res.json() == {}
        return status

    def deliver(self) -> None:
        deliver(self.client)

    def send(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Posts an update, delivers the replies, returns the messages it caused."""
        before = len(self.api.messages)
        assert self.post(update) == 200
        self.deliver()
        return self.api.messages[before:]

    def next_id(self) -> int:
        self.update_id += 1
        return self.update_id

    def say(self, text: str) -> list[dict[str, Any]]:
        return self.send(text_update(self.next_id(), self.user_id, text))

    def tap(self, data: str) -> list[dict[str, Any]]:
        return self.send(callback_update(self.next_id(), self.user_id, data))

    def share_contact(self, phone: str, owner: int | None = None) -> list[dict[str, Any]]:
        owner = self.user_id if owner is None else owner
        return self.send(contact_update(self.next_id(), self.user_id, phone, owner))


@pytest.fixture
def ramesh(tg_client: TestClient, api: FakeBotApi) -> TelegramUser:
    return TelegramUser(tg_client, api)


@pytest.fixture
def bound(ramesh: TelegramUser) -> TelegramUser:
    ramesh.share_contact(SHOP_PHONE_AS_TELEGRAM_SENDS_IT)
    return ramesh


def bound_party(user: TelegramUser) -> str | None:
    with user.services.uow() as uow:
        party = uow.parties.by_telegram_user(user.user_id)
    return party.id if party else None


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m["text"]) for m in messages)


# -- identity -----------------------------------------------------------------------------

def test_an_unbound_user_is_asked_to_share_their_phone(ramesh: TelegramUser) -> None:
    [message] = ramesh.say("2 cs thums up 750")
    assert message["chat_id"] == str(RAMESH)
    assert "Share my phone number" in message["text"]
    [[key]] = message["reply_markup"]["keyboard"]
    assert key == {"text": "📱 Share my phone number", "request_contact": True}
    assert bound_party(ramesh) is None


def test_someone_elses_contact_card_is_refused(ramesh: TelegramUser) -> None:
    [message] = ramesh.share_contact("+919800000001", owner=7770007)
    assert "someone else's contact" in message["text"]
    assert message["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert bound_party(ramesh) is None


def test_an_unregistered_phone_is_told_to_ask_the_distributor(ramesh: TelegramUser) -> None:
    [message] = ramesh.share_contact("919999999999")
    assert "not registered" in message["text"] and "distributor" in message["text"]
    assert bound_party(ramesh) is None


def test_sharing_their_own_registered_phone_binds_and_greets_by_name(
    ramesh: TelegramUser,
) -> None:
    [message] = ramesh.share_contact(SHOP_PHONE_AS_TELEGRAM_SENDS_IT)
    assert "Sharma Kirana Store" in message["text"]
    assert message["reply_markup"] == {"remove_keyboard": True}
    assert bound_party(ramesh) == "R-0001"


# -- ordering -----------------------------------------------------------------------------

def test_a_bound_retailer_orders_with_buttons_and_the_order_is_placed(
    bound: TelegramUser, tg_client: TestClient, api: FakeBotApi
) -> None:
    draft = bound.say("2 cs thums up 750")
    [message] = draft
    assert "Thums Up 750ml PET: 2 cases x Rs 912.00 = Rs 1,824.00" in message["text"]
    assert message["parse_mode"] == "HTML" and "<b>Total: Rs " in message["text"]
    [row] = message["reply_markup"]["inline_keyboard"]
    assert [(b["text"], b["callback_data"]) for b in row] == [("YES, confirm", "yes"),
                                                              ("Cancel", "cancel")]

    placed = text_of(bound.tap("yes"))
    assert api.of("answerCallbackQuery")[-1]["callback_query_id"] == f"cbq{bound.update_id}"
    number = re.search(r"ORD-\d{6}", placed)
    assert number, placed
    orders = admin(tg_client, "/api/orders?party_id=R-0001")
    assert orders["count"] == 1 and orders["data"][0]["number"] == number.group(0)


def test_the_distributor_is_told_of_the_order_on_telegram_with_buttons(
    bound: TelegramUser, tg_client: TestClient, api: FakeBotApi
) -> None:
    desk = TelegramUser(tg_client, api, user_id=5550002, update_id=20000)
    [greeting] = desk.share_contact("919700000001")
    assert "Shree Ganesh Distributors" in greeting["text"]

    bound.say("2 cs thums up 750")
    bound.tap("yes")
    [notice] = [m for m in api.messages if m["chat_id"] == "5550002" and "New order" in m["text"]]
    order = admin(tg_client, "/api/orders?party_id=R-0001")["data"][0]
    assert order["number"] in notice["text"]
    [row] = notice["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in row] == [f"ord:accept:{order['id']}",
                                                 f"ord:reject:{order['id']}",
                                                 f"ord:dispatch:{order['id']}"]

    # The tap reaches the distributor desk; with no stock received it says so.
    [answer] = desk.tap(f"ord:accept:{order['id']}")
    assert answer["chat_id"] == "5550002" and order["number"] in answer["text"]
    assert "stock is short" in answer["text"]


def test_a_callback_is_answered_even_for_a_user_who_is_not_bound(
    ramesh: TelegramUser, api: FakeBotApi
) -> None:
    [message] = ramesh.tap("yes")
    assert api.of("answerCallbackQuery") == [{"callback_query_id": f"cbq{ramesh.update_id}"}]
    assert "Share my phone number" in message["text"]


def test_the_same_update_posted_twice_sends_one_reply_and_places_one_order(
    bound: TelegramUser, tg_client: TestClient
) -> None:
    update = text_update(bound.next_id(), RAMESH, "3 cs sprite 750")
    assert bound.post(update) == 200
    assert bound.post(update) == 200  # Telegram redelivers when it saw no answer in time
    bound.deliver()
    assert bound.post(update) == 200  # and again, after the reply went out
    bound.deliver()
    drafts = [m for m in bound.api.messages if "Sprite 750ml PET" in m["text"]]
    assert len(drafts) == 1

    yes = callback_update(bound.next_id(), RAMESH, "yes")
    for _ in range(2):
        assert bound.post(yes) == 200
        bound.deliver()
    assert len([m for m in bound.api.messages if "ORD-" in m["text"]]) == 1
    assert admin(tg_client, "/api/orders")["count"] == 1


def test_html_special_characters_in_a_reply_are_escaped(ramesh: TelegramUser) -> None:
    with ramesh.services.uow() as uow:
        shop = uow.parties.get("R-0002")
        assert shop is not None
        uow.parties.upsert(replace(shop, name="Gupta & Sons <General>"))
        uow.commit()
    [message] = ramesh.share_contact("+919800000002")
    assert "Thank you, Gupta &amp; Sons &lt;General&gt;!" in message["text"]
    assert "<General>" not in message["text"]


def test_a_long_reply_is_split_under_4096_characters(bound: TelegramUser) -> None:
    lines = "\n".join(f"{n}. Thums Up 750ml PET: 2 cases x Rs 912.00 = Rs 1,824.00"
                      for n in range(1, 200))
    before = len(bound.api.messages)
    bound.client.portal.call(bound.services.outbound.enqueue,  # type: ignore[union-attr]
                             Outbound("telegram", str(RAMESH), (Reply(lines),), "long-1"))
    bound.deliver()
    pieces = [str(m["text"]) for m in bound.api.messages[before:]]
    assert len(pieces) >= 3
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert "\n".join(pieces) == lines


def test_a_flood_limit_answer_is_waited_out_and_the_message_still_arrives(
    bound: TelegramUser, api: FakeBotApi
) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    [message] = bound.say("2 cs thums up 750")
    assert "Thums Up 750ml PET: 2 cases" in message["text"]
    statuses = [c.status for c in api.attempts("sendMessage")][-2:]
    assert statuses == [429, 200]


# -- the edge -----------------------------------------------------------------------------

def test_a_forged_or_missing_secret_is_refused_and_nothing_stored(
    ramesh: TelegramUser, api: FakeBotApi
) -> None:
    update = contact_update(ramesh.next_id(), RAMESH, SHOP_PHONE_AS_TELEGRAM_SENDS_IT, RAMESH)
    assert ramesh.post(update, secret=None) == 403
    assert ramesh.post(update, secret="not-the-secret") == 403
    ramesh.deliver()
    assert bound_party(ramesh) is None
    assert api.messages == []
    # Nothing was remembered: the same update, with the secret, is handled as new.
    assert ramesh.post(update) == 200
    ramesh.deliver()
    assert bound_party(ramesh) == "R-0001"
    assert len(api.messages) == 1


def test_a_body_that_is_not_json_is_a_bad_request(ramesh: TelegramUser) -> None:
    res = ramesh.client.post("/webhooks/telegram", content=b"{not json",
                             headers={HEADER: SECRET, "Content-Type": "application/json"})
    assert res.status_code == 400
    assert ramesh.post({"hello": "world"}) == 400
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"update_id": ' + b"7" * 5000 + b"}"):
        res = ramesh.client.post("/webhooks/telegram", content=body, headers={HEADER: SECRET})
        assert res.status_code == 400  # too deep to parse; past Python's digit limit


def test_a_bound_user_sending_fields_of_the_wrong_type_is_a_bad_request(
        bound: TelegramUser) -> None:
    update = text_update(bound.next_id(), bound.user_id, "hi")
    assert bound.post({**update, "message": {**update["message"], "text": 123}}) == 400
    assert bound.post(text_update(bound.next_id(), 10**20, "hi")) == 400


def test_the_channel_is_off_without_its_token(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:
        res = c.post("/webhooks/telegram", json=text_update(1, RAMESH, "hi"),
                     headers={HEADER: SECRET})
        assert res.status_code == 404
