"""Who may do what: every console endpoint x console role, and every chat intent x party kind.

The expected answers are written here by hand from the intended policy, never derived from the
code: reads are open to admin, manager and read-only; writes (payments, notes, reversals, order
accept/reject/dispatch, stock receipts, alerts, scheme edits and settlements) to admin and
manager only; no token or a bad one is 401. In chat a party only ever sees and acts on its own
things: there is no way to name another party. Every new endpoint or intent adds its row here;
`test_every_console_endpoint_has_a_row_for_every_role` fails until it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.services.console_tokens import create_token, revoke_token
from domain.services.imports import import_parties, import_schemes
from tests.e2e.conftest import ADMIN_TOKEN, Phone, admin, services_of

# -- console ---------------------------------------------------------------------------------

NONE, BAD, READ, MANAGER, ADMIN = "none", "bad", "read-only", "manager", "admin"
ROLES = (NONE, BAD, READ, MANAGER, ADMIN)  # each row's cells run in this order


def reads(status: int = 200) -> dict[str, int]:
    return {NONE: 401, BAD: 401, READ: status, MANAGER: status, ADMIN: status}


def writes(status: int = 200) -> dict[str, int]:
    return {NONE: 401, BAD: 401, READ: 403, MANAGER: status, ADMIN: status}


TODAY = datetime.now(UTC).date().isoformat()
SCHEME = {"name": "Limca 750: 5 cases or more, 3% off", "kind": "discount",
          "scope": {"skus": ["LIMCA-750"]}, "audience": {"roles": ["retailer"]},
          "slabs": [{"min_qty": 5, "unit": "case", "percent": 3}]}
PERIOD_SCHEME = """[{"id": "QPS-2024", "name": "Thums Up October 2024: 50 cases, 2% back",
  "kind": "discount", "cumulative": true, "scope": {"skus": ["TU-750"]},
  "audience": {"roles": ["retailer"]}, "valid": {"from": "2024-10-01", "to": "2024-10-31"},
  "slabs": [{"min_qty": 50, "unit": "case", "percent": 2}]}]"""

# (method, path, JSON body, expected status by role). "{role}" in a path or body becomes the
# caller's role, so that what each caller creates is its own (one scheme id, one client id).
# Setup (below) makes: order 1 (R-0001) and order 2 (R-0002), both placed; ledger entries 1
# and 2 (payments by R-0001); 50 cases of TU-750 at D-001; schemes TU-5 and QPS-2024 (ended).
CONSOLE: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    # orders
    ("GET", "/api/orders", None, reads()),
    ("GET", "/api/orders?party_id=R-0002&status=placed", None, reads()),
    ("GET", "/api/orders/1", None, reads()),
    ("POST", "/api/orders/1/accept", None, writes()),  # the second accept is a no-op: 200
    ("POST", "/api/orders/1/dispatch", None, writes()),
    ("POST", "/api/orders/2/reject", {"reason": "Outlet closed"}, writes()),
    # money
    ("POST", "/api/payments", {"client_id": "pay-matrix-{role}", "party_id": "R-0001",
                               "amount": "100.00", "date": TODAY, "mode": "upi"}, writes(201)),
    ("POST", "/api/notes", {"client_id": "note-matrix-{role}", "party_id": "R-0001",
                            "kind": "credit_note", "amount": "50.00", "date": TODAY},
     writes(201)),
    # An entry is reversed once, so the manager and the admin each reverse their own.
    ("POST", "/api/ledger/1/reverse", {"client_id": "rev-matrix-{role}",
                                       "reason": "entered twice", "date": TODAY},
     {NONE: 401, BAD: 401, READ: 403, MANAGER: 201}),
    ("POST", "/api/ledger/2/reverse", {"client_id": "rev-matrix-{role}",
                                       "reason": "entered twice", "date": TODAY},
     {NONE: 401, BAD: 401, READ: 403, ADMIN: 201}),
    ("GET", "/api/parties/R-0001/statement?from=2020-01-01", None, reads()),
    # stock
    ("GET", "/api/stock?distributor_id=D-001", None, reads()),
    ("POST", "/api/stock/receipts", {"distributor_id": "D-001", "sku": "TU-750", "qty": 5,
                                     "unit": "case", "ref": "GRN-{role}"}, writes(201)),
    ("POST", "/api/stock/alerts/run?distributor_id=D-001", None, writes()),
    # schemes
    ("GET", "/api/schemes", None, reads()),
    ("GET", "/api/schemes/TU-5", None, reads()),
    ("POST", "/api/schemes", {"id": "MX-{role}", **SCHEME}, writes(201)),
    ("PUT", "/api/schemes/TU-5", {"name": "Thums Up 750: 10 cases or more, 6% off",
                                  "kind": "discount", "scope": {"skus": ["TU-750"]},
                                  "audience": {"roles": ["retailer"]},
                                  "slabs": [{"min_qty": 10, "unit": "case", "percent": 6}]},
     writes()),
    ("POST", "/api/schemes/TU-5/deactivate", None, writes()),
    # Pricing a sample order changes nothing: a read.
    ("POST", "/api/schemes/simulate", {"lines": [{"sku": "TU-750", "qty": 10, "unit": "case"}],
                                       "party_id": "R-0001"}, reads()),
    ("POST", "/api/schemes/QPS-2024/settle", None, writes()),
    ("GET", "/api/claims/schemes?distributor_id=D-001&from=2020-01-01&to=2030-12-31", None,
     reads()),
]


def with_role(value: Any, role: str) -> Any:
    if isinstance(value, str):
        return value.replace("{role}", role)
    if isinstance(value, dict):
        return {k: with_role(v, role) for k, v in value.items()}
    return value


def template_of(path: str, templates: list[str]) -> str | None:
    bare = path.split("?")[0]
    for template in templates:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), bare):
            return template
    return None


def test_every_console_endpoint_has_a_row_for_every_role() -> None:
    app = create_app(Settings(DATABASE_URL="sqlite://", ADMIN_API_TOKEN=ADMIN_TOKEN))
    spec = app.openapi()["paths"]
    # Exact paths first, so /api/schemes/simulate is not taken for /api/schemes/{scheme_id}.
    templates = sorted((p for p in spec if p.startswith("/api/")), key=lambda p: p.count("{"))
    covered: dict[tuple[str, str], set[str]] = {}
    for method, path, _, expected in CONSOLE:
        template = template_of(path, templates)
        assert template is not None, f"{method} {path} is not in the OpenAPI spec"
        covered.setdefault((method, template), set()).update(expected)
    operations = {(m.upper(), p) for p in templates for m in spec[p]}
    missing = sorted(f"{m} {p}: {', '.join(sorted(set(ROLES) - covered.get((m, p), set())))}"
                     for m, p in operations if covered.get((m, p), set()) != set(ROLES))
    assert not missing, "console endpoints without a row for every role:\n" + "\n".join(missing)


@pytest.fixture
def console(client: TestClient, settings: Settings) -> dict[str, dict[str, str]]:
    """The data the table's ids point at, and a header per role."""
    engine = make_engine(settings.DATABASE_URL)
    import_schemes(SqlUnitOfWork(engine), PERIOD_SCHEME)
    _, manager = create_token(SqlUnitOfWork(engine), "manager")
    _, reader = create_token(SqlUnitOfWork(engine), "read-only")
    revoked_id, revoked = create_token(SqlUnitOfWork(engine), "admin")
    revoke_token(SqlUnitOfWork(engine), revoked_id)
    engine.dispose()
    auth = {ADMIN: {"Authorization": f"Bearer {ADMIN_TOKEN}"}}
    sharma = Phone(client)
    sharma.say("2 cs thums up 750")
    sharma.say("YES")
    gupta = Phone(client, number="+919800000002")
    gupta.say("1 cs limca 750")
    gupta.say("YES")
    for n in (1, 2):
        paid = client.post("/api/payments", headers=auth[ADMIN], json={
            "client_id": f"pay-setup-{n}", "party_id": "R-0001", "amount": "10.00",
            "date": TODAY})
        assert paid.status_code == 201 and paid.json()["id"] == n, paid.text
    received = client.post("/api/stock/receipts", headers=auth[ADMIN], json={
        "distributor_id": "D-001", "sku": "TU-750", "qty": 50, "unit": "case", "ref": "GRN-0"})
    assert received.status_code == 201, received.text
    assert [o["id"] for o in admin(client, "/api/orders")["data"]] == [2, 1]
    return {**auth, MANAGER: {"Authorization": f"Bearer {manager}"},
            READ: {"Authorization": f"Bearer {reader}"},
            # A revoked token is as bad as a made-up one.
            NONE: {}, BAD: {"Authorization": f"Bearer {revoked}"}}


def call(client: TestClient, method: str, path: str, body: dict[str, Any] | None,
         headers: dict[str, str]) -> int:
    status: int = client.request(method, path, json=body, headers=headers).status_code
    return status


def test_each_console_endpoint_answers_each_role_as_the_policy_says(
        client: TestClient, console: dict[str, dict[str, str]]) -> None:
    wrong = []
    for method, path, body, expected in CONSOLE:
        for role, want in expected.items():
            got = call(client, method, with_role(path, role), with_role(body, role), console[role])
            if got != want:
                wrong.append(f"{method} {path} as {role}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_bad_tokens_of_every_shape_are_refused(client: TestClient,
                                               console: dict[str, dict[str, str]]) -> None:
    for headers in ({"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer "},
                    {"Authorization": f"Basic {ADMIN_TOKEN}"}, {"Authorization": ADMIN_TOKEN},
                    {"Authorization": f"Bearer {ADMIN_TOKEN}x"}, {"X-Api-Key": ADMIN_TOKEN}):
        res = client.get("/api/orders", headers=headers)
        assert res.status_code == 401, headers
        assert res.headers["WWW-Authenticate"] == "Bearer"


def snapshot(client: TestClient) -> dict[str, Any]:
    return {"orders": admin(client, "/api/orders"),
            "stock": admin(client, "/api/stock?distributor_id=D-001"),
            "statement": admin(client, "/api/parties/R-0001/statement?from=2020-01-01"),
            "schemes": admin(client, "/api/schemes")}


def test_refused_writes_change_nothing(client: TestClient,
                                       console: dict[str, dict[str, str]]) -> None:
    before = snapshot(client)
    for method, path, body, expected in CONSOLE:
        for role in (NONE, BAD, READ):
            if expected[role] in (401, 403):
                call(client, method, with_role(path, role), with_role(body, role), console[role])
    assert snapshot(client) == before


def test_the_party_filter_is_the_consoles_alone(client: TestClient,
                                                console: dict[str, dict[str, str]]) -> None:
    # Without a token nobody may list anyone's orders, filtered or not.
    assert client.get("/api/orders?party_id=R-0002").status_code == 401
    # With one, the filter returns that party's orders and no one else's.
    res = client.get("/api/orders?party_id=R-0002", headers=console[READ])
    assert {o["party_id"] for o in res.json()["data"]} == {"R-0002"}
    # The chat has no such filter: the same words from a shop get only its own orders.
    reply = Phone(client, sent=100).say("my orders party_id=R-0002")
    assert "ORD-000001" in reply and "ORD-000002" not in reply


def test_the_web_chat_that_speaks_as_anyone_is_off_outside_development(
        settings: Settings) -> None:
    production = settings.model_copy(update={"ENVIRONMENT": "production"})
    with TestClient(create_app(production)) as client:
        assert client.get("/chat").status_code == 404
        assert client.get("/chat/parties").status_code == 404
        assert client.get("/chat/notices", params={"party_id": "R-0001"}).status_code == 404
        sent = client.post("/chat/messages", json={"party_id": "R-0001", "text": "my orders"})
        assert sent.status_code == 404


# -- chat ------------------------------------------------------------------------------------

MORE_PARTIES = """id,role,name,phone,distributor_id
M-01,manager,Anita Rao,+919500000001,
D-002,distributor,Maruti Traders,+919700000002,
R-0101,retailer,Verma Stores,+919800000101,D-002
"""
PHONES = {"retailer": "+919800000001", "distributor": "+919700000001",
          "rep": "+919600000001", "manager": "+919500000001", "unregistered": "+919999999999"}
PARTY_OF = {"retailer": "R-0001", "distributor": "D-001", "rep": "REP-01", "manager": "M-01"}


@dataclass(frozen=True)
class Says:
    """The reply holds `text` and none of `never`."""

    text: str
    never: tuple[str, ...] = ()


NOT_REGISTERED = "not registered with us yet"
NOT_FOR_YOU = "Ordering on this chat is for retailers and distributors"
NO_STATEMENT = "Statements are kept for retailers' and distributors' accounts"
NOT_UNDERSTOOD = "didn't understand"
NOT_YOURS = "that order is not yours to act on"
# R-0002's figures, which must never reach anyone else.
GUPTA = ("Gupta", "4,321.00", "ORD-000002")

# (intent, messages sent first, the message, expected reply by party kind). Each cell starts
# from an empty conversation. Setup (below): ORD-000001 is R-0101's, served by D-002;
# ORD-000002 is R-0002's and ORD-000003 is R-0001's, both served by D-001; R-0002 owes
# Rs 4,321.00 and R-0001 Rs 1,234.00.
CHAT: list[tuple[str, tuple[str, ...], str, dict[str, str | Says]]] = [
    ("order", (), "2 cs thums up 750", {
        "retailer": "Thums Up 750ml PET: 2 cases",
        "distributor": "Thums Up 750ml PET: 2 cases",  # from the company
        "rep": NOT_FOR_YOU, "manager": NOT_FOR_YOU, "unregistered": NOT_REGISTERED}),
    ("confirm", ("2 cs thums up 750",), "YES", {
        "retailer": "placed", "distributor": "placed",
        "rep": NOT_FOR_YOU, "manager": NOT_FOR_YOU, "unregistered": NOT_REGISTERED}),
    ("order with a verb", (), "order 10 cs maggi 70g", {
        "retailer": "Maggi 2-Minute Masala Noodles 70g (Rs 14): 10 cases",
        "distributor": "Maggi 2-Minute Masala Noodles 70g (Rs 14): 10 cases",
        "rep": NOT_FOR_YOU, "manager": NOT_FOR_YOU, "unregistered": NOT_REGISTERED}),
    ("statement", (), "statement", {
        "retailer": Says("Statement for Sharma Kirana Store", GUPTA),
        "distributor": Says("Statement for Shree Ganesh Distributors", GUPTA),
        "rep": NO_STATEMENT, "manager": NO_STATEMENT, "unregistered": NOT_REGISTERED}),
    ("someone else's statement", (), "statement of R-0002", {
        "retailer": Says("Closing balance: Rs 1,234.00", GUPTA),
        "distributor": Says("Statement for Shree Ganesh Distributors", GUPTA),
        "rep": NO_STATEMENT, "manager": NO_STATEMENT, "unregistered": NOT_REGISTERED}),
    ("my orders", (), "my orders", {
        "retailer": Says("ORD-000003", ("ORD-000001", "ORD-000002")),
        # A distributor's orders are those its retailers placed with it.
        "distributor": Says("ORD-000002", ("ORD-000001",)),
        "rep": "You have no orders yet", "manager": "You have no orders yet",
        "unregistered": NOT_REGISTERED}),
    ("someone else's orders", (), "my orders for R-0002", {
        "retailer": Says("ORD-000003", ("ORD-000001", "ORD-000002")),
        "distributor": Says("ORD-000003", ("ORD-000001",)),
        "rep": "You have no orders yet", "manager": "You have no orders yet",
        "unregistered": NOT_REGISTERED}),
    ("offers", (), "offers", {
        "retailer": "Thums Up 750: 10 cases or more, 5% off",
        "distributor": "no offers running for you", "rep": "no offers running for you",
        "manager": "no offers running for you", "unregistered": NOT_REGISTERED}),
    ("accept another distributor's order", (), "ord:accept:1", {
        "retailer": NOT_UNDERSTOOD, "distributor": NOT_YOURS, "rep": NOT_UNDERSTOOD,
        "manager": NOT_UNDERSTOOD, "unregistered": NOT_REGISTERED}),
    # Only a distributor's chat has order buttons; anyone else's words "dispatch 1" ask about
    # their own orders, and get only those.
    ("dispatch another distributor's order", (), "ord:dispatch:1", {
        "retailer": Says("ORD-000003", ("ORD-000001", "ORD-000002")), "distributor": NOT_YOURS,
        "rep": "You have no orders yet", "manager": "You have no orders yet",
        "unregistered": NOT_REGISTERED}),
    ("reject another distributor's order", (), "ord:reject:1:Outlet closed", {
        "retailer": NOT_UNDERSTOOD, "distributor": NOT_YOURS, "rep": NOT_UNDERSTOOD,
        "manager": NOT_UNDERSTOOD, "unregistered": NOT_REGISTERED}),
    # Once answered with a 500 (int() refused what str.isdigit() took, or the database an id
    # beyond its INTEGER column), so the channel retried for ever and the sender heard nothing.
    ("a superscript digit", (), "²", {
        "retailer": NOT_UNDERSTOOD, "distributor": NOT_UNDERSTOOD, "rep": NOT_UNDERSTOOD,
        "manager": NOT_UNDERSTOOD, "unregistered": NOT_REGISTERED}),
    ("a button for an id no order can have", (), "ord:accept:99999999999999999999", {
        "retailer": NOT_UNDERSTOOD, "distributor": "that button is not valid any more",
        "rep": NOT_UNDERSTOOD, "manager": NOT_UNDERSTOOD, "unregistered": NOT_REGISTERED}),
    ("a button with a superscript id", (), "ord:reject:²", {
        "retailer": NOT_UNDERSTOOD, "distributor": "that button is not valid any more",
        "rep": NOT_UNDERSTOOD, "manager": NOT_UNDERSTOOD, "unregistered": NOT_REGISTERED}),
    ("greeting", (), "hi", {
        "retailer": "Namaste Sharma Kirana Store", "distributor": "Namaste Shree Ganesh",
        "rep": "Namaste Ravi Kumar", "manager": "Namaste Anita Rao",
        "unregistered": NOT_REGISTERED}),
]


@pytest.fixture
def chat(client: TestClient, settings: Settings) -> dict[str, Phone]:
    engine = make_engine(settings.DATABASE_URL)
    import_parties(SqlUnitOfWork(engine), MORE_PARTIES)
    engine.dispose()
    # Phone makes message ids from a number's last six digits, the same for all four parties
    # here: a range of its own each keeps one party's replies from another's dedup entry.
    phones = {kind: Phone(client, number=number, sent=1000 * n)
              for n, (kind, number) in enumerate(PHONES.items(), start=1)}
    for shop, text in (("+919800000101", "1 cs sprite 750"), ("+919800000002", "1 cs limca 750"),
                       (PHONES["retailer"], "3 cs limca 750")):
        buyer = Phone(client, number=shop, sent=100)
        buyer.say(text)
        assert "placed" in buyer.say("YES")
    for party, amount in (("R-0002", "4321.00"), ("R-0001", "1234.00")):
        res = client.post("/api/notes", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                          json={"client_id": f"owed-{party}", "party_id": party,
                                "kind": "debit_note", "amount": amount, "date": TODAY})
        assert res.status_code == 201, res.text
    numbers = {o["party_id"]: o["number"] for o in admin(client, "/api/orders")["data"]}
    assert numbers == {"R-0101": "ORD-000001", "R-0002": "ORD-000002", "R-0001": "ORD-000003"}
    return phones


def test_each_party_kind_gets_the_answer_the_policy_says_for_each_intent(
        client: TestClient, chat: dict[str, Phone]) -> None:
    states = services_of(client).states
    wrong = []
    for intent, given, message, expected in CHAT:
        for kind, want in expected.items():
            if kind in PARTY_OF:
                states.clear(PARTY_OF[kind])
            for earlier in given:
                chat[kind].say(earlier)
            reply = chat[kind].say(message)
            says = want if isinstance(want, Says) else Says(want)
            leaked = [w for w in says.never if w in reply]
            if says.text.lower() not in reply.lower() or leaked:
                wrong.append(f"{intent!r} from the {kind}: expected {says.text!r}"
                             + (f", leaked {leaked}" if leaked else "") + f"; got {reply!r}")
    assert not wrong, "\n\n".join(wrong)
    # Nobody's button touched D-002's order, and only the shop and the distributor ordered.
    other = admin(client, "/api/orders?party_id=R-0101")["data"][0]
    assert (other["status"], other["status_note"]) == ("placed", None)
    assert admin(client, "/api/stock?distributor_id=D-002")["count"] == 0
    placed = {(o["party_id"], o["kind"]) for o in admin(client, "/api/orders")["data"]}
    assert placed == {("R-0101", "secondary"), ("R-0002", "secondary"),
                      ("R-0001", "secondary"), ("D-001", "primary")}
