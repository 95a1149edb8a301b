"""The Telegram webhook: check Telegram's secret header, hand the update to the adapter.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token on every
call; without it anyone who learns the URL could speak as any user.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from api.deps import ServicesDep
from bot.channels.telegram import BadUpdate, TelegramChannel

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def secret_ok(expected: str | None, given: str | None) -> bool:
    # No configured secret means no caller can be trusted: refuse everything.
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@router.post("/telegram", operation_id="telegram_webhook")
async def telegram_webhook(request: Request, services: ServicesDep) -> dict[str, Any]:
    settings = services.settings
    channel = services.channels.handles.get("telegram")
    if not settings.TELEGRAM_BOT_TOKEN or not isinstance(channel, TelegramChannel):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the Telegram channel is off")
    if not secret_ok(settings.TELEGRAM_WEBHOOK_SECRET, request.headers.get(SECRET_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"bad or missing {SECRET_HEADER}")
    try:
        payload = json.loads(await request.body())
    # ValueError also covers an integer past Python's digit limit; RecursionError, deep nesting.
    except (ValueError, RecursionError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not JSON") from exc
    if not isinstance(payload, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not a Telegram update")
    try:
        # Replies go out through the queue, so this returns as soon as they are queued.
        await channel.handle(payload, services.handle, services.outbound)
    except BadUpdate as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return {}
