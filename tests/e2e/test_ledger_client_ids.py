"""A client id names one ledger entry: a retry of the same request gets it back, a different
request with it is a 409, and the ids the system posts under are not the console's to use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.conftest import ADMIN_TOKEN, Phone, admin

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TODAY = datetime.now(UTC).date().isoformat()


def payment(client_id: str, party_id: str = "R-0001", amount: str = "500.00") -> dict[str, Any]:
    return {"client_id": client_id, "party_id": party_id, "amount": amount, "date": TODAY}


def test_a_client_id_reused_for_another_entry_is_a_conflict(client: TestClient) -> None:
    first = client.post("/api/payments", headers=AUTH, json=payment("pay-000000001"))
    assert first.status_code == 201
    retry = client.post("/api/payments", headers=AUTH, json=payment("pay-000000001"))
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    for path, body in (
        ("/api/payments", payment("pay-000000001", amount="600.00")),
        ("/api/payments", payment("pay-000000001", party_id="R-0002")),
        ("/api/notes", {**payment("pay-000000001"), "kind": "credit_note"}),
        (f"/api/ledger/{first.json()['id']}/reverse",
         {"client_id": "pay-000000001", "reason": "typo", "date": TODAY}),
    ):
        res = client.post(path, headers=AUTH, json=body)
        assert res.status_code == 409, (path, res.text)
        assert "already used for entry" in res.json()["detail"]
    statement = admin(client, "/api/parties/R-0001/statement?from=2000-01-01")
    assert [e["ref"] for e in statement["entries"] if e["kind"] != "invoice"].count(
        "PAY-pay-000000001") == 1
    reversal = {"client_id": "rev-000000001", "reason": "typo", "date": TODAY}
    entry = first.json()["id"]
    assert client.post(f"/api/ledger/{entry}/reverse", headers=AUTH,
                       json=reversal).status_code == 201
    assert client.post(f"/api/ledger/{entry}/reverse", headers=AUTH,
                       json=reversal).status_code == 200


def test_the_systems_client_ids_are_refused_and_cannot_block_an_invoice(
        client: TestClient, phone: Phone) -> None:
    for client_id in ("invoice:1", "qps:QPS-LIMCA:R-0001"):
        res = client.post("/api/payments", headers=AUTH, json=payment(client_id))
        assert res.status_code == 422, res.text
        assert "the system's own" in res.text
    client.post("/api/stock/receipts", headers=AUTH, json={
        "distributor_id": "D-001", "sku": "TU-750", "qty": 20, "unit": "case", "ref": "G1"})
    phone.say("2 cs thums up 750")
    phone.say("YES")
    order_id = admin(client, "/api/orders")["data"][0]["id"]
    assert client.post(f"/api/orders/{order_id}/dispatch", headers=AUTH).status_code == 200


def test_entries_are_dated_between_the_ledgers_first_day_and_today(client: TestClient) -> None:
    for day in ("0202-11-20", "1999-12-31", "9026-11-01"):
        res = client.post("/api/payments", headers=AUTH,
                          json={**payment(f"pay-date-{day}"), "date": day})
        assert res.status_code == 422, (day, res.text)
    paid = client.post("/api/payments", headers=AUTH, json=payment("pay-dated-0001"))
    res = client.post(f"/api/ledger/{paid.json()['id']}/reverse", headers=AUTH,
                      json={"client_id": "rev-dated-0001", "reason": "typo",
                            "date": "9026-11-01"})
    assert res.status_code == 422 and "future" in res.text
