"""The WhatsApp Cloud API webhook: Meta's verify handshake, and signed message deliveries.

Replies do not go in the HTTP answer (Meta ignores it): they go through the outbound queue,
keyed by the inbound message id, so a redelivered webhook is answered once.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from bot.channels import whatsapp_cloud
from bot.outbound import Outbound

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("/whatsapp", operation_id="whatsapp_cloud_verify", response_class=PlainTextResponse)
async def whatsapp_cloud_verify(
    services: ServicesDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str, Query(alias="hub.challenge")] = "",
) -> PlainTextResponse:
    expected = services.settings.WHATSAPP_VERIFY_TOKEN
    if not expected:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the WhatsApp Cloud channel is off")
    if mode != "subscribe" or not whatsapp_cloud.verify_token_ok(expected, verify_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad hub.mode or hub.verify_token")
    return PlainTextResponse(challenge)


@router.post("/whatsapp", operation_id="whatsapp_cloud_webhook")
async def whatsapp_cloud_webhook(request: Request, services: ServicesDep) -> dict[str, str]:
    settings = services.settings
    if not (settings.WHATSAPP_APP_SECRET and settings.WHATSAPP_TOKEN
            and settings.WHATSAPP_PHONE_NUMBER_ID):
        # As build_channels: without the number it could not answer, nor tell its own messages
        # from another number's.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the WhatsApp Cloud channel is off")
    # The signature covers the bytes Meta sent, so check them before any parsing.
    body = await request.body()
    signature = request.headers.get("X-Hub-Signature-256")
    if not whatsapp_cloud.signature_ok(settings.WHATSAPP_APP_SECRET, body, signature):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad or missing X-Hub-Signature-256")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep to parse
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not JSON") from exc
    webhook = whatsapp_cloud.parse_webhook(payload, settings.WHATSAPP_PHONE_NUMBER_ID)
    whatsapp_cloud.log_statuses(webhook.statuses)
    window = services.channels.handles.get(whatsapp_cloud.CHANNEL)
    for msg in webhook.messages:
        if isinstance(window, whatsapp_cloud.ServiceWindow):
            await run_in_threadpool(window.touch, msg.sender, msg.received_at.timestamp())
        replies = await services.handle(msg)
        if replies:
            await services.outbound.enqueue(Outbound(
                channel=whatsapp_cloud.CHANNEL, to=msg.sender, replies=tuple(replies),
                key=f"reply:{whatsapp_cloud.CHANNEL}:{msg.message_id}", party_id=None))
    return {}
