"""WhatsApp through Meta's Cloud API: signed JSON webhooks in, Graph API /messages calls out.

Inbound, Meta signs the raw body with the app secret (X-Hub-Signature-256). One webhook can
carry several messages and delivery statuses; statuses never reach the dialogue.

Outbound, free-form messages are allowed only within 24 hours of the customer's last message
(the customer service window); outside it only an approved template may go. Replies are
rendered within Meta's documented limits: text 4,096 characters; reply buttons 1-3 (title 20,
id 256, body 1,024); a list of up to 10 rows (row title 24, description 72, id 200, button
label 20, section title 24, body 4,096). Anything bigger becomes numbered text, which the
dialogue understands as well as a tap.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, runtime_checkable

import httpx
from redis import Redis

# The same line-aware splitting and numbered choices the Twilio channel uses.
from bot.channels.twilio_whatsapp import render_text, split_text
from bot.messages import Button, IncomingMessage, Reply, message_id_ok
from bot.outbound import Outbound, SendFailed
from bot.send_progress import InMemorySendProgress, SendProgress, run_steps

log = logging.getLogger("dms.whatsapp_cloud")

CHANNEL = "whatsapp_cloud"
WINDOW_SECONDS = 24 * 3600

TEXT_MAX = 4096
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
BUTTON_BODY_MAX = 1024
LIST_ROWS_MAX = 10
LIST_BODY_MAX = 4096
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
LIST_BUTTON_LABEL = "Choose"
LIST_SECTION_TITLE = "Options"
CHOOSE_PROMPT = "Please choose:"
# The template's own words share Meta's 1,024-character body with this parameter, and a
# template body may not start or end with a parameter, so leave room for them.
TEMPLATE_PARAM_MAX = 900

RE_ENGAGEMENT = 131047  # "more than 24 hours have passed since the recipient last replied"
# Graph error codes that mean "later", even when the HTTP status is a 4xx: API unknown (1),
# service (2), too many calls (4), account rate limit (80007), throughput (130429), unknown
# send failure (131000), service unavailable (131016), pair rate limit (131056), server
# temporarily unavailable (133004).
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004})
# Not conversation turns: a reaction or a "number changed" notice should not get an answer.
IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral"})


# --- inbound ---------------------------------------------------------------------------------

def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the raw body under the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())


def verify_token_ok(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str  # sent | delivered | read | failed
    recipient: str
    error_codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Webhook:
    messages: tuple[IncomingMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()


def parse_webhook(payload: object, phone_number_id: str | None = None) -> Webhook:
    """The messages and statuses of one webhook; what we cannot read is left out.

    Changes addressed to another business number (a WABA can hold several) are skipped: a
    reply would go out from our number instead.
    """
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return Webhook()
    messages: list[IncomingMessage] = []
    statuses: list[StatusUpdate] = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            addressed = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            if phone_number_id and addressed and str(addressed) != phone_number_id:
                log.info("whatsapp_cloud change for another number skipped")
                continue
            messages.extend(m for m in map(to_incoming, _dicts(value.get("messages"))) if m)
            statuses.extend(s for s in map(to_status, _dicts(value.get("statuses"))) if s)
    return Webhook(tuple(messages), tuple(statuses))


def to_incoming(raw: dict[str, Any]) -> IncomingMessage | None:
    wamid, sender, kind = _text(raw.get("id")), _text(raw.get("from")), _text(raw.get("type"))
    if not wamid or not sender or kind in IGNORED_TYPES:
        return None
    if not message_id_ok(wamid) or not WA_ID.match(sender):
        # Meta sends neither; one that cannot be stored would fail the whole post, and Meta's
        # redeliveries with it, so the messages after it would never be handled.
        log.warning("whatsapp_cloud message with an unusable id or sender skipped")
        return None
    base: dict[str, Any] = {"channel": CHANNEL, "message_id": wamid, "sender": e164(sender),
                            "received_at": _sent_at(raw.get("timestamp"))}
    body = raw.get(kind)
    body = body if isinstance(body, dict) else {}
    if kind == "text":
        return IncomingMessage(**base, text=_text(body.get("body")))
    if kind == "interactive":
        choice = body.get(_text(body.get("type")))
        if _text(body.get("type")) in ("button_reply", "list_reply") and isinstance(choice, dict):
            return IncomingMessage(**base, text=_text(choice.get("title")),
                                   payload=_text(choice.get("id")) or None)
    if kind == "button":  # a template's quick-reply button
        return IncomingMessage(**base, text=_text(body.get("text")),
                               payload=_text(body.get("payload")) or None)
    if kind == "location":
        where = _location(body)
        if where is not None:
            label = ", ".join(p for p in (_text(body.get("name")), _text(body.get("address"))) if p)
            text = f"location: {where[0]},{where[1]}" + (f" ({label})" if label else "")
            return IncomingMessage(**base, text=text, location=where)
    # Media, contacts, flows, unsupported types: the inbox answers these politely.
    return IncomingMessage(**base, text=_text(body.get("caption")), media_count=1)


def to_status(raw: dict[str, Any]) -> StatusUpdate | None:
    wamid, status = _text(raw.get("id")), _text(raw.get("status"))
    if not wamid or not status:
        return None
    codes = tuple(e["code"] for e in _dicts(raw.get("errors")) if isinstance(e.get("code"), int))
    return StatusUpdate(wamid, status, _text(raw.get("recipient_id")), codes)


def log_statuses(statuses: Sequence[StatusUpdate]) -> None:
    for status in statuses:
        if status.status == "failed":
            log.warning("whatsapp_cloud delivery failed", extra={
                "wamid": status.message_id, "to": masked(status.recipient),
                "error_codes": list(status.error_codes)})


WA_ID = re.compile(r"^\+?[1-9][0-9]{7,14}$")


def e164(wa_id: str) -> str:
    return wa_id if wa_id.startswith("+") else f"+{wa_id}"


def masked(phone: str) -> str:
    return f"…{phone[-4:]}" if phone else ""


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _sent_at(value: object) -> datetime:
    """The message's own time (Unix seconds, as a string); a redelivery keeps the first one."""
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _location(body: dict[str, Any]) -> tuple[float, float] | None:
    try:
        lat, lon = float(body["latitude"]), float(body["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


# --- the 24-hour customer service window ------------------------------------------------------

@runtime_checkable
class ServiceWindow(Protocol):
    """When each customer (E.164 phone) last wrote to us, as Unix seconds."""

    def touch(self, phone: str, at: float) -> None: ...
    def last_inbound(self, phone: str) -> float | None: ...
    def forget(self, phone: str) -> None: ...


class InMemoryServiceWindow:
    def __init__(self, clock: Callable[[], float] = time.time, max_items: int = 100_000) -> None:
        self.clock, self.max_items = clock, max_items
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def touch(self, phone: str, at: float) -> None:
        at = min(at, self.clock())  # a sender's clock ahead of ours must not stretch the window
        with self._lock:
            if len(self._last) >= self.max_items:
                oldest = self.clock() - WINDOW_SECONDS
                self._last = {k: v for k, v in self._last.items() if v > oldest}
            # A late redelivery of an older message must not shorten the window.
            self._last[phone] = max(at, self._last.get(phone, at))

    def last_inbound(self, phone: str) -> float | None:
        with self._lock:
            return self._last.get(phone)

    def forget(self, phone: str) -> None:
        with self._lock:
            self._last.pop(phone, None)


class RedisServiceWindow:
    """One key per phone, expiring when the window closes, so every worker sees the same."""

    def __init__(self, redis: Redis, prefix: str = "dms:wa_window:",
                 clock: Callable[[], float] = time.time) -> None:
        self.redis, self.prefix, self.clock = redis, prefix, clock

    def touch(self, phone: str, at: float) -> None:
        at = min(at, self.clock())  # a sender's clock ahead of ours must not stretch the window
        remaining_ms = int((at + WINDOW_SECONDS - self.clock()) * 1000)
        if remaining_ms <= 0:
            return
        key = self.prefix + phone
        # Check-then-set can race with a concurrent touch; losing it only makes the window
        # look shorter, which sends a template where free text was allowed, never the reverse.
        current = self.redis.get(key)
        if isinstance(current, bytes | str) and float(current) >= at:
            return
        self.redis.set(key, repr(at), px=remaining_ms)

    def last_inbound(self, phone: str) -> float | None:
        raw = self.redis.get(self.prefix + phone)
        return float(raw) if isinstance(raw, bytes | str) else None

    def forget(self, phone: str) -> None:
        self.redis.delete(self.prefix + phone)


def service_window(redis: Redis | None) -> ServiceWindow:
    return RedisServiceWindow(redis) if redis is not None else InMemoryServiceWindow()


# --- rendering ----------------------------------------------------------------------------------

def render(reply: Reply) -> list[dict[str, Any]]:
    """The Graph message objects (without the recipient) for one reply, in sending order."""
    buttons = reply.buttons
    if not buttons:
        return [text_message(piece) for piece in split_text(reply.text, TEXT_MAX)]
    if len(buttons) <= BUTTONS_MAX and _ids_ok(buttons, BUTTON_ID_MAX):
        return _with_body(reply.text, BUTTON_BODY_MAX, lambda body: _buttons(body, buttons))
    if len(buttons) <= LIST_ROWS_MAX and _ids_ok(buttons, ROW_ID_MAX):
        return _with_body(reply.text, LIST_BODY_MAX, lambda body: _list(body, buttons))
    return [text_message(piece) for piece in split_text(render_text(reply), TEXT_MAX)]


def text_message(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def template_message(replies: Sequence[Reply], name: str, language: str) -> dict[str, Any]:
    """The approved template, carrying the replies (choices numbered) as its one parameter."""
    # Template parameters may not hold newlines, tabs or runs of spaces: flatten them.
    text = " ".join(" ".join(render_text(r).split()) for r in replies)
    return {"type": "template", "template": {
        "name": name, "language": {"code": language},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": clip(text, TEMPLATE_PARAM_MAX) or "-"}]}]}}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _ids_ok(buttons: Sequence[Button], limit: int) -> bool:
    """Ids come back verbatim in the webhook: they cannot be cut, so too long means no taps."""
    ids = [b.payload for b in buttons]
    return len(set(ids)) == len(ids) and all(
        0 < len(i) <= limit and i == i.strip() for i in ids)


def _with_body(text: str, limit: int, build: Callable[[str], dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """An interactive message, preceded by the text as plain messages when it is too long."""
    if text.strip() and len(text) <= limit:
        return [build(text)]
    pieces = [text_message(p) for p in split_text(text, TEXT_MAX)] if text.strip() else []
    return [*pieces, build(CHOOSE_PROMPT)]


def _titles(buttons: Sequence[Button], limit: int) -> list[str]:
    """Titles cut to the limit and kept unique (Meta refuses two buttons with one title)."""
    out: list[str] = []
    for n, button in enumerate(buttons, start=1):
        title = clip(" ".join(button.title.split()) or str(n), limit)
        if title in out:
            suffix = f" ({n})"
            title = clip(title, limit - len(suffix)) + suffix
        out.append(title)
    return out


def _buttons(body: str, buttons: Sequence[Button]) -> dict[str, Any]:
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": body},
        "action": {"buttons": [{"type": "reply", "reply": {"id": b.payload, "title": t}}
                               for b, t in zip(buttons, _titles(buttons, BUTTON_TITLE_MAX),
                                               strict=True)]}}}


def _list(body: str, buttons: Sequence[Button]) -> dict[str, Any]:
    rows: list[dict[str, str]] = []
    for button, title in zip(buttons, _titles(buttons, ROW_TITLE_MAX), strict=True):
        row = {"id": button.payload, "title": title}
        full = " ".join(button.title.split())
        if full != title:  # the row title was cut: show the whole name underneath
            row["description"] = clip(full, ROW_DESCRIPTION_MAX)
        rows.append(row)
    return {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": LIST_BUTTON_LABEL,
                   "sections": [{"title": LIST_SECTION_TITLE, "rows": rows}]}}}


# --- sending ------------------------------------------------------------------------------------

class WindowClosed(SendFailed):
    """Meta says the 24-hour window is closed (error 131047): only a template may go."""

    def __init__(self) -> None:
        super().__init__("graph: outside the 24-hour window (131047)", retryable=False)


@dataclass(frozen=True)
class Template:
    name: str
    language: str


class CloudSender:
    """Delivers replies through POST {root}/{version}/{phone_number_id}/messages."""

    channel = CHANNEL

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, version: str,
                 phone_number_id: str, token: str, window: ServiceWindow, template: Template,
                 clock: Callable[[], float] = time.time,
                 progress: SendProgress | None = None) -> None:
        self.http = http
        self.url = f"{base_url.rstrip('/')}/{version}/{phone_number_id}/messages"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.window = window
        self.template = template
        self.clock = clock
        self.progress = progress or InMemorySendProgress()

    async def send(self, out: Outbound) -> None:
        if not out.replies:
            return
        # (reply index, message): a retry resumes at the first message not yet sent.
        messages = [(n, message) for n, reply in enumerate(out.replies)
                    for message in render(reply)]
        last = await asyncio.to_thread(self.window.last_inbound, out.to)
        if last is None or self.clock() - last >= WINDOW_SECONDS:
            await self._template_from(out, messages)
            return
        try:
            await run_steps(self.progress, out.key,
                            [partial(self._post, out.to, m) for _, m in messages])
        except WindowClosed:
            # Meta's clock disagrees with ours (a customer message that reached us late, say):
            # what is left goes as the template.
            log.info("whatsapp_cloud window closed at Meta; sending the template",
                     extra={"to": masked(out.to), "key": out.key})
            await asyncio.to_thread(self.window.forget, out.to)
            await self._template_from(out, messages)

    async def _template_from(self, out: Outbound,
                             messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """The replies not yet sent in full, as one template message."""
        done = await self.progress.done(out.key)
        first = messages[done][0] if done < len(messages) else len(out.replies)
        if first < len(out.replies):
            await self._post(out.to, self._template(out.replies[first:]))
        await self.progress.clear(out.key)

    def _template(self, replies: Sequence[Reply]) -> dict[str, Any]:
        return template_message(replies, self.template.name, self.template.language)

    async def _post(self, to: str, message: dict[str, Any]) -> None:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                **message}
        try:
            res = await self.http.post(self.url, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            raise SendFailed(f"graph unreachable: {type(exc).__name__}") from exc
        if res.is_success:
            return
        raise failure(res)


def failure(res: httpx.Response) -> SendFailed:
    """Maps a Graph error response to SendFailed: retry what a later try can fix."""
    code, message = _graph_error(res)
    if code == RE_ENGAGEMENT:
        return WindowClosed()
    reason = f"graph answered {res.status_code} (code {code}): {message[:200]}"
    if res.status_code == 429 or res.status_code >= 500 or code in RETRYABLE_CODES:
        return SendFailed(reason, retry_after=_retry_after(res))
    return SendFailed(reason, retryable=False)


def _graph_error(res: httpx.Response) -> tuple[int | None, str]:
    try:
        error = res.json().get("error", {})
    except (ValueError, AttributeError):
        return None, res.text[:200]
    if not isinstance(error, dict):
        return None, ""
    code = error.get("code")
    return (code if isinstance(code, int) else None), _text(error.get("message"))


def _retry_after(res: httpx.Response) -> float | None:
    try:
        seconds = float(res.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
