"""The edge: security headers and a strict CSP, request ids, size limits, the per-sender rate
limit, and logs that never hold a token or a full phone number."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from bot.observability import MaskingFilter
from tests.e2e.conftest import ADMIN_TOKEN, AUTH_TOKEN, SHOP_PHONE, Phone, admin, services_of

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EVERYWHERE = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
              "Referrer-Policy": "no-referrer"}


def csp(value: str) -> dict[str, list[str]]:
    directives = (d.split() for d in value.split(";") if d.strip())
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/chat", {}, 200),
    ("/chat/app.js", {}, 200),
    ("/chat/parties", {}, 200),
    ("/api/orders", AUTH, 200),
    ("/api/orders", {}, 401),  # refusals carry them too
    ("/api/orders/999", AUTH, 404),
    ("/healthz", {}, 200),
    ("/no/such/page", {}, 404),
])
def test_pages_and_answers_carry_security_headers_and_a_strict_csp(
        client: TestClient, path: str, headers: dict[str, str], status: int) -> None:
    res = client.get(path, headers=headers)
    assert res.status_code == status
    for name, value in EVERYWHERE.items():
        assert res.headers.get(name) == value, name
    policy = csp(res.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no other origin
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]


def test_the_api_docs_keep_the_headers_but_load_swagger_from_its_cdn(client: TestClient
                                                                     ) -> None:
    # Swagger UI's assets come from a CDN, so /docs is the one page without our CSP.
    res = client.get("/docs")
    assert res.status_code == 200
    for name, value in EVERYWHERE.items():
        assert res.headers.get(name) == value, name


def test_https_answers_tell_browsers_to_stay_on_https(client: TestClient) -> None:
    assert "max-age=" in client.get("https://testserver/healthz").headers[
        "Strict-Transport-Security"]


class ScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handlers += [f"<{tag} {name}>" for name, value in attrs
                          if name.startswith("on") or "javascript:" in (value or "").lower()]
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:60])


def test_the_web_chat_page_has_no_inline_script(client: TestClient) -> None:
    page = ScriptFinder()
    page.feed(client.get("/chat").text)
    assert page.scripts and all(s.get("src") for s in page.scripts)
    assert page.inline == [] and page.handlers == []
    script = client.get("/chat/app.js")
    assert script.headers["content-type"].startswith("text/javascript")


def test_a_request_id_is_echoed_or_made_up(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:retry-1"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.42:retry-1"
    first, second = client.get("/healthz"), client.get("/healthz")
    made = [r.headers["X-Request-ID"] for r in (first, second)]
    assert all(len(m) == 32 and int(m, 16) >= 0 for m in made) and made[0] != made[1]
    # Ids that could forge log lines or bloat them are replaced, not echoed.
    for bad in ("has spaces in it", "x" * 101, "semi;colon", "<script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad and len(echoed) == 32


# -- size limits ---------------------------------------------------------------------------

def test_a_5_kb_whatsapp_message_gets_a_polite_too_long_and_changes_nothing(
        phone: Phone, client: TestClient) -> None:
    body = "2 cs thums up 750, 5 box maggi 70g, " * 150  # ~5.3 KB, each line a real order
    assert len(body.encode()) > 5000
    status, messages = phone.post(body)
    assert status == 200 and len(messages) == 1
    assert "too long" in messages[0] and "smaller parts" in messages[0]
    assert "no order waiting" in phone.say("YES")  # it made no draft
    assert admin(client, "/api/orders")["count"] == 0


def test_a_hindi_message_over_4_kb_counts_bytes_not_letters(phone: Phone) -> None:
    body = "दो केस थम्स अप और पाँच डिब्बे मैगी भेजो " * 42  # ~1,600 letters, ~4,300 bytes
    assert len(body) < 4096 < len(body.encode())
    assert "too long" in phone.say(body)


def test_the_web_chat_refuses_fields_over_their_limits(client: TestClient) -> None:
    ok = {"party_id": "R-0001", "text": "hi"}
    for field, size in (("text", 20_001), ("payload", 201), ("message_id", 101),
                        ("party_id", 65)):
        res = client.post("/chat/messages", json={**ok, field: "x" * size})
        assert res.status_code == 422, field
    # Under the field's limit but over the chat's: a polite answer, not an error.
    res = client.post("/chat/messages", json={**ok, "text": "2 cs coke 750 " * 400})
    assert res.status_code == 200 and "too long" in res.json()["replies"][0]["text"]


def test_a_megabyte_body_is_refused_without_a_server_error(phone: Phone, client: TestClient
                                                          ) -> None:
    huge = client.post("/chat/messages", json={"party_id": "R-0001", "text": "x" * 1_000_000})
    assert huge.status_code == 413  # past the app's body limit, before any parsing
    long = client.post("/chat/messages", json={"party_id": "R-0001", "text": "x" * 100_000})
    assert long.status_code == 422  # past the message's own limit
    status, messages = phone.post("y" * 1_000_000)
    assert status < 500
    assert status != 200 or "too long" in " ".join(messages)


# -- rate limit ------------------------------------------------------------------------------

LIMIT = 3


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"RATE_LIMIT_PER_MINUTE": LIMIT}))
                    ) as c:
        yield c


def inside_one_window() -> None:
    """The limit counts per calendar minute: start a few seconds clear of the next one."""
    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.2)


def test_over_the_rate_limit_a_sender_gets_one_polite_reply_and_nothing_is_processed(
        limited: TestClient) -> None:
    shop = Phone(limited)
    inside_one_window()
    for text in ("hi", "offers", "2 cs thums up 750"):
        assert shop.say(text)
    over = [shop.post(text) for text in ("YES", "YES", "cancel", "my orders")]

    assert over[0] == (200, [over[0][1][0]]) and "faster than I can read" in over[0][1][0]
    assert all(res == (200, []) for res in over[1:])  # answered once per window, then silence
    # Nothing was processed: no order from the YES, the draft untouched, no message recorded.
    assert admin(limited, "/api/orders")["count"] == 0
    assert services_of(limited).states.load("R-0001").get("draft")
    with services_of(limited).uow() as uow:
        assert uow.inbound.reply_for(f"whatsapp:SM000001{LIMIT + 1:06d}") is None
    # Another sender is not held back by this one.
    assert "Namaste" in Phone(limited, number="+919800000002").say("hi")


# -- logs ------------------------------------------------------------------------------------

def test_logs_hold_no_token_secret_or_full_phone_number(
        limited: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    # The same filter the app's log handler has (bot.observability.configure_logging).
    caplog.handler.addFilter(MaskingFilter())
    caplog.set_level(logging.INFO)
    shop = Phone(limited)
    inside_one_window()
    for text in ("hi", "2 cs thums up 750", "YES", "my orders", "statement", "offers"):
        shop.post(text)  # the last ones are over the limit: logged with the sender
    for path in ("/api/orders?party_id=R-0001", "/api/stock?distributor_id=D-001",
                 "/api/parties/R-0001/statement?from=2020-01-01"):
        assert limited.get(path, headers=AUTH).status_code == 200
    limited.get("/api/orders", headers={"Authorization": "Bearer wrong-token-0123456789"})
    # A careless line elsewhere in the code would be caught by the same filter.
    logging.getLogger("dms.test").warning("calling Twilio with %s for %s as %s", AUTH_TOKEN,
                                          SHOP_PHONE, f"Bearer {ADMIN_TOKEN}")

    logged = [" ".join(str(v) for v in vars(r).values() if isinstance(v, str))
              for r in caplog.records]
    text = "\n".join(logged)
    assert any(r.getMessage() == "rate limited" for r in caplog.records)
    for secret in (ADMIN_TOKEN, AUTH_TOKEN, SHOP_PHONE, "919800000001", "wrong-token-0123456789"):
        assert secret not in text, secret
    assert "********0001" in text


@pytest.mark.parametrize("url", [
    "/api/schemes/Q4%00DIWALI",
    "/api/parties/R-0001%00/statement",
    "/api/orders?party_id=R-0001%00",
    "/api/stock?distributor_id=%00",
])
def test_a_nul_in_the_url_is_a_400_not_a_database_error(client: TestClient, url: str) -> None:
    res = client.get(url, headers=AUTH)
    assert res.status_code == 400, res.text
    assert res.json() == {"detail": "the URL must not contain a NUL character"}
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unexpected_error_is_logged_with_its_request_id_and_answered_with_the_headers(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    caplog.set_level(logging.INFO)
    with TestClient(app, raise_server_exceptions=False) as c:
        res = c.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert res.status_code == 500 and "X-Request-ID" in res.json()["detail"]
    assert res.headers["x-request-id"] == "trace-500"
    assert res.headers["x-content-type-options"] == "nosniff"
    (failed,) = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert failed.exc_info is not None and getattr(failed, "path", None) == "/boom"
