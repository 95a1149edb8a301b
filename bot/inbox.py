"""One incoming message, exactly once: dedup, per-sender lock, identity, dialogue, record.

A redelivered message (same channel message id) gets the reply it got the first time and
causes no second effect: the reply cache answers fast, the inbound log answers durably.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata

from bot.dedup import ReplyCache
from bot.dialogue import Dialogue, TurnContext
from bot.locks import SenderBusy, SenderLocks
from bot.messages import IncomingMessage, Reply
from bot.observability import ERRORS, HANDLING, MESSAGES, RATE_LIMITED, log_fields, request_id
from bot.rate_limit import RateLimiter
from bot.replies import EXAMPLE_ORDER, NOT_REGISTERED
from domain.errors import Conflict
from domain.model.party import Party
from domain.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("dms.inbox")

MAX_MESSAGE_BYTES = 4096
TOO_FAST = ("You are sending messages faster than I can read them 🙂 Please wait a minute, "
            "then send your order again.")


def encode(replies: list[Reply]) -> str:
    return json.dumps([r.to_json() for r in replies], ensure_ascii=False)


def decode(raw: str) -> list[Reply]:
    return [Reply.from_json(r) for r in json.loads(raw)]


def unreadable(msg: IncomingMessage) -> Reply | None:
    """A polite answer for a message the dialogue should never see, or None."""
    text = msg.payload or msg.text
    if not text.strip():
        if msg.media_count:
            return Reply("I can only read text messages for now. Please type your order, "
                         f"e.g. '{EXAMPLE_ORDER}'.")
        return Reply(f"Your message was empty. Type your order, e.g. '{EXAMPLE_ORDER}'.")
    if len(text.encode("utf-8", "replace")) > MAX_MESSAGE_BYTES:
        return Reply("That message is too long for me (over 4 KB). "
                     "Please send your order in smaller parts.")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\n\r\t"
           for c in text) or "\ufffd" in text:
        return Reply("I couldn't read that message. Please type your order in plain text.")
    if not any(c.isalnum() for c in text):
        return Reply(f"I can't read emojis or symbols alone 🙂 Please type your order, "
                     f"e.g. '{EXAMPLE_ORDER}'.")
    return None


class Inbox:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        dialogue: Dialogue,
        reply_cache: ReplyCache,
        locks: SenderLocks,
        limiter: RateLimiter | None = None,
        per_minute: int = 0,
        statements: UnitOfWorkFactory | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        # Units whose every statement commits by itself (no BEGIN/ROLLBACK round trips): the
        # reads before the dialogue, and the inbound record, a single INSERT.
        self.statements = statements or uow_factory
        self.dialogue = dialogue
        self.reply_cache = reply_cache
        self.locks = locks
        self.limiter = limiter
        self.per_minute = per_minute

    def handle(self, msg: IncomingMessage, sender_wait: float | None = None,
               admitted: bool = False) -> list[Reply]:
        """The replies to one message. SenderBusy if the sender's previous message still holds
        its lock after `sender_wait` seconds (the configured wait when None). `admitted`: a
        retry of a message that was counted by the rate limit already."""
        token = request_id.set(msg.dedup_key)
        started = time.perf_counter()
        try:
            replies = self._handle(msg, sender_wait, admitted)
        except SenderBusy:
            # Not an error, nor a handling time: the caller waits and tries again (or gives
            # up, and counts that).
            raise
        except Exception as exc:
            ERRORS.labels(type(exc).__name__).inc()
            raise
        else:
            HANDLING.labels(msg.channel).observe(time.perf_counter() - started)
            return replies
        finally:
            request_id.reset(token)

    def _handle(self, msg: IncomingMessage, sender_wait: float | None, admitted: bool
                ) -> list[Reply]:
        key = msg.dedup_key
        if (cached := self.reply_cache.get(key)) is not None:
            return decode(cached)
        if self.limiter is not None and self.per_minute > 0 and not admitted:
            count = self.limiter.hit(msg.sender)
            if count > self.per_minute:
                RATE_LIMITED.labels(msg.channel).inc()
                log.warning("rate limited", extra=log_fields(sender=msg.sender, count=count))
                if count == self.per_minute + 1:
                    return [Reply(TOO_FAST)]
                return []
        refusal = unreadable(msg)
        with self.locks.hold(msg.sender, sender_wait):
            # One unit for everything the message reads from the database before it starts: the
            # durable dedup check, who is writing, and what the dialogue needs.
            context: TurnContext | None = None
            with self.statements() as uow:
                opening = uow.openings.read(
                    key, phone=msg.sender if msg.party_id is None else None,
                    party_id=msg.party_id)
                stored, party = opening.reply, opening.party
                if stored is not None or (party is not None and not party.active):
                    party = None
                if party is not None and refusal is None:
                    context = self.dialogue.context(uow, party, opening.catalog_version,
                                                    opening.supplier_name)
            if stored is not None:
                self.reply_cache.put(key, stored)
                return decode(stored)
            replies = self._answer(msg, party, refusal, context)
            raw = encode(replies)
            with self.statements() as uow:
                try:
                    uow.inbound.record(key, party.id if party else None, raw)
                    uow.commit()
                except Conflict:
                    # Another worker finished the same delivery first; its reply stands.
                    uow.rollback()
                    raw = uow.inbound.reply_for(key) or raw
            self.reply_cache.put(key, raw)
            return decode(raw)

    def _answer(self, msg: IncomingMessage, party: Party | None, refusal: Reply | None,
                context: TurnContext | None) -> list[Reply]:
        if refusal is not None:
            MESSAGES.labels(msg.channel, "unreadable").inc()
            return [refusal]
        if party is None:
            MESSAGES.labels(msg.channel, "unregistered").inc()
            return [Reply(NOT_REGISTERED)]
        return self.dialogue.respond(msg, party, context)
