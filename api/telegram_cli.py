"""`dms telegram set-webhook`: points Telegram at our webhook, with its secret."""

from __future__ import annotations

import asyncio
import re
import sys

from telegram.error import TelegramError

from api.settings import Settings
from bot.channels.telegram import ALLOWED_UPDATES, build_application

# What Telegram accepts as a secret_token (Bot API, setWebhook).
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def webhook_url(settings: Settings) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/webhooks/telegram"


async def _set_webhook(settings: Settings, token: str, secret: str) -> bool:
    application = build_application(token, settings.TELEGRAM_API_BASE_URL)
    async with application.bot as bot:
        ok: bool = await bot.set_webhook(webhook_url(settings), secret_token=secret,
                                         allowed_updates=list(ALLOWED_UPDATES))
    return ok


def set_webhook(settings: Settings) -> int:
    """Registers the webhook; prints the outcome. 0 on success, 1 if Telegram said no."""
    token, secret = settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_WEBHOOK_SECRET
    if not token:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram channel is off", file=sys.stderr)
        return 2
    if not secret or not _SECRET.fullmatch(secret):
        print("TELEGRAM_WEBHOOK_SECRET must be set: 1-256 characters of A-Z, a-z, 0-9, _ "
              "and -", file=sys.stderr)
        return 2
    url = webhook_url(settings)
    if not url.startswith("https://"):
        print(f"warning: Telegram only calls https URLs; {url} will be refused",
              file=sys.stderr)
    try:
        ok = asyncio.run(_set_webhook(settings, token, secret))
    except TelegramError as exc:
        print(f"setWebhook failed: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return 1
    print(f"setWebhook {url}: {'ok' if ok else 'refused'} "
          f"(updates: {', '.join(ALLOWED_UPDATES)})")
    return 0 if ok else 1
