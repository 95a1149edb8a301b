"""The web chat: a page to talk to the bot as any demo party, through the same inbox."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Services
from api.deps import ServicesDep
from api.stored_values import StoredText
from bot.channels import webchat

router = APIRouter(prefix="/chat", tags=["webchat"])


async def web_chat_on(services: ServicesDep) -> None:
    if not services.settings.web_chat_enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the web chat is off")


WebChatOn = Annotated[None, Depends(web_chat_on)]


class ChatPartyPublic(BaseModel):
    id: str
    name: str
    role: str


class ChatMessageIn(BaseModel):
    party_id: StoredText = Field(min_length=1, max_length=64)
    text: str = Field(default="", max_length=20_000)
    payload: str | None = Field(default=None, max_length=200)
    message_id: StoredText | None = Field(default=None, max_length=100)


class ChatReplyOut(BaseModel):
    replies: list[dict[str, Any]]


@router.get("", response_class=HTMLResponse, operation_id="chat_page", include_in_schema=False)
def chat_page(_: WebChatOn) -> HTMLResponse:
    return HTMLResponse(files("api.static").joinpath("chat.html").read_text(encoding="utf-8"))


@router.get("/app.js", operation_id="chat_script", include_in_schema=False)
def chat_script(_: WebChatOn) -> Response:
    # Served from our origin so the page's Content-Security-Policy can forbid inline script.
    text = files("api.static").joinpath("chat.js").read_text(encoding="utf-8")
    return Response(text, media_type="text/javascript")


@router.get("/parties", operation_id="chat_parties")
def chat_parties(services: ServicesDep, _: WebChatOn) -> dict[str, Any]:
    with services.uow() as uow:
        # Retailers first: the demo starts as a shop placing an order.
        rank = {"retailer": 0, "distributor": 1, "rep": 2, "manager": 3}
        parties = [ChatPartyPublic(id=p.id, name=p.name, role=p.role.value)
                   for p in sorted(uow.parties.list(), key=lambda p: (rank[p.role.value], p.id))
                   if p.active]
    return {"data": parties, "count": len(parties)}


@router.get("/notices", operation_id="chat_notices")
def chat_notices(party_id: str, services: ServicesDep, _: WebChatOn) -> ChatReplyOut:
    """Notices for a party on the web chat (new orders, dispatches, alerts), fetched once."""
    mailbox = services.mailbox
    return ChatReplyOut(replies=webchat.render(mailbox.take(party_id)) if mailbox else [])


def _party_unknown(services: Services, party_id: str) -> bool:
    with services.uow() as uow:
        return uow.parties.get(party_id) is None


@router.post("/messages", operation_id="chat_send")
async def chat_send(body: ChatMessageIn, services: ServicesDep, _: WebChatOn) -> ChatReplyOut:
    if await run_in_threadpool(_party_unknown, services, body.party_id):  # not on the loop
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no party {body.party_id}")
    msg = webchat.to_incoming(body.party_id, body.text, body.payload, body.message_id)
    replies = await services.handle(msg)
    services.relay.wake()
    return ChatReplyOut(replies=webchat.render(replies))
