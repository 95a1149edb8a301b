"""Cloud API webhooks in: Meta's signature, and each payload shape to one IncomingMessage."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from bot.channels.whatsapp_cloud import (
    CHANNEL,
    StatusUpdate,
    parse_webhook,
    signature_ok,
    verify_token_ok,
)

SECRET = "app-secret-0123456789"
PHONE_ID = "106540352242922"


def webhook(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None,
            phone_number_id: str = PHONE_ID) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Sharma"}, "wa_id": "919800000001"}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]}


def message(kind: str, body: dict[str, Any], wamid: str = "wamid.A1") -> dict[str, Any]:
    return {"from": "919800000001", "id": wamid, "timestamp": "1718000000", "type": kind,
            kind: body}


def only(payload: dict[str, Any]) -> Any:
    (msg,) = parse_webhook(payload, PHONE_ID).messages
    return msg


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = json.dumps(webhook(message("text", {"body": "hi"}))).encode()
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signature_ok(SECRET, body, good)
    assert not signature_ok(SECRET, body + b" ", good)
    assert not signature_ok("another-secret", body, good)
    assert not signature_ok(SECRET, body, None)
    assert not signature_ok(SECRET, body, good.removeprefix("sha256="))
    assert not signature_ok(SECRET, body, "sha256=ünïcode")


def test_verify_token_must_match_exactly() -> None:
    assert verify_token_ok("tok", "tok")
    assert not verify_token_ok("tok", "tok2")
    assert not verify_token_ok("tok", None)


def test_a_text_message_keeps_its_wamid_phone_and_time() -> None:
    msg = only(webhook(message("text", {"body": "2 cs thums up 750"})))
    assert (msg.channel, msg.message_id, msg.sender) == (CHANNEL, "wamid.A1", "+919800000001")
    assert msg.text == "2 cs thums up 750" and msg.payload is None and msg.media_count == 0
    assert msg.received_at == datetime.fromtimestamp(1718000000, UTC)
    assert msg.dedup_key == "whatsapp_cloud:wamid.A1"


def test_a_tapped_reply_button_carries_its_id_as_the_payload() -> None:
    msg = only(webhook(message("interactive", {
        "type": "button_reply", "button_reply": {"id": "yes", "title": "YES, confirm"}})))
    assert (msg.payload, msg.text) == ("yes", "YES, confirm")


def test_a_picked_list_row_carries_its_id_as_the_payload() -> None:
    msg = only(webhook(message("interactive", {
        "type": "list_reply",
        "list_reply": {"id": "pick:MG-70", "title": "Maggi 70g", "description": "x"}})))
    assert (msg.payload, msg.text) == ("pick:MG-70", "Maggi 70g")


def test_a_template_quick_reply_carries_its_payload() -> None:
    msg = only(webhook(message("button", {"payload": "yes", "text": "Confirm"})))
    assert (msg.payload, msg.text) == ("yes", "Confirm")


def test_a_shared_location_becomes_text_and_coordinates() -> None:
    msg = only(webhook(message("location", {"latitude": 26.91, "longitude": 75.79,
                                            "name": "Sharma Kirana", "address": "MI Road"})))
    assert msg.location == (26.91, 75.79)
    assert msg.text == "location: 26.91,75.79 (Sharma Kirana, MI Road)"


def test_a_location_without_valid_coordinates_is_treated_as_unreadable_media() -> None:
    msg = only(webhook(message("location", {"latitude": "north", "longitude": 75.79})))
    assert msg.location is None and msg.media_count == 1 and msg.text == ""


def test_media_without_caption_is_counted_with_empty_text() -> None:
    msg = only(webhook(message("image", {"mime_type": "image/jpeg", "id": "123"})))
    assert (msg.media_count, msg.text) == (1, "")


def test_media_with_a_caption_keeps_the_caption_as_text() -> None:
    msg = only(webhook(message("image", {"id": "123", "caption": "2 cs coke"})))
    assert (msg.media_count, msg.text) == (1, "2 cs coke")


def test_reactions_and_system_notices_are_not_conversation_turns() -> None:
    payload = webhook(message("reaction", {"message_id": "wamid.X", "emoji": "👍"}),
                      message("system", {"body": "changed number"}, wamid="wamid.S"))
    assert parse_webhook(payload, PHONE_ID).messages == ()


def test_statuses_are_parsed_apart_from_messages() -> None:
    parsed = parse_webhook(webhook(statuses=[
        {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1718000001",
         "recipient_id": "919800000001"},
        {"id": "wamid.OUT2", "status": "failed", "recipient_id": "919800000001",
         "errors": [{"code": 131047, "title": "Re-engagement message"}]}]), PHONE_ID)
    assert parsed.messages == ()
    assert parsed.statuses == (
        StatusUpdate("wamid.OUT1", "delivered", "919800000001"),
        StatusUpdate("wamid.OUT2", "failed", "919800000001", (131047,)))


def test_several_messages_in_one_webhook_keep_their_order() -> None:
    parsed = parse_webhook(webhook(message("text", {"body": "one"}, wamid="wamid.1"),
                                   message("text", {"body": "two"}, wamid="wamid.2")), PHONE_ID)
    assert [m.text for m in parsed.messages] == ["one", "two"]


def test_changes_for_another_business_number_are_skipped() -> None:
    payload = webhook(message("text", {"body": "hi"}), phone_number_id="999")
    assert parse_webhook(payload, PHONE_ID).messages == ()
    assert len(parse_webhook(payload, None).messages) == 1


def test_other_objects_and_malformed_shapes_yield_nothing() -> None:
    assert parse_webhook({"object": "page", "entry": []}).messages == ()
    assert parse_webhook([1, 2, 3]).messages == ()
    assert parse_webhook({"object": "whatsapp_business_account", "entry": "x"}).messages == ()
    broken = webhook({"type": "text", "text": {"body": "no id or sender"}})
    assert parse_webhook(broken, PHONE_ID).messages == ()
