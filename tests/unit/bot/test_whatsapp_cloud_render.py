"""Replies to Cloud API message objects, within Meta's documented limits."""

from __future__ import annotations

from typing import Any

from bot.channels.whatsapp_cloud import (
    BUTTON_BODY_MAX,
    CHOOSE_PROMPT,
    TEMPLATE_PARAM_MAX,
    TEXT_MAX,
    render,
    template_message,
)
from bot.messages import Button, Reply
from bot.replies import CONFIRM_BUTTONS


def buttons(n: int, title: str = "Item", payload: str = "pick:") -> tuple[Button, ...]:
    return tuple(Button(f"{title} {i}", f"{payload}{i}") for i in range(1, n + 1))


def test_plain_text_is_one_text_message() -> None:
    assert render(Reply("hello")) == [
        {"type": "text", "text": {"body": "hello", "preview_url": False}}]


def test_long_text_is_split_under_4096_characters() -> None:
    text = "\n".join(f"line {n}: " + "x" * 200 for n in range(60))
    messages = render(Reply(text))
    assert len(messages) > 1
    bodies = [m["text"]["body"] for m in messages]
    assert all(len(b) <= TEXT_MAX for b in bodies) and "\n".join(bodies) == text


def test_the_draft_confirmation_becomes_reply_buttons() -> None:
    (message,) = render(Reply("Your order ...", CONFIRM_BUTTONS))
    interactive = message["interactive"]
    assert message["type"] == "interactive" and interactive["type"] == "button"
    assert interactive["body"] == {"text": "Your order ..."}
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "yes", "title": "YES, confirm"}},
        {"type": "reply", "reply": {"id": "cancel", "title": "Cancel"}}]


def test_button_titles_are_cut_to_20_and_kept_unique() -> None:
    (message,) = render(Reply("Which?", (Button("Parle-G Biscuit 100g pack", "a"),
                                         Button("Parle-G Biscuit 100g box", "b"))))
    titles = [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]
    assert all(len(t) <= 20 for t in titles) and len(set(titles)) == 2


def test_a_body_over_1024_goes_first_as_text_then_a_short_prompt_with_the_buttons() -> None:
    text = "y" * (BUTTON_BODY_MAX + 1)
    first, last = render(Reply(text, CONFIRM_BUTTONS))
    assert first == {"type": "text", "text": {"body": text, "preview_url": False}}
    assert last["interactive"]["type"] == "button"
    assert last["interactive"]["body"]["text"] == CHOOSE_PROMPT


def test_four_to_ten_choices_become_a_list_with_one_section() -> None:
    long_name = "Maggi 2-Minute Masala Noodles Family Pack 560g"
    choices = (*buttons(8), Button(long_name, "pick:MG-560"), Button("None of these", "pick:-"))
    (message,) = render(Reply("Which one did you mean?", choices))
    interactive = message["interactive"]
    assert interactive["type"] == "list"
    action = interactive["action"]
    assert 0 < len(action["button"]) <= 20
    (section,) = action["sections"]
    assert 0 < len(section["title"]) <= 24
    rows = section["rows"]
    assert [r["id"] for r in rows] == [b.payload for b in choices]
    assert all(len(r["title"]) <= 24 for r in rows)
    cut = rows[8]
    assert cut["title"].endswith("…") and cut["description"] == long_name
    assert "description" not in rows[0]


def test_more_than_ten_choices_become_numbered_text() -> None:
    (message,) = render(Reply("Which one?", buttons(11)))
    body = message["text"]["body"]
    assert message["type"] == "text"
    assert "1. Item 1" in body and "11. Item 11" in body


def test_ids_are_never_cut_so_an_id_over_the_limit_falls_back_to_numbered_text() -> None:
    (as_buttons,) = render(Reply("Pick", (Button("A", "a" * 256), Button("B", "b"))))
    assert as_buttons["interactive"]["type"] == "button"
    (too_long,) = render(Reply("Pick", (Button("A", "a" * 257), Button("B", "b"))))
    assert too_long["type"] == "text" and "1. A" in too_long["text"]["body"]
    (row_too_long,) = render(Reply("Pick", (Button("A", "a" * 201), *buttons(3))))
    assert row_too_long["type"] == "text"


def test_the_template_carries_the_text_flattened_with_numbered_choices() -> None:
    message = template_message([Reply("Line one\n\nLine\ttwo", CONFIRM_BUTTONS)],
                               "dms_update", "en")
    template: dict[str, Any] = message["template"]
    assert message["type"] == "template"
    assert template["name"] == "dms_update" and template["language"] == {"code": "en"}
    (component,) = template["components"]
    (parameter,) = component["parameters"]
    assert component["type"] == "body" and parameter["type"] == "text"
    text = parameter["text"]
    assert "\n" not in text and "\t" not in text and "  " not in text
    assert text.startswith("Line one Line two") and "1. YES, confirm" in text


def test_a_long_template_parameter_is_truncated_to_fit() -> None:
    message = template_message([Reply("z " * 3000)], "dms_update", "en")
    text = message["template"]["components"][0]["parameters"][0]["text"]
    assert len(text) == TEMPLATE_PARAM_MAX and text.endswith("…")
