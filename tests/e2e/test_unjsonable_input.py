"""Values JSON cannot carry back (NaN, Infinity, a number past a float, a lone surrogate) and
bodies past the size limit get a 4xx with the reason, never a 500: on the console, and on the
web chat, which needs no token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import MAX_BODY_BYTES
from tests.e2e.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
CHAT = {"Content-Type": "application/json"}
PAYMENT = ('{"client_id": "pay-odd-000001", "party_id": "R-0001", "date": "2026-11-28", '
           '"amount": %s, "narration": %s}')


@pytest.mark.parametrize(("path", "headers", "raw"), [
    ("/api/payments", AUTH, PAYMENT % ("NaN", '"cash"')),
    ("/api/payments", AUTH, PAYMENT % ("Infinity", '"cash"')),
    ("/api/payments", AUTH, PAYMENT % ("1e400", '"cash"')),
    ("/api/payments", AUTH, PAYMENT % ('"10.00"', '"\\ud800"')),
    ("/api/stock/receipts", AUTH, '{"distributor_id": "D-001", "sku": "TU-750", "qty": NaN}'),
    ("/chat/messages", CHAT, '{"party_id": "R-0001", "text": "\\ud800"}'),
    ("/chat/messages", CHAT, '{"party_id": "R-0001", "payload": "\\ud83d"}'),
    ("/chat/messages", CHAT, '{"party_id": "R-0001", "text": NaN}'),
])
def test_a_value_json_cannot_echo_is_a_422_not_a_500(
        client: TestClient, path: str, headers: dict[str, str], raw: str) -> None:
    res = client.post(path, content=raw.encode(), headers=headers)
    assert res.status_code == 422, res.text
    assert res.json()["detail"]  # the reason, readable as JSON


def test_a_body_past_the_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    big = b'{"party_id": "R-0001", "text": "' + b"x" * MAX_BODY_BYTES + b'"}'
    assert client.post("/chat/messages", content=big, headers=CHAT).status_code == 413
    res = client.post("/api/payments", content=big, headers={"Content-Type": "application/json"})
    assert res.status_code == 413
