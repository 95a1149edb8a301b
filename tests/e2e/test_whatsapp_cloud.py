"""A retailer orders over the WhatsApp Cloud API: signed webhooks in, Graph API calls out.

Both stacks run every test. The embedded stack delivers replies with its in-process queue;
the services stack queues them in Redis for an arq worker, whose part `deliver` plays here by
running bot.job_queue.deliver_job on each queued job (retries at once instead of deferred).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from bot.messages import Reply
from bot.outbound import Outbound
from tests.e2e.conftest import admin, deliver, services_of

APP_SECRET = "meta-app-secret-0123456789"
VERIFY_TOKEN = "meta-verify-token-0123456789"
GRAPH = "https://graph.example.test"
MESSAGES_URL = f"{GRAPH}/v21.0/PNID/messages"
CLOUD = {"WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
         "WHATSAPP_TOKEN": "graph-test-token", "WHATSAPP_PHONE_NUMBER_ID": "PNID",
         "GRAPH_API_BASE_URL": GRAPH}
SHOP_WA_ID = "919800000001"


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def settings(settings: Settings, graph: respx.MockRouter) -> Settings:
    # Depends on `graph` so that the Graph double outlives the app (its shutdown drains).
    return settings.model_copy(update=CLOUD)


@pytest.fixture
def outbox(graph: respx.MockRouter) -> respx.Route:
    return graph.post(MESSAGES_URL).respond(200, json={"messaging_product": "whatsapp",
                                                       "messages": [{"id": "wamid.OUT"}]})


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(value: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": "PNID"},
             **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]}


@dataclass
class CloudPhone:
    """A WhatsApp user whose messages reach the app as signed Cloud API webhooks."""

    client: TestClient
    outbox: respx.Route
    wa_id: str = SHOP_WA_ID
    count: int = 0
    sent_at: float = field(default_factory=time.time)

    def post(self, payload: Any, sign_with: str | None = APP_SECRET) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if sign_with is not None:
            headers["X-Hub-Signature-256"] = sign(body, sign_with)
        res: httpx.Response = self.client.post("/webhooks/whatsapp", content=body,
                                               headers=headers)
        return res

    def message(self, kind: str, body: dict[str, Any], wamid: str | None = None,
                sent_at: float | None = None) -> dict[str, Any]:
        self.count += 1
        return webhook({
            "contacts": [{"profile": {"name": "Sharma"}, "wa_id": self.wa_id}],
            "messages": [{"from": self.wa_id, "id": wamid or f"wamid.{self.count:06d}",
                          "timestamp": str(int(sent_at or time.time())), "type": kind,
                          kind: body}]})

    def send(self, kind: str, body: dict[str, Any], **how: Any) -> list[dict[str, Any]]:
        """Posts one message and returns what the app sent back to this phone.

        Notices to other parties (the distributor told of a new order) are left out.
        """
        before = len(self.outbox.calls)
        res = self.post(self.message(kind, body, **how))
        assert res.status_code == 200 and res.json() == {}, res.text
        deliver(self.client)
        sent = [json.loads(c.request.content) for c in self.outbox.calls[before:]]
        return [m for m in sent if m["to"].lstrip("+") == self.wa_id.lstrip("+")]

    def say(self, text: str, **how: Any) -> list[dict[str, Any]]:
        return self.send("text", {"body": text}, **how)

    def tap(self, button_id: str, title: str) -> list[dict[str, Any]]:
        return self.send("interactive", {"type": "button_reply",
                                         "button_reply": {"id": button_id, "title": title}})

    def pick(self, row_id: str, title: str) -> list[dict[str, Any]]:
        return self.send("interactive", {"type": "list_reply",
                                         "list_reply": {"id": row_id, "title": title}})


@pytest.fixture
def phone(client: TestClient, outbox: respx.Route) -> CloudPhone:
    return CloudPhone(client, outbox)


def body_of(message: dict[str, Any]) -> str:
    if message["type"] == "text":
        return str(message["text"]["body"])
    return str(message["interactive"]["body"]["text"])


def test_the_verify_handshake_echoes_the_challenge_only_for_our_token(
    client: TestClient,
) -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444"}
    res = client.get("/webhooks/whatsapp", params=good)
    assert res.status_code == 200 and res.text == "1158201444"
    assert res.headers["content-type"].startswith("text/plain")
    for bad in ({**good, "hub.verify_token": "guess"}, {**good, "hub.mode": "unsubscribe"},
                {"hub.challenge": "1"}):
        assert client.get("/webhooks/whatsapp", params=bad).status_code == 403


def test_a_forged_or_missing_signature_is_refused_and_nothing_stored(
    phone: CloudPhone, client: TestClient, outbox: respx.Route
) -> None:
    payload = phone.message("text", {"body": "2 cs thums up 750"}, wamid="wamid.FORGED")
    assert phone.post(payload, sign_with=None).status_code == 403
    assert phone.post(payload, sign_with="not-the-app-secret").status_code == 403
    body = json.dumps(payload).encode()
    tampered = client.post("/webhooks/whatsapp", content=body + b" ",
                           headers={"X-Hub-Signature-256": sign(body)})
    assert tampered.status_code == 403
    deliver(client)
    assert outbox.calls.call_count == 0
    with services_of(client).uow() as uow:
        assert uow.inbound.reply_for("whatsapp_cloud:wamid.FORGED") is None


def test_a_signed_body_that_is_not_json_is_a_bad_request(client: TestClient) -> None:
    res = client.post("/webhooks/whatsapp", content=b"{not json",
                      headers={"X-Hub-Signature-256": sign(b"{not json")})
    assert res.status_code == 400


def test_a_text_order_is_answered_with_yes_and_cancel_buttons(phone: CloudPhone,
                                                              outbox: respx.Route) -> None:
    (draft,) = phone.say("2 cs thums up 750")
    assert draft["messaging_product"] == "whatsapp" and draft["to"] == "+919800000001"
    assert draft["type"] == "interactive" and draft["interactive"]["type"] == "button"
    assert "Thums Up 750ml PET: 2 cases x Rs 912.00" in body_of(draft)
    replies = [b["reply"] for b in draft["interactive"]["action"]["buttons"]]
    assert [r["id"] for r in replies] == ["yes", "cancel"]
    assert replies[0]["title"].startswith("YES") and replies[1]["title"] == "Cancel"
    assert outbox.calls.last.request.headers["Authorization"] == "Bearer graph-test-token"


def test_tapping_yes_places_the_order_and_answers_in_text(phone: CloudPhone,
                                                          client: TestClient) -> None:
    phone.say("2 cs thums up 750")
    (placed,) = phone.tap("yes", "YES, confirm")
    assert placed["type"] == "text"
    number = re.search(r"ORD-\d{6}", body_of(placed))
    assert number, placed
    orders = admin(client, "/api/orders?party_id=R-0001")
    assert orders["count"] == 1
    assert orders["data"][0]["number"] == number.group(0)
    assert orders["data"][0]["status"] == "placed"


def test_an_ambiguous_product_is_asked_with_a_list_and_a_picked_row_resolves_it(
    phone: CloudPhone, client: TestClient
) -> None:
    (question,) = phone.say("5 box maggi")
    interactive = question["interactive"]
    assert question["type"] == "interactive" and interactive["type"] == "list"
    (section,) = interactive["action"]["sections"]
    rows = section["rows"]
    assert 4 <= len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)
    maggi = next(r for r in rows if r["id"].startswith("pick:") and r["id"] != "pick:-")
    (draft,) = phone.pick(maggi["id"], maggi["title"])
    assert draft["interactive"]["type"] == "button" and "Total:" in body_of(draft)
    phone.tap("yes", "YES, confirm")
    assert admin(client, "/api/orders")["count"] == 1


def test_a_shared_location_is_accepted_and_answered(phone: CloudPhone) -> None:
    replies = phone.send("location", {"latitude": 26.91, "longitude": 75.79,
                                      "name": "Sharma Kirana", "address": "MI Road"})
    assert len(replies) == 1 and replies[0]["to"] == "+919800000001"


def test_a_photo_without_caption_gets_a_polite_text_answer(phone: CloudPhone) -> None:
    (reply,) = phone.send("image", {"mime_type": "image/jpeg", "id": "media-1"})
    assert reply["type"] == "text" and "only read text" in body_of(reply)


def test_status_callbacks_are_acknowledged_and_not_answered(
    phone: CloudPhone, client: TestClient, outbox: respx.Route,
    caplog: pytest.LogCaptureFixture,
) -> None:
    statuses: list[dict[str, Any]] = [
        {"id": "wamid.OUT", "status": s, "timestamp": "1718000000", "recipient_id": SHOP_WA_ID}
        for s in ("sent", "delivered", "read")]
    statuses.append({"id": "wamid.OUT2", "status": "failed", "timestamp": "1718000000",
                     "recipient_id": SHOP_WA_ID,
                     "errors": [{"code": 131026, "title": "Message undeliverable"}]})
    with caplog.at_level(logging.WARNING, logger="dms.whatsapp_cloud"):
        res = phone.post(webhook({"statuses": statuses}))
    assert res.status_code == 200 and res.json() == {}
    deliver(client)
    assert outbox.calls.call_count == 0
    (failed,) = [r for r in caplog.records if r.getMessage() == "whatsapp_cloud delivery failed"]
    assert SHOP_WA_ID not in str(failed.__dict__)  # phones are masked in logs


def test_a_redelivered_yes_places_one_order_and_sends_one_reply(phone: CloudPhone,
                                                                client: TestClient) -> None:
    phone.say("3 cs sprite 750")
    tap = {"type": "button_reply", "button_reply": {"id": "yes", "title": "YES, confirm"}}
    first = phone.send("interactive", tap, wamid="wamid.TWICE")
    again = phone.send("interactive", tap, wamid="wamid.TWICE")
    assert len(first) == 1 and "ORD-" in body_of(first[0]) and again == []
    assert admin(client, "/api/orders")["count"] == 1


def test_the_same_wamid_twice_sends_one_reply(phone: CloudPhone, client: TestClient,
                                              outbox: respx.Route) -> None:
    first = phone.say("2 cs coke 750", wamid="wamid.SAME")
    again = phone.say("2 cs coke 750", wamid="wamid.SAME")
    assert len(first) == 1 and again == []
    assert outbox.calls.call_count == 1


def test_outside_the_24_hour_window_the_reply_goes_as_the_template(phone: CloudPhone) -> None:
    # The customer's message reaches us 25 hours after they sent it (Meta retried for long).
    (reply,) = phone.say("2 cs thums up 750", sent_at=time.time() - 25 * 3600)
    assert reply["type"] == "template"
    template = reply["template"]
    assert template["name"] == "dms_update" and template["language"] == {"code": "en"}
    (parameter,) = template["components"][0]["parameters"]
    assert "Thums Up 750ml PET" in parameter["text"] and "\n" not in parameter["text"]


def test_a_notification_to_a_silent_customer_goes_as_the_template(
    client: TestClient, outbox: respx.Route
) -> None:
    out = Outbound("whatsapp_cloud", "+919800000002", (Reply("ORD-000001 dispatched"),),
                   key="notify:dispatch:ORD-000001")
    assert client.portal is not None
    client.portal.call(services_of(client).outbound.enqueue, out)
    deliver(client)
    (sent,) = [json.loads(c.request.content) for c in outbox.calls]
    assert sent["type"] == "template" and sent["to"] == "+919800000002"


def test_meta_refusing_free_text_as_re_engagement_gets_the_template(
    phone: CloudPhone, outbox: respx.Route
) -> None:
    outbox.side_effect = [
        httpx.Response(400, json={"error": {"code": 131047, "message": "Re-engagement"}}),
        httpx.Response(200, json={"messages": [{"id": "wamid.OUT"}]})]
    refused, template = phone.say("2 cs thums up 750")
    assert refused["type"] == "interactive" and template["type"] == "template"


def test_a_rate_limited_send_is_retried(phone: CloudPhone, client: TestClient,
                                        outbox: respx.Route) -> None:
    outbox.side_effect = [httpx.Response(429, headers={"Retry-After": "0"}),
                          httpx.Response(200, json={"messages": [{"id": "wamid.OUT"}]})]
    first, retried = phone.say("2 cs thums up 750")
    assert first == retried and first["type"] == "interactive"
    assert services_of(client).dead_letters.recent() == []


def test_a_refused_send_is_dead_lettered_not_retried(phone: CloudPhone, client: TestClient,
                                                     outbox: respx.Route) -> None:
    outbox.mock(return_value=httpx.Response(
        400, json={"error": {"code": 100, "message": "(#100) Invalid parameter"}}))
    (refused,) = phone.say("2 cs thums up 750", wamid="wamid.REFUSED")
    assert refused["type"] == "interactive"
    (dead,) = services_of(client).dead_letters.recent()
    assert dead.key == "reply:whatsapp_cloud:wamid.REFUSED"
    assert dead.channel == "whatsapp_cloud" and "Invalid parameter" in dead.reason


def test_the_webhook_answers_404_when_the_channel_is_off(settings: Settings) -> None:
    off = settings.model_copy(update={"WHATSAPP_APP_SECRET": None,
                                      "WHATSAPP_VERIFY_TOKEN": None})
    with TestClient(create_app(off)) as c:
        body = b"{}"
        res = c.post("/webhooks/whatsapp", content=body,
                     headers={"X-Hub-Signature-256": sign(body)})
        assert res.status_code == 404
        assert c.get("/webhooks/whatsapp", params={"hub.mode": "subscribe"}).status_code == 404


def test_a_message_with_an_unusable_id_is_skipped_and_the_rest_of_the_post_handled(
        phone: CloudPhone, outbox: respx.Route) -> None:
    def text(wamid: str, wa_id: str, body: str) -> dict[str, Any]:
        return {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())),
                "type": "text", "text": {"body": body}}

    payload = webhook({"messages": [
        text("wamid.A", SHOP_WA_ID, "hi"),
        text("wamid.\ud800", SHOP_WA_ID, "hi"),
        text("wamid.C", "91980000\x0001", "hi"),
        text("wamid.D", SHOP_WA_ID, "help")]})
    for _ in range(2):  # Meta's redelivery of the same post: nothing twice, nothing lost
        res = phone.post(payload)
        assert res.status_code == 200, res.text
        deliver(phone.client)
    assert len(outbox.calls) == 2


def test_without_the_phone_number_id_the_webhook_is_off(settings: Settings) -> None:
    partial = settings.model_copy(update={"WHATSAPP_PHONE_NUMBER_ID": None})
    with TestClient(create_app(partial)) as c:
        body = json.dumps(webhook({"messages": []})).encode()
        res = c.post("/webhooks/whatsapp", content=body,
                     headers={"X-Hub-Signature-256": sign(body)})
        assert res.status_code == 404


def test_a_body_nested_too_deep_to_parse_is_a_bad_request(client: TestClient) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    res = client.post("/webhooks/whatsapp", content=body,
                      headers={"X-Hub-Signature-256": sign(body)})
    assert res.status_code == 400
