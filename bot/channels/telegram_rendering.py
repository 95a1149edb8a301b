"""Our replies within Telegram's limits: HTML-escaped text in pieces, buttons as keyboards.

Telegram takes at most 4,096 characters per message and 64 bytes of callback data per
inline button. Replies are sent with parse_mode HTML, so every piece of our text is escaped
and only the markup we add ourselves (bold) reaches Telegram as markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.messages import Button, Reply

MAX_CHARS = MessageLimit.MAX_TEXT_LENGTH  # 4096
MAX_CALLBACK_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64

# A button with this payload is not an inline button: it asks for the user's own contact
# card through a reply keyboard (the only way a bot can learn a user's phone number).
SHARE_CONTACT = "telegram:share-contact"

# The dialogue marks bold WhatsApp-style (*Total*); Telegram shows that as literal stars.
_BOLD = re.compile(r"\*([^*\n]+)\*")

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class Piece:
    """One sendMessage call: HTML text, and the keyboard on the last piece of a reply."""

    html: str
    markup: Markup | None = None


def telegram_length(text: str) -> int:
    # Telegram measures text in UTF-16 code units: an emoji such as 🧾 counts twice.
    return len(text.encode("utf-16-le")) // 2


def to_html(line: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", html.escape(line, quote=False))


def _chop(line: str, limit: int) -> list[str]:
    """A line too long for one message, cut anywhere into escaped chunks under the limit."""
    chunks: list[str] = []
    current = ""
    for char in line:
        escaped = html.escape(char, quote=False)
        if telegram_length(current) + telegram_length(escaped) > limit:
            chunks.append(current)
            current = ""
        current += escaped
    if current:
        chunks.append(current)
    return chunks


def split_html(text: str, limit: int = MAX_CHARS) -> list[str]:
    """The text as escaped HTML pieces of at most `limit` characters, cut at line ends.

    Each line is escaped before it is measured, so escaping can never push a piece over the
    limit, and a cut never falls inside an entity or a <b> element.
    """
    pieces: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        rendered = to_html(line)
        if telegram_length(rendered) > limit:
            if current is not None:
                pieces.append(current)
                current = None
            *whole, rest = _chop(line, limit)
            pieces.extend(whole)
            rendered = rest
        candidate = rendered if current is None else f"{current}\n{rendered}"
        if current is not None and telegram_length(candidate) > limit:
            pieces.append(current)
            current = rendered
        else:
            current = candidate
    # Telegram refuses an empty message; whitespace-only pieces are dropped.
    pieces.append(current or "")
    return [p for p in pieces if p.strip()] or ["…"]


def callback_fits(payload: str) -> bool:
    return 0 < len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES


def inline_keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """A confirm/cancel pair side by side; longer lists (product choices) one per row."""
    keys = [InlineKeyboardButton(b.title, callback_data=b.payload) for b in buttons]
    side_by_side = len(keys) <= 3 and all(len(b.title) <= 16 for b in buttons)
    rows = [keys] if side_by_side else [[key] for key in keys]
    return InlineKeyboardMarkup(rows)


def contact_keyboard(title: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup([[KeyboardButton(title, request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


def numbered_choices(buttons: tuple[Button, ...]) -> str:
    # The dialogue remembers the buttons it last showed, so a typed number picks one.
    options = "\n".join(f"{n}. {b.title}" for n, b in enumerate(buttons, start=1))
    return f"\n\nReply with a number:\n{options}"


def render(reply: Reply) -> list[Piece]:
    text = reply.text
    markup: Markup
    contact = next((b for b in reply.buttons if b.payload == SHARE_CONTACT), None)
    if contact is not None:
        markup = contact_keyboard(contact.title)
    elif not reply.buttons:
        # Our only reply keyboard is the contact request; once we answer with plain text it
        # has served its purpose, and Telegram keeps it on screen until told otherwise.
        markup = ReplyKeyboardRemove()
    elif all(callback_fits(b.payload) for b in reply.buttons):
        markup = inline_keyboard(reply.buttons)
    else:
        # Telegram would refuse the whole message; offer the choices as text instead.
        text += numbered_choices(reply.buttons)
        markup = ReplyKeyboardRemove()
    pieces = [Piece(p) for p in split_html(text)]
    pieces[-1] = Piece(pieces[-1].html, markup)
    return pieces
