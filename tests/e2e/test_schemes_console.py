"""Schemes in the console: validated edits, a simulator, frozen orders, period schemes settled
once, and the distributor's claim report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from api.settings import Settings
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.model.order import Order, OrderLine, OrderStatus
from tests.e2e.conftest import ADMIN_TOKEN, Phone, admin

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TODAY = datetime.now(UTC).date()


def scheme(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "SPRITE-8", "name": "Sprite 750: 5 cases 8% off", "kind": "discount",
        "scope": {"skus": ["SPRITE-750"], "brands": [], "categories": []},
        "audience": {"roles": ["retailer"], "regions": [], "parties": []},
        "valid": {"from": (TODAY - timedelta(days=5)).isoformat(),
                  "to": (TODAY + timedelta(days=25)).isoformat()},
        "pooled": False, "slabs": [{"min_qty": 5, "unit": "case", "percent": 8}],
        "stackable": False, "priority": 0}
    body.update(overrides)
    return body


def test_a_bad_scheme_gets_422_naming_the_field(client: TestClient) -> None:
    res = client.post("/api/schemes", headers=AUTH,
                      json=scheme(slabs=[{"min_qty": 5, "unit": "case", "percent": 180}]))
    assert res.status_code == 422
    assert res.json()["detail"]["field"] == "slabs[0].percent"
    res = client.post("/api/schemes", headers=AUTH,
                      json=scheme(scope={"skus": ["NOPE"], "brands": [], "categories": []}))
    assert res.status_code == 422 and res.json()["detail"]["field"] == "scope.skus[0]"
    res = client.post("/api/schemes", headers=AUTH, json=scheme(kind="lottery"))
    assert res.status_code == 422 and res.json()["detail"]["field"] == "kind"


def test_create_edit_deactivate_and_the_chat_follows(client: TestClient, phone: Phone) -> None:
    assert client.post("/api/schemes", headers=AUTH, json=scheme()).status_code == 201
    assert client.post("/api/schemes", headers=AUTH, json=scheme()).status_code == 409
    assert "8% off" in phone.say("offers")
    assert "you save Rs 364.80" in phone.say("5 cs sprite 750")  # 5 x 912.00 x 8%

    edited = client.put("/api/schemes/SPRITE-8", headers=AUTH,
                        json=scheme(name="Sprite 750: 5 cases 10% off",
                                    slabs=[{"min_qty": 5, "unit": "case", "percent": 10}]))
    assert edited.status_code == 200
    assert "you save Rs 456.00" in phone.say("make sprite 5")

    off = client.post("/api/schemes/SPRITE-8/deactivate", headers=AUTH)
    assert off.status_code == 200 and off.json()["active"] is False
    assert "you save" not in phone.say("make sprite 5")
    listed = admin(client, "/api/schemes?active=true")
    assert "SPRITE-8" not in {s["id"] for s in listed["data"]}


def test_the_simulator_explains_applied_and_missed_schemes(client: TestClient) -> None:
    client.post("/api/schemes", headers=AUTH, json=scheme())
    res = client.post("/api/schemes/simulate", headers=AUTH, json={
        "party_id": "R-0001", "lines": [{"sku": "SPRITE-750", "qty": 3, "unit": "case"},
                                        {"sku": "TU-750", "qty": 12, "unit": "case"}]})
    assert res.status_code == 200, res.text
    body = res.json()
    sprite, tu = body["lines"]
    assert sprite["applied"] == []
    assert sprite["not_applied"][0]["code"] == "threshold_not_reached"
    assert [a["scheme"] for a in tu["applied"]] == ["TU-5"]
    assert {n["scheme"] for n in body["nudges"]} == {"SPRITE-8"}
    bad = client.post("/api/schemes/simulate", headers=AUTH,
                      json={"lines": [{"sku": "NOPE", "qty": 1}]})
    assert bad.status_code == 422


def test_a_placed_order_keeps_the_prices_it_was_confirmed_with(client: TestClient,
                                                               phone: Phone) -> None:
    phone.say("10 cs thums up 750")
    phone.say("YES")
    before = admin(client, "/api/orders")["data"][0]
    assert before["totals"]["discount"] == "456.00"
    tu = admin(client, "/api/schemes/TU-5")
    tu["slabs"] = [{"min_qty": 10, "unit": "case", "percent": 20}]
    assert client.put("/api/schemes/TU-5", headers=AUTH, json=tu).status_code == 200
    after = admin(client, f"/api/orders/{before['id']}")
    assert after["totals"] == before["totals"] and after["lines"] == before["lines"]


def deliver_orders(settings: Settings, party_id: str, sku: str, cases: list[int],
                   day: date) -> None:
    engine = make_engine(settings.DATABASE_URL)
    with SqlUnitOfWork(engine) as uow:
        product = uow.products.get(sku)
        assert product is not None
        for n in cases:
            gross = product.price * 24 * n
            line = OrderLine(sku=sku, name=product.name, qty=Decimal(n), unit="case",
                             qty_base=24 * n, unit_price=product.price * 24, gross=gross,
                             discount=Decimal("0.00"), net=gross)
            uow.orders.add(Order(party_id=party_id, distributor_id="D-001", lines=[line],
                                 gross=gross, discount=Decimal("0.00"), net=gross,
                                 created_at=datetime(day.year, day.month, day.day, 10,
                                                     tzinfo=UTC),
                                 status=OrderStatus.DELIVERED))
        uow.commit()
    engine.dispose()


def test_a_period_scheme_shows_progress_and_is_settled_once(
        client: TestClient, phone: Phone, settings: Settings) -> None:
    start, end = TODAY - timedelta(days=40), TODAY - timedelta(days=10)
    qps = scheme(id="QPS-LIMCA", name="Limca 750: 10 cases in the month, 2% back",
                 cumulative=True, scope={"skus": ["LIMCA-750"], "brands": [], "categories": []},
                 valid={"from": start.isoformat(), "to": end.isoformat()},
                 slabs=[{"min_qty": 10, "unit": "case", "percent": 2}])
    assert client.post("/api/schemes", headers=AUTH, json=qps).status_code == 201
    deliver_orders(settings, "R-0001", "LIMCA-750", [4, 7], start + timedelta(days=3))
    deliver_orders(settings, "R-0002", "LIMCA-750", [3], start + timedelta(days=3))

    settled = client.post("/api/schemes/QPS-LIMCA/settle", headers=AUTH).json()
    # R-0001: 11 cases x 24 x 38.00 = 10,032.00; 2% = 200.64. R-0002 has 3 cases: nothing.
    assert settled == [{"party_id": "R-0001", "amount": "200.64", "created": True}]
    again = client.post("/api/schemes/QPS-LIMCA/settle", headers=AUTH).json()
    assert again == [{"party_id": "R-0001", "amount": "200.64", "created": False}]
    statement = admin(client, f"/api/parties/R-0001/statement?from={start.isoformat()}")
    assert [(e["kind"], e["credit"]) for e in statement["entries"]] == [
        ("credit_note", "200.64")]

    running = scheme(id="QPS-RUN", name="Limca this month", cumulative=True,
                     scope={"skus": ["LIMCA-750"], "brands": [], "categories": []},
                     slabs=[{"min_qty": 50, "unit": "case", "percent": 2}])
    assert client.post("/api/schemes", headers=AUTH, json=running).status_code == 201
    deliver_orders(settings, "R-0001", "LIMCA-750", [34], TODAY - timedelta(days=1))
    assert "34 of 50 cases so far" in phone.say("2 cs limca 750")
    early = client.post("/api/schemes/QPS-RUN/settle", headers=AUTH)
    assert early.status_code == 422


def test_claims_report_what_the_distributor_gave_away(client: TestClient, phone: Phone) -> None:
    colgate = scheme(id="COLGATE-12+1", name="Colgate: a tube free with every dozen",
                     kind="free_goods", scope={"skus": ["COLGATE-ST-100"], "brands": [],
                                               "categories": []},
                     slabs=[{"min_qty": 1, "unit": "dozen", "free_qty": 1, "recursive": True}])
    assert client.post("/api/schemes", headers=AUTH, json=colgate).status_code == 201
    client.post("/api/stock/receipts", headers=AUTH, json={
        "distributor_id": "D-001", "sku": "TU-750", "qty": 20, "unit": "case", "ref": "G1"})
    client.post("/api/stock/receipts", headers=AUTH, json={
        "distributor_id": "D-001", "sku": "COLGATE-ST-100", "qty": 10, "unit": "dozen",
        "ref": "G2"})
    phone.say("10 cs thums up 750 aur 3 dozen colgate strong teeth 100g")
    phone.say("YES")
    order_id = admin(client, "/api/orders")["data"][0]["id"]
    assert client.post(f"/api/orders/{order_id}/dispatch", headers=AUTH).status_code == 200
    today = TODAY.isoformat()
    report = admin(client, f"/api/claims/schemes?distributor_id=D-001&from={today}&to={today}")
    by_id = {c["scheme_id"]: c for c in report["data"]}
    assert by_id["TU-5"]["discount"] == "456.00" and by_id["TU-5"]["orders"] == 1
    colgate_claim = by_id["COLGATE-12+1"]
    assert colgate_claim["free_units"] == {"COLGATE-ST-100": 3}
    assert Decimal(colgate_claim["free_value"]) > 0
    # Counted once, as free goods: the paid line's saving for them is no discount.
    assert colgate_claim["discount"] == "0.00"
    assert colgate_claim["total"] == colgate_claim["free_value"]
    csv_text = client.get(f"/api/claims/schemes?distributor_id=D-001&from={today}&to={today}"
                          "&format=csv", headers=AUTH).text
    assert csv_text.startswith("scheme,orders,discount,free_goods,free_value,claim")


def test_inline_schemes_past_the_limits_are_refused_before_pricing(client: TestClient) -> None:
    lines = [{"sku": "TU-750", "qty": 10, "unit": "case"}]
    for slab, field in (({"min_qty": 1e300, "percent": 5}, "schemes[0].slabs[0].min_qty"),
                        ({"min_qty": 1e-300, "percent": 5}, "schemes[0].slabs[0].min_qty")):
        res = client.post("/api/schemes/simulate", headers=AUTH, json={
            "lines": lines, "schemes": [{"id": "A", "kind": "discount", "recursive": True,
                                         "scope": {"skus": ["TU-750"]}, "slabs": [slab]}]})
        assert res.status_code == 422, res.text
        assert res.json()["detail"]["field"] == field


def test_a_scheme_giving_more_free_goods_than_a_line_holds_is_a_polite_refusal(
        client: TestClient, phone: Phone) -> None:
    flood = scheme(id="TU-FLOOD", name="Thums Up: a flood", kind="free_goods",
                   scope={"skus": ["TU-750"], "brands": [], "categories": []},
                   slabs=[{"min_qty": 1, "unit": "case", "free_qty": 99_999_999_999,
                           "recursive": True}])
    assert client.post("/api/schemes", headers=AUTH, json=flood).status_code == 201
    reply = phone.say("2 cs thums up 750")
    assert "more free goods than one order line can hold" in reply
    assert "Thums Up: a flood" in reply


def test_a_settlement_too_large_for_one_party_credits_no_one(
        client: TestClient, settings: Settings) -> None:
    start, end = TODAY - timedelta(days=40), TODAY - timedelta(days=10)
    deliver_orders(settings, "R-0001", "LIMCA-750", [1], start + timedelta(days=3))
    deliver_orders(settings, "R-0002", "LIMCA-750", [2], start + timedelta(days=3))
    window = {"from": start.isoformat(), "to": end.isoformat()}
    scope = {"skus": ["LIMCA-750"], "brands": [], "categories": []}
    # Paid as the free goods' value: 2,000,000 bottles at 38.00 (R-0001, one case) is within
    # what one ledger entry takes, twice that (R-0002, two) is not: nothing may be written.
    huge = scheme(id="QPS-HUGE", name="Limca: a fortune", kind="free_goods", cumulative=True,
                  scope=scope, valid=window, recursive=True,
                  slabs=[{"min_qty": 24, "unit": "bottle", "free_qty": 2_000_000}])
    assert client.post("/api/schemes", headers=AUTH, json=huge).status_code == 201
    res = client.post("/api/schemes/QPS-HUGE/settle", headers=AUTH)
    assert res.status_code == 422 and "nothing was settled" in res.json()["detail"]
    for party in ("R-0001", "R-0002"):
        statement = admin(client, f"/api/parties/{party}/statement?from={start.isoformat()}")
        assert statement["entries"] == []
    # Money off a bottle stops at what the bottles were worth: 1 case x 24 x 38.00.
    rich = scheme(id="QPS-RICH", name="Limca: 50 off a bottle", cumulative=True, scope=scope,
                  valid=window, slabs=[{"min_qty": 1, "unit": "bottle", "amount_off": 50}])
    assert client.post("/api/schemes", headers=AUTH, json=rich).status_code == 201
    settled = {s["party_id"]: s["amount"]
               for s in client.post("/api/schemes/QPS-RICH/settle", headers=AUTH).json()}
    assert settled == {"R-0001": "912.00", "R-0002": "1824.00"}
