"""Telegram: webhook updates in, replies out through the outbound queue.

python-telegram-bot is the transport only: its Application (built with updater(None), since
Telegram calls our webhook) gives us a Bot with a flood-limit aware rate limiter and typed
Update objects. We do not dispatch through PTB handlers or keep state in it: conversation
state lives in our store, so any worker can take any update.

Identity: a Telegram user becomes a party by sharing their own contact card, whose phone
must be a registered, active party's. Until then every message gets the request for it.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from functools import partial
from typing import Any, TypeAlias

from starlette.concurrency import run_in_threadpool
from telegram import Bot, CallbackQuery, Contact, InputFile, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_rendering import SHARE_CONTACT, Piece, render
from bot.job_queue import OutboundQueue
from bot.messages import Button, Document, IncomingMessage, Reply
from bot.outbound import Outbound, SendFailed
from bot.replies import HELP_TEXT
from bot.send_progress import InMemorySendProgress, SendProgress, Step, run_steps
from domain.model.party import Party
from domain.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("dms.telegram")

CHANNEL = "telegram"
# Only these reach us (set-webhook asks for them); anything else is acknowledged and dropped.
ALLOWED_UPDATES = ("message", "callback_query")
# Retries the rate limiter makes itself on a 429 before the queue's own backoff takes over.
RATE_LIMIT_RETRIES = 3

ASK_CONTACT = Reply(
    "Namaste! 🙏 To take your orders I need to know which shop you are.\n"
    "Please tap “Share my phone number” below; I will match it with the number your "
    "distributor registered.",
    (Button("📱 Share my phone number", SHARE_CONTACT),),
)
NOT_YOUR_CONTACT = Reply(
    "That is someone else's contact card, so I can't use it to sign you in. "
    "Please share your own number with the button below.",
    (Button("📱 Share my phone number", SHARE_CONTACT),),
)
UNKNOWN_PHONE = Reply(
    "Sorry, this phone number is not registered with us yet, so I can't take orders from it. "
    "Please ask your distributor or sales rep to register it; once they have, send me "
    "/start and share your number again."
)
INACTIVE = Reply(
    "Your account is not active at the moment, so I can't take orders. "
    "Please contact your distributor or sales rep."
)
# Telegram clients send these when a user opens the bot or asks for help.
COMMANDS = {"/start": "hi", "/help": "help"}

TelegramApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


class BadUpdate(ValueError):
    """A webhook body that is not a Telegram Update."""


def build_application(token: str, api_base_url: str,
                      rate_limit_retries: int = RATE_LIMIT_RETRIES) -> TelegramApplication:
    root = api_base_url.rstrip("/")
    return (
        ApplicationBuilder()
        .token(token)
        # PTB appends the token: calls go to {root}/bot{token}/{method}.
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        # Telegram calls our webhook; there is nothing to poll.
        .updater(None)
        .connect_timeout(5.0)
        .read_timeout(10.0)
        .write_timeout(10.0)
        # Paces sends (30/s overall, 20/min per group) and sleeps out a 429's retry_after.
        .rate_limiter(AIORateLimiter(max_retries=rate_limit_retries))
        .build()
    )


def normalise_phone(raw: str) -> str | None:
    """E.164 with a leading +, or None. Telegram sends contact numbers without the + at times."""
    kept = raw.strip()
    if any(c not in "+0123456789 -()." for c in kept):
        return None
    digits = "".join(c for c in kept if c.isdigit())
    if kept.startswith("00"):  # the international prefix written out
        digits = digits[2:]
    if not 8 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return f"+{digits}"


def parse_update(payload: Mapping[str, Any], bot: Bot) -> Update:
    if not isinstance(payload.get("update_id"), int):
        raise BadUpdate("no update_id")
    try:
        update = Update.de_json(dict(payload), bot)
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError) as exc:
        # OverflowError: a date past what datetime holds ("date": 10**20)
        raise BadUpdate(f"not a Telegram update: {type(exc).__name__}") from exc
    _check_fields(update)
    return update


INT64 = 2**63  # Telegram's ids fit a signed 64-bit integer, as the tables' BIGINT does


def _check_fields(update: Update) -> None:
    """PTB builds an update from whatever types the JSON held: text 123 or a user id of 10**20
    would fail later, deep in the inbox or the database."""
    message, query = update.message, update.callback_query
    texts = [message.text, message.caption] if message is not None else []
    if query is not None:
        texts.append(query.data)
    if any(t is not None and not isinstance(t, str) for t in texts):
        raise BadUpdate("not a Telegram update: a text field is not a string")
    ids = [u.id for u in (update.effective_user,) if u is not None]
    if update.effective_chat is not None:
        ids.append(update.effective_chat.id)
    if message is not None and message.contact is not None:
        ids.append(message.contact.user_id or 0)
    if any(not isinstance(i, int) or not -INT64 <= i < INT64 for i in ids):
        raise BadUpdate("not a Telegram update: an id is out of range")


def to_incoming(update: Update, party_id: str) -> IncomingMessage | None:
    """The update as our message, or None for kinds we don't handle (edits, polls, ...)."""
    user = update.effective_user
    if user is None:
        return None

    def incoming(text: str = "", payload: str | None = None, media: int = 0) -> IncomingMessage:
        return IncomingMessage(channel=CHANNEL, message_id=str(update.update_id),
                               sender=f"tg:{user.id}", text=text, payload=payload,
                               media_count=media, party_id=party_id)

    if (query := update.callback_query) is not None:
        return incoming(payload=query.data) if query.data is not None else None
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        words = message.text.split(maxsplit=1)
        # "/start", "/start@our_bot" (menus) or "/start <deep link>"; other text as typed.
        command = words[0].split("@", 1)[0].lower() if words else ""
        return incoming(COMMANDS.get(command, message.text))
    media = 1 if message.effective_attachment is not None else 0
    return incoming(message.caption or "", media=media)


class TelegramSender:
    """Sends an Outbound's replies to a Telegram chat (out.to is the chat id)."""

    channel = CHANNEL
    _CHATS_LIMIT = 1024

    def __init__(self, bot: Bot, per_chat_interval: float = 1.0,
                 progress: SendProgress | None = None) -> None:
        self.bot = bot
        # Steps already delivered per Outbound key, so a retry after a partial send (piece 2
        # of 3 failed) does not repeat pieces the user has already received.
        self.progress = progress or InMemorySendProgress()
        # Telegram allows about one message a second into one chat; AIORateLimiter covers
        # groups and the global 30/s, this spaces sends to a private chat.
        self.per_chat_interval = per_chat_interval
        self._next_slot: OrderedDict[int, float] = OrderedDict()

    async def _wait_for_slot(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot.get(chat_id, now))
        self._next_slot[chat_id] = slot + self.per_chat_interval
        self._next_slot.move_to_end(chat_id)
        while len(self._next_slot) > self._CHATS_LIMIT:
            self._next_slot.popitem(last=False)
        if slot > now:
            await asyncio.sleep(slot - now)

    async def send(self, out: Outbound) -> None:
        try:
            chat_id = int(out.to)
        except ValueError as exc:
            raise SendFailed(f"not a Telegram chat id: {out.to!r}", retryable=False) from exc

        # Files (a long statement as CSV) follow the replies' text.
        steps: list[Step] = [partial(self._send_text, chat_id, piece)
                             for reply in out.replies for piece in render(reply)]
        steps += [partial(self._send_document, chat_id, r.document)
                  for r in out.replies if r.document is not None]
        await run_steps(self.progress, out.key, steps)

    async def _send_text(self, chat_id: int, piece: Piece) -> None:
        await self._wait_for_slot(chat_id)
        await self._call(self.bot.send_message(
            chat_id, piece.html, parse_mode=ParseMode.HTML, reply_markup=piece.markup))

    async def _send_document(self, chat_id: int, doc: Document) -> None:
        await self._call(self.bot.send_document(
            chat_id, InputFile(doc.content.encode("utf-8"), filename=doc.filename),
            filename=doc.filename))

    @staticmethod
    async def _call(request: Awaitable[object]) -> None:
        try:
            await request
        except TelegramError as exc:
            raise failure(exc) from exc
        except RuntimeError as exc:
            # PTB's HTTP client was shut down (app stopping): record it, don't lose it.
            raise SendFailed(f"telegram client closed: {exc}", retryable=False) from exc


def failure(exc: TelegramError) -> SendFailed:
    """PTB's error as ours: what waiting can fix is retryable, what it can't is not."""
    name = type(exc).__name__
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():
            # PTB 22 warns that retry_after will become a timedelta; both forms work here.
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return SendFailed("telegram flood limit", retryable=True, retry_after=seconds)
    # BadRequest is a NetworkError subclass in PTB, so it is checked first.
    if isinstance(exc, BadRequest | Forbidden | InvalidToken):
        # Forbidden: the user blocked the bot. BadRequest: the message itself is wrong.
        return SendFailed(f"telegram refused: {name}: {exc.message}", retryable=False)
    if isinstance(exc, NetworkError):  # includes TimedOut and Telegram's 5xx answers
        return SendFailed(f"telegram unreachable: {name}", retryable=True)
    return SendFailed(f"telegram error: {name}: {exc.message}", retryable=False)


class TelegramChannel:
    """The adapter the webhook route hands updates to; also owns the bot's lifecycle."""

    def __init__(self, application: TelegramApplication, uow_factory: UnitOfWorkFactory,
                 per_chat_interval: float = 1.0, progress: SendProgress | None = None) -> None:
        self.application = application
        self.uow_factory = uow_factory
        self.sender = TelegramSender(application.bot, per_chat_interval, progress)

    @property
    def bot(self) -> Bot:
        bot: Bot = self.application.bot
        return bot

    async def start(self) -> None:
        """Initialises the bot (a getMe call). No application.start(): nothing to poll."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise  # a wrong token is a configuration error: refuse to start
        except NetworkError as exc:
            # An outage must not take the other channels down; sends retry via the queue.
            log.warning("telegram unreachable at start", extra={"error": type(exc).__name__})
            return
        log.info("telegram channel on", extra={"bot": self.bot.username})

    async def stop(self) -> None:
        await self.application.shutdown()
        # After a failed initialize the Application is not "initialized", but the bot's
        # HTTP clients are open; this closes them (and does nothing if already closed).
        await self.application.bot.shutdown()

    async def handle(self, payload: Mapping[str, Any],
                     answer: Callable[[IncomingMessage], Awaitable[list[Reply]]],
                     outbound: OutboundQueue) -> None:
        """Answers one update: binding, the contact request, or the dialogue's replies (from
        `answer`, the app's way of running a message through the inbox).

        Replies are queued under the update's id, so a redelivered update sends nothing new.
        """
        update = parse_update(payload, self.bot)
        if update.callback_query is not None:
            # First, so the button's spinner stops whatever happens next.
            await self._answer(update.callback_query)
        user, chat = update.effective_user, update.effective_chat
        if user is None or user.is_bot:
            return
        if chat is not None and chat.type != ChatType.PRIVATE:
            # Orders and phone numbers belong in a private chat, not in a group.
            log.info("telegram update from a group ignored", extra={"chat_type": chat.type})
            return
        chat_id = chat.id if chat is not None else user.id
        key = f"reply:telegram:{update.update_id}"

        message = update.message
        if message is not None and message.contact is not None:
            reply, bound = await run_in_threadpool(self._bind, user.id, message.contact)
            await outbound.enqueue(Outbound(CHANNEL, str(chat_id), (reply,), key, bound))
            return
        party = await run_in_threadpool(self._party_of, user.id)
        if party is None or not party.active:
            reply = ASK_CONTACT if party is None else INACTIVE
            await outbound.enqueue(Outbound(CHANNEL, str(chat_id), (reply,), key))
            return
        msg = to_incoming(update, party.id)
        if msg is None:
            return
        replies = await answer(msg)
        if replies:
            await outbound.enqueue(Outbound(CHANNEL, str(chat_id), tuple(replies), key,
                                            party.id))

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await self.bot.answer_callback_query(query.id)
        except TelegramError as exc:
            # A redelivered update's query is too old to answer; that is harmless.
            log.info("telegram callback not answered", extra={"error": type(exc).__name__})

    def _party_of(self, user_id: int) -> Party | None:
        with self.uow_factory() as uow:
            return uow.parties.by_telegram_user(user_id)

    def _bind(self, user_id: int, contact: Contact) -> tuple[Reply, str | None]:
        """Binds the user to the party whose phone they shared: their own card only."""
        if contact.user_id != user_id:
            log.info("telegram contact refused: not the sender's own")
            return NOT_YOUR_CONTACT, None
        phone = normalise_phone(contact.phone_number)
        with self.uow_factory() as uow:
            party = uow.parties.by_phone(phone) if phone else None
            if party is None or not party.active:
                log.info("telegram contact refused: phone not registered")
                return UNKNOWN_PHONE, None
            uow.parties.bind_telegram(party.id, user_id)
            uow.commit()
        log.info("telegram user bound", extra={"party_id": party.id})
        return Reply(f"Thank you, {party.name}! Your Telegram is now linked. 🙏\n\n"
                     f"{HELP_TEXT}"), party.id
