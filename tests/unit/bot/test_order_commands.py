"""Order buttons typed out: rendered as commands where there are no buttons, read back as the
button's payload, and a rejection reason awaited only briefly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.twilio_whatsapp import render_text
from bot.dialogue import REASON_WAIT, _still_asking
from bot.messages import Button, Reply
from bot.order_commands import payload_of, typed

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("payload", "command"), [
    ("ord:accept:12", "ACCEPT 12"),
    ("ord:dispatch:12", "DISPATCHED 12"),
    ("ord:reject:12", "REJECT 12"),
    ("ord:reject:12:Out of stock", "REJECT 12 Out of stock"),
])
def test_a_command_does_what_its_button_does(payload: str, command: str) -> None:
    assert typed(payload) == command
    assert payload_of(command) == payload
    assert (payload_of(command.lower()) or "").lower() == payload.lower()  # reason as typed


@pytest.mark.parametrize(("text", "payload"), [
    ("accept ORD-000012", "ord:accept:12"),
    ("Dispatch #12", "ord:dispatch:12"),
    ("reject ord-12: shop closed", "ord:reject:12:shop closed"),
    ("accept 12 cases of maggi", None),  # an order, not a command
    ("accept", None),
    ("2 cs coke", None),
])
def test_typed_commands_are_read_loosely_but_not_from_orders(text: str, payload: str | None
                                                             ) -> None:
    assert payload_of(text) == payload


def test_order_buttons_are_offered_as_commands_and_others_as_numbers() -> None:
    notice = Reply("🛒 New order ORD-000012", (Button("Accept", "ord:accept:12"),
                                              Button("Reject", "ord:reject:12")))
    assert render_text(notice).endswith("Reply with:\n• ACCEPT 12\n• REJECT 12")
    draft = Reply("Your order", (Button("YES, confirm", "YES"), Button("Cancel", "CANCEL")))
    assert render_text(draft).endswith("Reply with a number:\n1. YES, confirm\n2. Cancel")
    assert typed("pick:MAGGI-70G") is None


def test_a_rejection_reason_is_awaited_for_a_while_only() -> None:
    asked = {"order": 12, "asked": NOW.isoformat()}
    assert _still_asking(asked, NOW + timedelta(minutes=1)) == 12
    assert _still_asking(asked, NOW + REASON_WAIT + timedelta(seconds=1)) is None
    assert _still_asking(12, NOW) is None  # the old form carried no time
    assert _still_asking({"order": "x", "asked": "later"}, NOW) is None
