"""The console's first slice and the web chat."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import ADMIN_TOKEN


def test_healthz_answers_when_the_stores_do(client: TestClient) -> None:
    res = client.get("/healthz")
    assert res.status_code == 200 and res.json()["status"] == "ok"


def test_the_console_needs_a_valid_bearer_token(client: TestClient) -> None:
    assert client.get("/api/orders").status_code == 401
    bad = {"Authorization": "Bearer not-the-token"}
    assert client.get("/api/orders", headers=bad).status_code == 401
    good = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/api/orders", headers=good).json() == {"data": [], "count": 0}
    assert client.get("/api/orders/999", headers=good).status_code == 404
    assert client.get("/api/orders?status=bogus", headers=good).status_code == 422


def test_openapi_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/orders", "/api/orders/{order_id}", "/webhooks/twilio", "/healthz"} <= set(paths)


def test_web_chat_talks_through_the_same_dialogue_with_buttons(client: TestClient) -> None:
    page = client.get("/chat")
    assert page.status_code == 200 and "Talk as" in page.text
    parties = client.get("/chat/parties").json()
    assert "R-0001" in {p["id"] for p in parties["data"]}

    res = client.post("/chat/messages", json={"party_id": "R-0001", "text": "2 cs coke 750"})
    assert res.status_code == 200
    reply = res.json()["replies"][0]
    assert "Coca-Cola 750ml PET" in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["yes", "cancel"]

    res = client.post("/chat/messages", json={"party_id": "R-0001", "text": "YES, confirm",
                                              "payload": "yes"})
    assert "ORD-" in res.json()["replies"][0]["text"]


def test_web_chat_refuses_unknown_parties(client: TestClient) -> None:
    res = client.post("/chat/messages", json={"party_id": "R-9999", "text": "hi"})
    assert res.status_code == 404


def test_console_tokens_by_role_and_revocation(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from domain.adapters.database import make_engine
    from domain.adapters.sql_uow import SqlUnitOfWork
    from domain.services.console_tokens import create_token, revoke_token

    engine = make_engine(settings.DATABASE_URL)
    token_id, token = create_token(SqlUnitOfWork(engine), "read-only")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/orders", headers=headers).status_code == 200
    revoke_token(SqlUnitOfWork(engine), token_id)
    assert client.get("/api/orders", headers=headers).status_code == 401
    engine.dispose()
