"""Schemathesis over every operation in the app's OpenAPI spec, as the admin: whatever it sends,
no answer is a 5xx and every documented answer matches its schema.

The schemathesis run is on the embedded stack only (SQLite, in-process state), one app for the
whole module: the other e2e tests run the same routes on PostgreSQL and Redis, and this keeps
the run's CI time bounded. Examples per operation are bounded too. What it found is kept below
as plain regressions, on both stacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.bootstrap import bootstrap
from api.settings import Settings
from bot.messages import IncomingMessage
from tests.conftest import fresh_database
from tests.e2e.conftest import ADMIN_TOKEN, AUTH_TOKEN, PUBLIC, seed

EXAMPLES_PER_OPERATION = 25
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

# The spec needs no database: the app is built, never started. (schemathesis.pytest's
# from_fixture would load it from the running app, but it writes Node._nodeid, which
# pytest 9 no longer has.)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(DATABASE_URL="sqlite://", ADMIN_API_TOKEN=ADMIN_TOKEN)).openapi())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = fresh_database("sqlite", tmp_path_factory.mktemp("openapi-fuzz"))
    seed(url)
    services = bootstrap(Settings(DATABASE_URL=url, PUBLIC_BASE_URL=PUBLIC,
                                  TWILIO_AUTH_TOKEN=AUTH_TOKEN, ADMIN_API_TOKEN=ADMIN_TOKEN,
                                  OUTBOX_RELAY_INTERVAL_SECONDS=0), run_migrations=False)
    # An order on file, so lists answer with real rows for the schema check to read.
    for n, text in enumerate(("2 cs thums up 750", "YES")):
        services.inbox.handle(IncomingMessage(channel="webchat", message_id=f"fuzz-{n}",
                                              sender="web:R-0001", text=text,
                                              party_id="R-0001"))
    # The app runs on services we own: they close with the module, not at interpreter exit
    # when schemathesis ends the app's lifespan.
    yield create_app(services=services)
    services.close()


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
                     suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error_or_off_its_schema(
        case: schemathesis.Case[Any], app: FastAPI) -> None:
    case.call_and_validate(app=app, headers=AUTH,
                           checks=[not_a_server_error, response_schema_conformance])


# -- found by the run above, kept as plain regressions on both stacks --------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/orders/2147483648"),  # past PostgreSQL's INTEGER ids
    ("POST", "/api/orders/9223372036854775808/dispatch"),  # past SQLite's too
    ("POST", "/api/orders/2147483648/accept"),
    ("POST", "/api/ledger/2147483648/reverse"),
    ("GET", "/api/orders?offset=9223372036854775808"),
])
def test_ids_beyond_what_the_database_holds_are_refused_not_crashed(
        client: TestClient, method: str, path: str) -> None:
    res = client.request(method, path, headers=AUTH,
                         json={"client_id": "rev-00000001", "reason": "typo", "date": "2026-11-28",
                               } if "reverse" in path else None)
    assert res.status_code == 422, res.text


def test_the_spec_documents_every_422_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    refusal = spec["components"]["schemas"]["Refusal"]["properties"]["detail"]["anyOf"]
    assert {"type": "string"} in refusal
    assert {"$ref": "#/components/schemas/FieldProblem"} in refusal
    create = spec["paths"]["/api/schemes"]["post"]["responses"]["422"]
    assert create["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Refusal"}
    bad = client.post("/api/schemes", headers=AUTH, json={"id": "X", "name": "x",
                                                          "kind": "discount", "slabs": []})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], dict | list | str)
