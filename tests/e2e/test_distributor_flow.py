"""A retailer's order reaches its distributor, who accepts and dispatches it in chat; stock,
invoice and statement follow, and the console agrees to the paisa."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.conftest import ADMIN_TOKEN, Phone, admin, deliver

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def web(client: TestClient, party_id: str, text: str, payload: str | None = None
        ) -> list[dict[str, Any]]:
    res = client.post("/chat/messages", json={"party_id": party_id, "text": text,
                                              "payload": payload})
    assert res.status_code == 200, res.text
    replies: list[dict[str, Any]] = res.json()["replies"]
    return replies


def notices(client: TestClient, party_id: str) -> list[dict[str, Any]]:
    deliver(client)
    res = client.get("/chat/notices", params={"party_id": party_id})
    assert res.status_code == 200
    found: list[dict[str, Any]] = res.json()["replies"]
    return found


def receive(client: TestClient, sku: str, qty: int, unit: str = "case") -> None:
    res = client.post("/api/stock/receipts", headers=AUTH, json={
        "distributor_id": "D-001", "sku": sku, "qty": qty, "unit": unit, "ref": "GRN-1"})
    assert res.status_code == 201, res.text


def place(phone: Phone, text: str) -> str:
    phone.say(text)
    placed = phone.say("YES")
    number = re.search(r"ORD-\d{6}", placed)
    assert number, placed
    return number.group(0)


def test_order_is_accepted_dispatched_invoiced_and_stated(phone: Phone, client: TestClient
                                                          ) -> None:
    receive(client, "TU-750", 10)
    number = place(phone, "2 cs thums up 750")

    (new_order,) = notices(client, "D-001")
    assert number in new_order["text"] and "Sharma Kirana Store" in new_order["text"]
    payloads = [b["payload"] for b in new_order["buttons"]]
    assert payloads[0].startswith("ord:accept:")

    (accepted,) = web(client, "D-001", "Accept", payloads[0])
    assert "accepted" in accepted["text"]
    stock = admin(client, "/api/stock?distributor_id=D-001")["data"][0]
    assert (stock["on_hand"], stock["reserved"]) == (240, 48)
    told = notices(client, "R-0001")
    assert any("accepted" in n["text"] for n in told), told

    (dispatched,) = web(client, "D-001", "Dispatched", payloads[0].replace("accept", "dispatch"))
    assert "dispatched and invoiced (Rs 1,824.00)" in dispatched["text"]
    stock = admin(client, "/api/stock?distributor_id=D-001")["data"][0]
    assert (stock["on_hand"], stock["reserved"]) == (192, 0)
    told = notices(client, "R-0001")
    assert any("dispatched" in n["text"] and "INV-" in n["text"] for n in told)

    today = datetime.now(UTC).date().isoformat()
    statement = admin(client, f"/api/parties/R-0001/statement?from={today}&to={today}")
    assert statement["opening"] == "0.00" and statement["closing"] == "1824.00"
    (entry,) = statement["entries"]
    assert (entry["kind"], entry["debit"], entry["balance"]) == ("invoice", "1824.00",
                                                                 "1824.00")
    chat = "\n".join(r["text"] for r in web(client, "R-0001", "mera statement bhejo"))
    assert "Closing balance: Rs 1,824.00" in chat

    paid = client.post("/api/payments", headers=AUTH, json={
        "client_id": "pay-e2e-000001", "party_id": "R-0001", "amount": "1000.00",
        "date": today, "mode": "upi"})
    assert paid.status_code == 201
    again = client.post("/api/payments", headers=AUTH, json={
        "client_id": "pay-e2e-000001", "party_id": "R-0001", "amount": "1000.00",
        "date": today, "mode": "upi"})
    assert again.status_code == 200 and again.json()["id"] == paid.json()["id"]
    statement = admin(client, f"/api/parties/R-0001/statement?from={today}")
    assert statement["closing"] == "824.00"


def test_an_order_the_stock_cannot_cover_is_flagged_not_accepted(phone: Phone,
                                                                 client: TestClient) -> None:
    receive(client, "TU-750", 1)
    number = place(phone, "2 cs thums up 750")
    (new_order,) = notices(client, "D-001")
    assert "cannot cover" in new_order["text"]
    accept = new_order["buttons"][0]["payload"]
    (reply,) = web(client, "D-001", "Accept", accept)
    assert "short" in reply["text"] and "need 48 bottle, have 24" in reply["text"]
    order = admin(client, "/api/orders?party_id=R-0001")["data"][0]
    assert order["number"] == number and order["status"] == "placed"
    assert "short" in order["status_note"]


def test_two_dispatches_move_stock_once(phone: Phone, client: TestClient) -> None:
    receive(client, "SPRITE-750", 5)
    place(phone, "3 cs sprite 750")
    order_id = admin(client, "/api/orders")["data"][0]["id"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(
            lambda _: client.post(f"/api/orders/{order_id}/dispatch", headers=AUTH),
            range(6)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    assert sum(r.json()["changed"] for r in results) == 1
    stock = admin(client, "/api/stock?distributor_id=D-001")["data"][0]
    assert stock["on_hand"] == 5 * 24 - 3 * 24


def test_rejecting_asks_for_a_reason_and_tells_the_retailer(phone: Phone, client: TestClient
                                                            ) -> None:
    number = place(phone, "1 cs limca 750")
    (new_order,) = notices(client, "D-001")
    reject = new_order["buttons"][1]["payload"]
    (question,) = web(client, "D-001", "Reject", reject)
    assert "Why" in question["text"] and len(question["buttons"]) >= 3
    (done,) = web(client, "D-001", "shop is closed for diwali")
    assert f"{number} rejected" in done["text"]
    told = notices(client, "R-0001")
    assert any("shop is closed for diwali" in n["text"] for n in told)


def test_a_distributor_cannot_act_on_another_distributors_order(
        phone: Phone, client: TestClient, settings: Any) -> None:
    from domain.adapters.database import make_engine
    from domain.adapters.sql_uow import SqlUnitOfWork
    from domain.services.imports import import_parties

    engine = make_engine(settings.DATABASE_URL)
    import_parties(SqlUnitOfWork(engine), "id,role,name,phone\n"
                                          "D-002,distributor,Maruti Traders,+919700000002\n")
    engine.dispose()
    place(phone, "1 cs limca 750")
    order_id = admin(client, "/api/orders")["data"][0]["id"]
    (reply,) = web(client, "D-002", "Accept", f"ord:accept:{order_id}")
    assert "not yours" in reply["text"]
    assert admin(client, "/api/orders")["data"][0]["status"] == "placed"


def test_a_distributor_orders_stock_from_the_company(client: TestClient) -> None:
    reply = "\n".join(r["text"] for r in web(client, "D-001", "order 50 cs maggi 70g from company"))
    assert "Maggi" in reply and "50 cases" in reply
    placed = "\n".join(r["text"] for r in web(client, "D-001", "YES"))
    assert "ORD-" in placed
    order = admin(client, "/api/orders?party_id=D-001")["data"][0]
    assert order["kind"] == "primary" and order["distributor_id"] is None
    # Only the company ships it: the distributor's own tap must not credit its stock.
    for action in ("dispatch", "accept", "reject"):
        (refused,) = web(client, "D-001", "tap", f"ord:{action}:{order['id']}:not needed")
        assert "not yours" in refused["text"]
    assert all(s["sku"] != "MAGGI-70G"
               for s in admin(client, "/api/stock?distributor_id=D-001")["data"])
    assert admin(client, "/api/orders?party_id=D-001")["data"][0]["status"] == "placed"
    res = client.post(f"/api/orders/{order['id']}/dispatch", headers=AUTH)
    assert res.status_code == 200
    stock = admin(client, "/api/stock?distributor_id=D-001")["data"]
    assert {s["sku"]: s["on_hand"] for s in stock}["MAGGI-70G"] == 50 * 96


def test_on_whatsapp_a_distributor_types_the_order_commands_it_is_offered(
        phone: Phone, client: TestClient) -> None:
    receive(client, "LIMCA-750", 5)
    number = place(phone, "1 cs limca 750")
    order_id = int(number.removeprefix("ORD-"))
    # D-001, on Twilio: no buttons to tap. Its message ids must not repeat the shop's.
    desk = Phone(client, number="+919700000001", sent=1000)
    cards = desk.say("my orders")
    assert f"ACCEPT {order_id}" in cards and f"REJECT {order_id}" in cards
    asked = desk.say(f"reject {order_id}")
    assert f"Why are you rejecting {number}" in asked and f"REJECT {order_id} Out of stock" in asked
    assert "Please type the reason in words" in desk.say("1")
    # A command is not a reason: the question is dropped and the command answered.
    assert number in desk.say("my orders")
    assert admin(client, "/api/orders")["data"][0]["status"] == "placed"
    assert f"{number} accepted" in desk.say(f"accept {order_id}")
    desk.say(f"Reject {number}")
    assert f"{number} rejected (stock went bad)" in desk.say("stock went bad")
    assert admin(client, "/api/orders")["data"][0]["status"] == "rejected"


def test_a_dispatch_from_the_console_raises_stock_alerts_as_one_from_chat_does(
        phone: Phone, client: TestClient) -> None:
    receive(client, "LIMCA-750", 1)
    place(phone, "1 cs limca 750")
    order_id = admin(client, "/api/orders")["data"][0]["id"]
    assert client.post(f"/api/orders/{order_id}/dispatch", headers=AUTH).status_code == 200
    alerts = [n["text"] for n in notices(client, "D-001") if "Stock alert" in n["text"]]
    assert alerts and "Limca" in alerts[0]
