"""Bad input over WhatsApp: a clear reply each time, nothing half-written, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from domain.services.imports import import_catalog
from tests.e2e.conftest import ADMIN_TOKEN, Phone, admin, services_of


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


HEADER = "sku,name,brand,category,base_unit,pack_units,default_unit,price,mrp,aliases\n"
# A catalog typo: a price per bottle that should have been per pallet, and a 100,000-gram bag.
ABSURD = ("GOLD-1,Gold Bar Cola,Gold,Beverages,bottle,case=24,case,99999999999.00,"
          "99999999999.00,gold cola\n"
          "SALT-50,Bulk Salt 50kg,Salty,Staples,gram,bag=100000,bag,0.01,0.02,bulk salt\n")


def test_an_order_line_past_what_an_order_can_hold_is_refused_politely(
        phone: Phone, client: TestClient) -> None:
    """On PostgreSQL such a line would fail at COMMIT with NUMERIC overflow; it is refused as it
    is typed instead, and the draft keeps its good lines."""
    import_catalog(services_of(client).uow(), HEADER + ABSURD)
    reply = phone.say("2 cs thums up 750 aur 2 cs gold cola")
    assert "more than one order line can hold" in reply, reply
    assert "Thums Up 750ml PET: 2 cases" in reply
    assert "placed" in phone.say("YES").lower()
    assert admin(client, "/api/orders")["count"] == 1


def test_a_stock_receipt_past_what_stock_can_hold_is_a_422(client: TestClient) -> None:
    import_catalog(services_of(client).uow(), HEADER + ABSURD)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    body = {"distributor_id": "D-001", "sku": "SALT-50", "qty": 30_000, "unit": "bag",
            "ref": "GRN-1"}
    res = client.post("/api/stock/receipts", headers=auth, json=body)
    assert res.status_code == 422, res.text
    assert "more than 2,147,483,647 grams" in res.json()["detail"]
    assert admin(client, "/api/stock?distributor_id=D-001")["count"] == 0
    body["qty"] = 20_000  # 2e9 grams: fits
    assert client.post("/api/stock/receipts", headers=auth, json=body).status_code == 201
