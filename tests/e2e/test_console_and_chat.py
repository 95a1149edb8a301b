"""The console's first slice and the web chat."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import ADMIN_TOKEN, Phone, admin


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


def test_empty_filters_mean_none_and_stock_needs_a_distributor(client: TestClient,
                                                               phone: Phone) -> None:
    phone.say("2 cs thums up 750")
    phone.say("YES")
    everything = admin(client, "/api/orders")
    assert admin(client, "/api/orders?party_id=&status=") == everything
    assert everything["count"] >= 1
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for who in ("nope", "R-0001"):  # no such party; a retailer
        res = client.get(f"/api/stock?distributor_id={who}", headers=auth)
        assert res.status_code == 404 and "no distributor" in res.text


def test_text_in_a_csv_cannot_become_a_spreadsheet_formula() -> None:
    from domain.services.csv_cells import safe_cell

    assert [safe_cell(t) for t in ("=HYPERLINK(\"x\")", "+1+1", "-3+4", "@SUM(A1)", "UPI ref",
                                   "\tx")] == ["'=HYPERLINK(\"x\")", "'+1+1", "'-3+4",
                                              "'@SUM(A1)", "UPI ref", "'\tx"]
