"""Bad input over WhatsApp: a clear reply each time, nothing half-written, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import Phone, admin


@pytest.mark.parametrize(
    ("body", "extra", "expected"),
    [
        ("", {}, "empty"),
        ("   \n ", {}, "empty"),
        ("", {"NumMedia": "1", "MediaUrl0": "https://example.test/a.jpg"}, "only read text"),
        ("x" * 5000, {}, "too long"),
        ("2 cs coke\x00\x01\x02", {}, "couldn't read"),
        ("🙏🙏👍", {}, "emojis"),
        ("0 cs thums up 750", {}, "more than zero"),
        ("20000 cs thums up 750", {}, "10,000"),
        ("yes", {}, "no order waiting"),
        ("qwzx plmk", {}, "didn't understand"),
    ],
)
def test_bad_input_gets_a_clear_reply_and_no_order(
    phone: Phone, client: TestClient, body: str, extra: dict[str, str], expected: str
) -> None:
    status, messages = phone.post(body, **extra)
    assert status == 200
    reply = "\n".join(messages)
    assert expected.lower() in reply.lower(), reply
    assert admin(client, "/api/orders")["count"] == 0


def test_a_bad_line_does_not_lose_the_good_ones(phone: Phone) -> None:
    reply = phone.say("2 cs thums up 750 aur 0 box maggi 70g")
    assert "Thums Up 750ml PET: 2 cases" in reply


def test_a_rep_cannot_place_orders_for_themselves(client: TestClient) -> None:
    rep = Phone(client, number="+919600000001")
    reply = rep.say("2 cs thums up 750")
    assert "for retailers and distributors" in reply
    assert "YES" not in rep.say("yes")
    assert admin(client, "/api/orders")["count"] == 0
