"""CloudSender against a Graph API double: the 24-hour window, templates, and error mapping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from bot.channels.whatsapp_cloud import (
    WINDOW_SECONDS,
    CloudSender,
    InMemoryServiceWindow,
    Template,
)
from bot.messages import Reply
from bot.outbound import Outbound, SendFailed
from bot.replies import CONFIRM_BUTTONS

ROOT = "https://graph.example.test"
URL = f"{ROOT}/v21.0/PNID/messages"
PHONE = "+919800000001"
NOW = 1_750_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def sent(route: respx.Route) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in route.calls]


def error(code: int, status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": f"(#{code}) nope", "code": code,
                                                  "type": "OAuthException"}})


def make_sender(clock: Clock) -> tuple[CloudSender, InMemoryServiceWindow]:
    window = InMemoryServiceWindow(clock=clock)
    sender = CloudSender(httpx.AsyncClient(), base_url=ROOT + "/", version="v21.0",
                         phone_number_id="PNID", token="graph-token", window=window,
                         template=Template("dms_update", "en_US"), clock=clock)
    return sender, window


def send(sender: CloudSender, *replies: Reply) -> None:
    asyncio.run(sender.send(Outbound("whatsapp_cloud", PHONE, replies, key="k1")))


def test_inside_the_window_replies_go_as_free_form_messages(graph: respx.MockRouter) -> None:
    route = graph.post(URL).respond(200, json={"messages": [{"id": "wamid.OUT"}]})
    clock = Clock()
    sender, window = make_sender(clock)
    window.touch(PHONE, NOW - 60)
    send(sender, Reply("Your order", CONFIRM_BUTTONS), Reply("Thanks"))
    first, second = sent(route)
    assert route.calls[0].request.headers["Authorization"] == "Bearer graph-token"
    assert first["messaging_product"] == "whatsapp" and first["to"] == PHONE
    assert first["type"] == "interactive" and second["type"] == "text"


def test_outside_the_window_only_the_template_goes(graph: respx.MockRouter) -> None:
    route = graph.post(URL).respond(200, json={})
    clock = Clock()
    sender, window = make_sender(clock)
    window.touch(PHONE, NOW - WINDOW_SECONDS - 1)
    send(sender, Reply("Your order", CONFIRM_BUTTONS), Reply("Thanks"))
    (only,) = sent(route)
    assert only["type"] == "template"
    assert only["template"]["name"] == "dms_update"
    assert only["template"]["language"] == {"code": "en_US"}
    text = only["template"]["components"][0]["parameters"][0]["text"]
    assert "Your order" in text and "Thanks" in text


def test_a_phone_that_never_wrote_gets_the_template(graph: respx.MockRouter) -> None:
    route = graph.post(URL).respond(200, json={})
    sender, _ = make_sender(Clock())
    send(sender, Reply("Your order ORD-000001 was dispatched"))
    assert [m["type"] for m in sent(route)] == ["template"]


def test_meta_saying_re_engagement_switches_to_the_template(graph: respx.MockRouter) -> None:
    route = graph.post(URL)
    route.side_effect = [httpx.Response(200, json={}), error(131047), httpx.Response(200)]
    clock = Clock()
    sender, window = make_sender(clock)
    window.touch(PHONE, NOW - 60)
    send(sender, Reply("first"), Reply("second"), Reply("third"))
    bodies = sent(route)
    assert [b["type"] for b in bodies] == ["text", "text", "template"]
    text = bodies[2]["template"]["components"][0]["parameters"][0]["text"]
    assert text == "second third"
    assert window.last_inbound(PHONE) is None  # the next send goes straight to the template


@pytest.mark.parametrize(("response", "retryable", "retry_after"), [
    (httpx.Response(429, headers={"Retry-After": "7"}), True, 7.0),
    (httpx.Response(503), True, None),
    (error(130429), True, None),
    (error(131056), True, None),
    (error(100), False, None),
    (error(190, status=401), False, None),
    (httpx.Response(400, text="not json"), False, None),
])
def test_graph_errors_map_to_send_failed(graph: respx.MockRouter, response: httpx.Response,
                                         retryable: bool, retry_after: float | None) -> None:
    graph.post(URL).mock(return_value=response)
    clock = Clock()
    sender, window = make_sender(clock)
    window.touch(PHONE, NOW)
    with pytest.raises(SendFailed) as failed:
        send(sender, Reply("hi"))
    assert failed.value.retryable is retryable
    assert failed.value.retry_after == retry_after
    assert "graph-token" not in str(failed.value)


def test_an_unreachable_graph_is_retryable(graph: respx.MockRouter) -> None:
    graph.post(URL).mock(side_effect=httpx.ConnectTimeout("slow"))
    clock = Clock()
    sender, window = make_sender(clock)
    window.touch(PHONE, NOW)
    with pytest.raises(SendFailed) as failed:
        send(sender, Reply("hi"))
    assert failed.value.retryable


def test_the_window_never_moves_back_nor_past_now() -> None:
    clock = Clock()
    window = InMemoryServiceWindow(clock=clock)
    window.touch(PHONE, NOW - 10)
    window.touch(PHONE, NOW - 3600)  # a late redelivery of an older message
    assert window.last_inbound(PHONE) == NOW - 10
    window.touch(PHONE, NOW + 3600)  # the sender's clock runs ahead of ours
    assert window.last_inbound(PHONE) == NOW
    window.forget(PHONE)
    assert window.last_inbound(PHONE) is None
