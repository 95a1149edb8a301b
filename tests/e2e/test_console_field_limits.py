"""The console refuses values the tables cannot store (a NUL character, too long a name, money
past NUMERIC(14,2)) with a 422 and its reason, on SQLite and on PostgreSQL alike: never a 500,
and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ADMIN_TOKEN, admin

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TODAY = datetime.now(UTC).date().isoformat()


def scheme(**overrides: Any) -> dict[str, Any]:
    return {"id": "SPRITE-8", "name": "Sprite 750: 5 cases 8% off", "kind": "discount",
            "scope": {"skus": ["SPRITE-750"]},
            "slabs": [{"min_qty": 5, "unit": "case", "percent": 8}], **overrides}


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"id": "SPRITE\x008"}, "id", "must not contain a NUL character"),
    ({"name": "Sprite\x00 8% off"}, "name", "must not contain a NUL character"),
    ({"name": "S" * 301}, "name", "must be at most 300 characters (got 301)"),
    ({"audience": {"regions": ["no\x00rth"]}}, "audience.regions[0]",
     "must not contain a NUL character"),
    ({"slabs": [{"min_qty": 5, "unit": "case", "amount_off": 10**13}]}, "slabs[0].amount_off",
     "must have at most 12 digits before the decimal point"),
])
def test_a_scheme_the_tables_cannot_hold_gets_422_with_the_reason(
        client: TestClient, overrides: dict[str, Any], field: str, reason: str) -> None:
    res = client.post("/api/schemes", headers=AUTH, json=scheme(**overrides))
    assert res.status_code == 422, res.text
    assert res.json()["detail"] == {"field": field, "reason": reason}
    if field != "id":
        edited = client.put("/api/schemes/TU-5", headers=AUTH,
                            json=scheme(**{**overrides, "id": "TU-5"}))
        assert edited.status_code == 422, edited.text
        assert edited.json()["detail"] == {"field": field, "reason": reason}
    names = {s["id"]: s["name"] for s in admin(client, "/api/schemes")["data"]}
    assert names == {"TU-5": "Thums Up 750: 10 cases or more, 5% off"}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/payments", {"client_id": "pay-nul-000001", "party_id": "R-0001", "amount": "10.00",
                       "date": TODAY, "narration": "cash\x00"}, "narration"),
    ("/api/payments", {"client_id": "pay-nul-000002", "party_id": "R-0001",
                       "amount": "1234567890123", "date": TODAY}, "amount"),
    ("/api/payments", {"client_id": "pay-nul-000003", "party_id": "R-0001", "amount": "10.005",
                       "date": TODAY}, "amount"),
    ("/api/notes", {"client_id": "note-nul-00001", "party_id": "R-0001", "kind": "credit_note",
                    "amount": "5.00", "date": TODAY, "ref": "CN\x001"}, "ref"),
    ("/api/stock/receipts", {"distributor_id": "D-001", "sku": "TU-750", "qty": 1,
                             "unit": "case", "ref": "GRN\x001"}, "ref"),
])
def test_money_and_text_the_tables_cannot_hold_get_422_not_500(
        client: TestClient, path: str, body: dict[str, Any], field: str) -> None:
    res = client.post(path, headers=AUTH, json=body)
    assert res.status_code == 422, res.text
    assert [e["loc"][-1] for e in res.json()["detail"]] == [field]
    statement = admin(client, f"/api/parties/R-0001/statement?from={TODAY}")
    assert statement["entries"] == []
    assert admin(client, "/api/stock?distributor_id=D-001")["count"] == 0


def test_a_scheme_id_with_a_nul_in_the_url_gets_400(client: TestClient) -> None:
    body = scheme()
    del body["id"]  # taken from the URL
    res = client.put("/api/schemes/TU%00-5", headers=AUTH, json=body)
    assert res.status_code == 400, res.text  # the edge turns away any URL with a NUL
    assert res.json() == {"detail": "the URL must not contain a NUL character"}


@pytest.mark.parametrize("body", [
    {"party_id": "R-00\x0001", "text": "hi"},
    {"party_id": "R-0001", "text": "hi", "message_id": "m\x001"},
])
def test_a_web_chat_message_the_tables_cannot_hold_gets_422_not_500(
        client: TestClient, body: dict[str, Any]) -> None:
    res = client.post("/chat/messages", json=body)
    assert res.status_code == 422, res.text
    assert "NUL" in res.text
