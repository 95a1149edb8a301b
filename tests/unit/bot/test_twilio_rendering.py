"""TwiML rendering within WhatsApp's limits, and Twilio's signature check."""

from __future__ import annotations

from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from bot.channels.twilio_whatsapp import (
    MAX_CHARS,
    render_twiml,
    signature_ok,
    split_text,
    to_incoming,
)
from bot.messages import Button, Reply


def test_short_text_is_one_piece() -> None:
    assert split_text("hello") == ["hello"]


def test_long_text_is_cut_at_line_ends_under_the_limit() -> None:
    text = "\n".join(f"line {n}: " + "x" * 90 for n in range(60))
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_CHARS for p in pieces)
    assert "\n".join(pieces) == text


def test_a_single_huge_line_is_cut_hard() -> None:
    pieces = split_text("y" * 4000)
    assert [len(p) for p in pieces] == [1600, 1600, 800]


def test_buttons_become_numbered_choices() -> None:
    xml = render_twiml([Reply("Which one?", (Button("Maggi 70g", "pick:A"),
                                             Button("Maggi 280g", "pick:B")))])
    (message,) = [m.text for m in ElementTree.fromstring(xml).iter("Message")]
    assert message is not None
    assert "1. Maggi 70g" in message and "2. Maggi 280g" in message


def test_signature_is_checked_against_the_public_url() -> None:
    form = {"MessageSid": "SM1", "From": "whatsapp:+919800000001", "Body": "hi"}
    url = "https://dms.example.test/webhooks/twilio"
    good = RequestValidator("token").compute_signature(url, form)
    assert signature_ok("token", url, form, good)
    assert not signature_ok("token", "http://internal:8000/webhooks/twilio", form, good)
    assert not signature_ok("other", url, form, good)
    assert not signature_ok("token", url, {**form, "Body": "YES"}, good)
    assert not signature_ok("token", url, form, None)


def test_payload_becomes_an_incoming_message() -> None:
    msg = to_incoming({"MessageSid": "SM9", "From": "whatsapp:+919800000001", "Body": "2 cs coke",
                       "NumMedia": "1", "ButtonPayload": "yes"})
    assert msg is not None
    assert (msg.sender, msg.text, msg.payload, msg.media_count) == (
        "+919800000001", "2 cs coke", "yes", 1)
    assert msg.dedup_key == "whatsapp:SM9"
    assert to_incoming({"Body": "no sid"}) is None
