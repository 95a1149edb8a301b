"""Channel webhooks: check the vendor's signature, hand the payload to its channel adapter."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.deps import ServicesDep
from bot.channels import twilio_whatsapp

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

TWIML = "application/xml"


@router.post("/twilio", operation_id="twilio_webhook", response_class=Response)
async def twilio_webhook(request: Request, services: ServicesDep) -> Response:
    settings = services.settings
    if not settings.TWILIO_AUTH_TOKEN:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the Twilio channel is off")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    # Twilio signs the URL it called, which is the public one, not what the proxy shows us.
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("X-Twilio-Signature")
    if not twilio_whatsapp.signature_ok(settings.TWILIO_AUTH_TOKEN, url, form, signature):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad or missing X-Twilio-Signature")
    try:
        msg = twilio_whatsapp.to_incoming(form)
    except ValueError as exc:  # Twilio sends neither; stored, a NUL would fail the database
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    if msg is None:
        return Response(twilio_whatsapp.render_twiml([]), media_type=TWIML)
    replies = await services.handle(msg)
    return Response(twilio_whatsapp.render_twiml(replies), media_type=TWIML)
