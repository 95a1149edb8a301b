"""Telegram updates (as the Bot API documents them) turned into our IncomingMessage."""

from __future__ import annotations

import pytest
from telegram import Bot

from bot.channels.telegram import BadUpdate, normalise_phone, parse_update, to_incoming
from tests.fake_telegram_api import TOKEN, callback_update, contact_update, text_update

BOT = Bot(TOKEN)  # only used to build Update objects: no call leaves the process


def test_a_text_message_carries_the_update_id_and_the_user_as_sender() -> None:
    msg = to_incoming(parse_update(text_update(700, 42, "2 cs thums up 750"), BOT), "R-0001")
    assert msg is not None
    assert (msg.channel, msg.message_id, msg.sender) == ("telegram", "700", "tg:42")
    assert (msg.text, msg.payload, msg.party_id) == ("2 cs thums up 750", None, "R-0001")
    assert msg.dedup_key == "telegram:700"


def test_a_tapped_button_is_its_payload() -> None:
    msg = to_incoming(parse_update(callback_update(701, 42, "yes"), BOT), "R-0001")
    assert msg is not None
    assert (msg.payload, msg.text, msg.message_id) == ("yes", "", "701")


@pytest.mark.parametrize(("text", "seen"), [("/start", "hi"), ("/start@dms_test_bot", "hi"),
                                             ("/help", "help"), ("/start ref-7", "hi"),
                                             ("help me /start", "help me /start")])
def test_bot_commands_read_as_what_they_mean(text: str, seen: str) -> None:
    msg = to_incoming(parse_update(text_update(702, 42, text), BOT), "R-0001")
    assert msg is not None and msg.text == seen


def test_a_photo_counts_as_media_with_its_caption_as_text() -> None:
    payload = text_update(703, 42, "")
    del payload["message"]["text"]
    payload["message"]["photo"] = [{"file_id": "f1", "file_unique_id": "u1",
                                    "width": 90, "height": 90}]
    payload["message"]["caption"] = "my shelf"
    msg = to_incoming(parse_update(payload, BOT), "R-0001")
    assert msg is not None and (msg.media_count, msg.text) == (1, "my shelf")


def test_an_edited_message_is_not_a_new_message() -> None:
    payload = text_update(704, 42, "2 cs coke")
    payload["edited_message"] = payload.pop("message")
    assert to_incoming(parse_update(payload, BOT), "R-0001") is None


def test_a_contact_update_parses_with_its_owner() -> None:
    update = parse_update(contact_update(705, 42, "919800000001", 42), BOT)
    assert update.message is not None and update.message.contact is not None
    assert update.message.contact.user_id == 42


@pytest.mark.parametrize("payload", [
    {}, {"update_id": "7"}, {"update_id": 7, "message": 5},
    {"update_id": 7, "message": {"message_id": 1, "date": 10**20, "text": "hi",
                                 "chat": {"id": 42, "type": "private"}}},
])
def test_what_is_not_an_update_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises(BadUpdate):
        parse_update(payload, BOT)


def _with(update: dict[str, object], **message: object) -> dict[str, object]:
    return {**update, "message": {**update["message"], **message}}  # type: ignore[dict-item]


@pytest.mark.parametrize("payload", [
    _with(text_update(7, 42, "hi"), text=123),
    _with(text_update(7, 42, "hi"), text=["a"]),
    _with(text_update(7, 42, "hi"), caption=5),
    {**callback_update(7, 42, "x"), "callback_query": {
        **callback_update(7, 42, "x")["callback_query"], "data": 42}},  # type: ignore[dict-item]
    text_update(7, 10**20, "hi"),
    contact_update(7, 42, "+919800000001", 10**20),
])
def test_fields_of_the_wrong_type_or_size_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(BadUpdate):
        parse_update(payload, BOT)


@pytest.mark.parametrize(("raw", "e164"), [
    ("919800000001", "+919800000001"),
    ("+919800000001", "+919800000001"),
    ("+91 98000-00001", "+919800000001"),
    ("00919800000001", "+919800000001"),
    ("12345", None),
    ("not a phone", None),
    ("0919800000001", None),
])
def test_contact_numbers_are_normalised_to_e164(raw: str, e164: str | None) -> None:
    assert normalise_phone(raw) == e164
