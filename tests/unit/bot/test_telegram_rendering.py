"""Replies rendered within Telegram's limits: escaped HTML, pieces under 4,096, keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.channels.telegram_rendering import (
    MAX_CHARS,
    SHARE_CONTACT,
    render,
    split_html,
    telegram_length,
)
from bot.messages import Button, Reply
from bot.replies import CONFIRM_BUTTONS


def test_html_special_characters_are_escaped() -> None:
    [piece] = render(Reply("Tom & Jerry <b>stores</b>: 5 > 3"))
    assert piece.html == "Tom &amp; Jerry &lt;b&gt;stores&lt;/b&gt;: 5 &gt; 3"


def test_whatsapp_style_bold_becomes_html_bold() -> None:
    [piece] = render(Reply("*Total: Rs 1,824.00* (you save Rs 0 & more)"))
    assert piece.html == "<b>Total: Rs 1,824.00</b> (you save Rs 0 &amp; more)"


def test_a_long_reply_is_cut_at_line_ends_under_the_limit() -> None:
    text = "\n".join(f"{n}. Thums Up 750ml PET: 2 cases x Rs 912.00" for n in range(300))
    pieces = split_html(text)
    assert len(pieces) > 1
    assert all(telegram_length(p) <= MAX_CHARS for p in pieces)
    assert "\n".join(pieces) == text  # nothing lost, every cut at a line end


def test_escaping_never_pushes_a_piece_over_the_limit() -> None:
    text = "\n".join("&" * 100 for _ in range(60))  # 6,000 characters, 30,000 once escaped
    pieces = split_html(text)
    assert all(telegram_length(p) <= MAX_CHARS for p in pieces)
    assert "".join(pieces).replace("\n", "") == "&amp;" * 6000


def test_one_enormous_line_is_cut_anywhere_but_never_inside_an_entity() -> None:
    pieces = split_html("a<" * 5000)
    assert all(telegram_length(p) <= MAX_CHARS for p in pieces)
    assert all(not p.endswith(("&", "&l", "&lt")) for p in pieces)
    assert "".join(pieces) == "a&lt;" * 5000


def test_emoji_count_twice_as_telegram_measures_them() -> None:
    pieces = split_html("\n".join("🧾" * 100 for _ in range(30)))  # 3,000 emoji: 6,000 units
    assert len(pieces) == 2
    assert all(telegram_length(p) <= MAX_CHARS for p in pieces)


def test_the_confirm_buttons_are_an_inline_keyboard_on_the_last_piece() -> None:
    text = "\n".join("line " + "x" * 80 for _ in range(100))
    pieces = render(Reply(text, CONFIRM_BUTTONS))
    assert len(pieces) > 1
    assert all(p.markup is None for p in pieces[:-1])
    markup = pieces[-1].markup
    assert isinstance(markup, InlineKeyboardMarkup)
    [row] = markup.inline_keyboard
    assert [(b.text, b.callback_data) for b in row] == [("YES, confirm", "yes"),
                                                         ("Cancel", "cancel")]


def test_product_choices_go_one_per_row() -> None:
    buttons = (Button("Maggi 2-Minute Noodles 70g", "pick:MAG-70"),
               Button("Maggi Masala Noodles 280g", "pick:MAG-280"),
               Button("None of these", "pick:-"))
    [piece] = render(Reply("Which one?", buttons))
    assert isinstance(piece.markup, InlineKeyboardMarkup)
    assert [[b.callback_data for b in row] for row in piece.markup.inline_keyboard] == [
        ["pick:MAG-70"], ["pick:MAG-280"], ["pick:-"]]


def test_a_payload_over_64_bytes_becomes_numbered_choices_instead_of_a_refused_message() -> None:
    buttons = (Button("Short", "yes"), Button("Long one", "pick:" + "X" * 70))
    [piece] = render(Reply("Which one?", buttons))
    assert not isinstance(piece.markup, InlineKeyboardMarkup)
    assert "Reply with a number:\n1. Short\n2. Long one" in piece.html


def test_the_contact_request_is_a_reply_keyboard_asking_for_the_contact() -> None:
    [piece] = render(Reply("Please share", (Button("📱 Share my phone number", SHARE_CONTACT),)))
    assert isinstance(piece.markup, ReplyKeyboardMarkup)
    [[key]] = piece.markup.keyboard
    assert key.request_contact is True and key.text == "📱 Share my phone number"
    assert piece.markup.one_time_keyboard is True


def test_a_plain_reply_clears_the_contact_keyboard() -> None:
    [piece] = render(Reply("Thank you, Sharma Kirana Store!"))
    assert isinstance(piece.markup, ReplyKeyboardRemove)
