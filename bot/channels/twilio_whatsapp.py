"""WhatsApp through Twilio: signed form posts in, TwiML out.

Twilio signs the full public URL plus the sorted form fields with the auth token; the
check uses twilio's own RequestValidator. A WhatsApp message over Twilio holds at most
1,600 characters, so long replies go as several <Message> elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import httpx
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.messages import IncomingMessage, Reply, message_id_ok
from bot.order_commands import typed
from bot.outbound import Outbound, SendFailed
from bot.send_progress import InMemorySendProgress, SendProgress, run_steps

MAX_CHARS = 1600
CHANNEL = "whatsapp"


def signature_ok(auth_token: str, url: str, form: Mapping[str, str], signature: str | None
                 ) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def to_incoming(form: Mapping[str, str]) -> IncomingMessage | None:
    """None when the post is not an inbound message (no sid or sender)."""
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not sid or not sender:
        return None
    if not message_id_ok(sid) or not message_id_ok(sender, 64):
        raise ValueError("MessageSid or From is not usable text")
    try:
        media = int(form.get("NumMedia", "0") or 0)
    except ValueError:
        media = 0
    return IncomingMessage(
        channel=CHANNEL,
        message_id=sid,
        sender=sender.removeprefix("whatsapp:").strip(),
        text=form.get("Body", ""),
        payload=form.get("ButtonPayload") or None,
        media_count=media,
    )


def render_text(reply: Reply) -> str:
    """WhatsApp over Twilio has no free-form buttons: offer them as numbered choices, or as
    commands to type where the button has one (bot.order_commands)."""
    if not reply.buttons:
        return reply.text
    commands = [typed(b.payload) for b in reply.buttons]
    if all(commands):
        return f"{reply.text}\n\nReply with:\n" + "\n".join(f"• {c}" for c in commands)
    options = "\n".join(f"{n}. {b.title}" for n, b in enumerate(reply.buttons, start=1))
    return f"{reply.text}\n\nReply with a number:\n{options}"


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def render_twiml(replies: list[Reply]) -> str:
    response = MessagingResponse()
    for reply in replies:
        for piece in split_text(render_text(reply)):
            response.message(piece)
    return str(response)


class TwilioSender:
    """Sends WhatsApp messages through Twilio's Messages REST resource (for notifications)."""

    channel = CHANNEL

    def __init__(self, http: httpx.AsyncClient, base_url: str, account_sid: str,
                 auth_token: str, from_number: str, progress: SendProgress | None = None
                 ) -> None:
        self.http = http
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.from_ = from_number if from_number.startswith("whatsapp:") else (
            f"whatsapp:{from_number}")
        # Pieces already sent per Outbound key: a retry does not repeat them.
        self.progress = progress or InMemorySendProgress()

    async def send(self, out: Outbound) -> None:
        await run_steps(self.progress, out.key, [
            partial(self._post, out.to, piece) for reply in out.replies
            for piece in split_text(render_text(reply))])

    async def _post(self, to: str, body: str) -> None:
        try:
            res = await self.http.post(self.url, auth=self.auth, data={
                "From": self.from_, "To": f"whatsapp:{to}", "Body": body})
        except httpx.HTTPError as exc:
            raise SendFailed(f"twilio unreachable: {type(exc).__name__}") from exc
        if res.status_code == 429 or res.status_code >= 500:
            raise SendFailed(f"twilio answered {res.status_code}")
        if res.status_code >= 400:
            raise SendFailed(f"twilio refused: {res.status_code} {res.text[:200]}",
                             retryable=False)
