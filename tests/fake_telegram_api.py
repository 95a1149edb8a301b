"""A fake Telegram Bot API behind respx: records each call and answers as Telegram does.

python-telegram-bot posts form fields whose values are JSON (reply_markup as a JSON string);
`calls` holds them decoded. `fail_next(method, ...)` makes the next call(s) of a method
answer with an error, e.g. a 429 flood limit with parameters.retry_after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import respx

API = "https://tg.example.test"
TOKEN = "123456:TEST-token_for-the-fake-api"
JSON_FIELDS = {"reply_markup", "allowed_updates"}
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "DMS", "username": "dms_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class FakeBotApi:
    api: str = API
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    # Per method, what the next calls answer: an error, or None for the normal answer.
    _script: dict[str, list[httpx.Response | None]] = field(default_factory=dict)
    _message_id: int = 0

    def install(self, router: respx.MockRouter) -> None:
        router.route(url__startswith=f"{self.api}/bot{self.token}/").mock(
            side_effect=self.handle)

    def fail_next(self, method: str, status: int, description: str, times: int = 1,
                  after: int = 0, **parameters: Any) -> None:
        """The next `times` calls of `method` fail (after `after` calls that succeed)."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        script = self._script.setdefault(method, [])
        script.extend([None] * after)
        script.extend(httpx.Response(status, json=body) for _ in range(times))

    def handle(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        for name, raw in parse_qsl(request.content.decode()):
            # Strings (text, parse_mode) are sent as they are; objects as JSON.
            params[name] = json.loads(raw) if name in JSON_FIELDS else raw
        scripted = self._script[method].pop(0) if self._script.get(method) else None
        if scripted is not None:
            self.calls.append(Call(method, params, scripted.status_code))
            return scripted
        self.calls.append(Call(method, params))
        return httpx.Response(200, json={"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            self._message_id += 1
            return {"message_id": self._message_id, "date": 1_700_000_000,
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "from": BOT_USER, "text": str(params["text"])}
        return True

    def of(self, method: str) -> list[dict[str, Any]]:
        """The calls of `method` that succeeded."""
        return [c.params for c in self.calls if c.method == method and c.status == 200]

    def attempts(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What reached the user: the sendMessage calls that succeeded."""
        return self.of("sendMessage")

    def texts(self) -> list[str]:
        return [str(m["text"]) for m in self.messages]


# -- updates as Telegram posts them to the webhook (Bot API "Update" objects) ------------

def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Ramesh", "language_code": "en"}


def _chat(user_id: int) -> dict[str, Any]:
    # In a private chat the chat id is the user's id.
    return {"id": user_id, "type": "private", "first_name": "Ramesh"}


def _message(update_id: int, user_id: int, **content: Any) -> dict[str, Any]:
    return {"update_id": update_id,
            "message": {"message_id": update_id, "date": 1_700_000_000,
                        "from": _user(user_id), "chat": _chat(user_id), **content}}


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return _message(update_id, user_id, text=text)


def contact_update(update_id: int, user_id: int, phone: str,
                   contact_user_id: int | None) -> dict[str, Any]:
    contact: dict[str, Any] = {"phone_number": phone, "first_name": "Ramesh"}
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    return _message(update_id, user_id, contact=contact)


def callback_update(update_id: int, user_id: int, data: str) -> dict[str, Any]:
    shown = {"message_id": 1, "date": 1_700_000_000, "from": BOT_USER, "chat": _chat(user_id),
             "text": "Your order (not placed yet)"}
    return {"update_id": update_id,
            "callback_query": {"id": f"cbq{update_id}", "from": _user(user_id),
                               "message": shown, "chat_instance": "-4242", "data": data}}
