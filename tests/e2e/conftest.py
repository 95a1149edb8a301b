"""The app over HTTP with real Twilio signatures, on each stack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import cast
from xml.etree import ElementTree

import pytest
from arq.constants import default_queue_name
from arq.worker import Retry
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from api.app import create_app
from api.bootstrap import Services
from api.settings import Settings
from bot.job_queue import MAX_TRIES, ArqQueue, InProcessQueue, deliver_job
from bot.outbound import Outbound
from domain.adapters.database import make_engine
from domain.adapters.sql_uow import SqlUnitOfWork
from domain.services.imports import import_catalog, import_parties, import_schemes

AUTH_TOKEN = "twilio-test-auth-token-0123456789"
ADMIN_TOKEN = "admin-test-token-0123456789abcdef"
PUBLIC = "https://dms.example.test"
SHOP_PHONE = "+919800000001"

PARTIES_CSV = """id,role,name,phone,telegram_user_id,distributor_id,route,region,lat,lon,outlet_class,channel,credit_limit
D-001,distributor,Shree Ganesh Distributors,+919700000001,,,NORTH-1,north,26.95,75.80,,,2500000
R-0001,retailer,Sharma Kirana Store,+919800000001,,D-001,NORTH-1,north,26.91,75.79,A,general_trade,50000
R-0002,retailer,Gupta General Store,+919800000002,,D-001,NORTH-1,north,26.92,75.78,B,general_trade,50000
REP-01,rep,Ravi Kumar,+919600000001,,D-001,NORTH-1,north,,,,,
"""

SCHEMES_JSON = """[{"id": "TU-5", "name": "Thums Up 750: 10 cases or more, 5% off",
  "kind": "discount", "scope": {"skus": ["TU-750"], "brands": [], "categories": []},
  "audience": {"roles": ["retailer"], "regions": [], "parties": []},
  "pooled": false, "slabs": [{"min_qty": 10, "unit": "case", "percent": 5}],
  "stackable": false, "priority": 0}]"""


def seed(database_url: str) -> None:
    catalog = files("domain.services").joinpath("demo_catalog.csv").read_text(encoding="utf-8")
    engine = make_engine(database_url)
    import_catalog(SqlUnitOfWork(engine), catalog)
    import_parties(SqlUnitOfWork(engine), PARTIES_CSV)
    import_schemes(SqlUnitOfWork(engine), SCHEMES_JSON)
    engine.dispose()


@dataclass
class Phone:
    """A WhatsApp user talking to the app through signed Twilio webhooks."""

    client: TestClient
    number: str = SHOP_PHONE
    sent: int = 0

    def post(self, body: str, sid: str | None = None, sign: bool = True,
             **extra: str) -> tuple[int, list[str]]:
        self.sent += 1
        form = {"MessageSid": sid or f"SM{self.number[-6:]}{self.sent:06d}",
                "From": f"whatsapp:{self.number}", "To": "whatsapp:+14155238886",
                "Body": body, "NumMedia": "0", **extra}
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(
                f"{PUBLIC}/webhooks/twilio", form)
        res = self.client.post("/webhooks/twilio", data=form, headers=headers)
        if res.status_code != 200:
            return res.status_code, []
        assert res.headers["content-type"].startswith("application/xml")
        root = ElementTree.fromstring(res.text)
        return 200, [m.text or "" for m in root.iter("Message")]

    def say(self, body: str, **extra: str) -> str:
        status, messages = self.post(body, **extra)
        assert status == 200
        return "\n".join(messages)


@pytest.fixture
def settings(stack: tuple[str, str | None]) -> Settings:
    database_url, redis_url = stack
    seed(database_url)
    # No background relay: deliver() relays and delivers by hand, so tests are deterministic.
    return Settings(DATABASE_URL=database_url, REDIS_URL=redis_url, PUBLIC_BASE_URL=PUBLIC,
                    TWILIO_AUTH_TOKEN=AUTH_TOKEN, ADMIN_API_TOKEN=ADMIN_TOKEN,
                    OUTBOX_RELAY_INTERVAL_SECONDS=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def phone(client: TestClient) -> Phone:
    return Phone(client)


def admin(client: TestClient, path: str) -> dict:  # type: ignore[type-arg]
    res = client.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert res.status_code == 200, res.text
    body: dict = res.json()  # type: ignore[type-arg]
    return body


def services_of(client: TestClient) -> Services:
    services: Services = cast(FastAPI, client.app).state.services
    return services


def deliver(client: TestClient) -> None:
    """Relays the outbox and waits until every queued message is sent (or buried).

    On the services stack this plays the arq worker: it runs deliver_job on each queued job.
    """
    assert client.portal is not None
    client.portal.call(_deliver, services_of(client))


async def _deliver(services: Services) -> None:
    # Notices first: the relay moves committed outbox rows into the queue.
    await services.relay.relay_once()
    queue = services.outbound
    if isinstance(queue, InProcessQueue):
        await queue.drain()
        return
    assert isinstance(queue, ArqQueue)

    def bury(out: Outbound, reason: str) -> None:
        services.dead_letters.record(out.key, out.channel, out.to_json(), reason)

    for job in await queue.redis.queued_jobs():
        for attempt in range(1, MAX_TRIES + 1):
            ctx = {"senders": services.channels.senders, "dead_letters": bury,
                   "job_try": attempt}
            try:
                await deliver_job(ctx, *job.args)
                break
            except Retry:
                continue
        # Like a finished arq job: off the queue, while its id still blocks a re-enqueue.
        await queue.redis.zrem(default_queue_name, job.job_id or "")
