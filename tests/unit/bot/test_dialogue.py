"""The dialogue on in-memory twins: drafts, choices, edits, confirmation, reading."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from importlib.resources import files
from itertools import count

import pytest

from api.bootstrap import builtin_parser
from bot.catalog_cache import CatalogCache
from bot.dedup import InMemoryReplyCache
from bot.dialogue import Dialogue
from bot.inbox import Inbox
from bot.locks import InProcessSenderLocks
from bot.messages import IncomingMessage, Reply
from bot.state import InMemoryConversationStore
from domain.adapters.memory import MemoryStore, MemoryUnitOfWork
from domain.services.imports import import_catalog, import_parties, import_schemes
from tests.e2e.conftest import PARTIES_CSV, SCHEMES_JSON

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


class Shop:
    def __init__(self, party_id: str = "R-0001") -> None:
        self.store = MemoryStore()
        catalog = files("domain.services").joinpath("demo_catalog.csv").read_text()
        import_catalog(MemoryUnitOfWork(self.store), catalog)
        import_parties(MemoryUnitOfWork(self.store), PARTIES_CSV)
        import_schemes(MemoryUnitOfWork(self.store), SCHEMES_JSON)
        self.states = InMemoryConversationStore(3600)
        dialogue = Dialogue(lambda: MemoryUnitOfWork(self.store), CatalogCache(builtin_parser),
                            self.states, lambda: NOW)
        self.inbox = Inbox(lambda: MemoryUnitOfWork(self.store), dialogue,
                           InMemoryReplyCache(3600), InProcessSenderLocks(1))
        self.party_id = party_id
        self.ids = count()

    def send(self, text: str = "", payload: str | None = None) -> list[Reply]:
        return self.inbox.handle(IncomingMessage(
            channel="webchat", message_id=f"m{next(self.ids)}", sender=self.party_id,
            text=text, payload=payload, party_id=self.party_id))

    def say(self, text: str = "", payload: str | None = None) -> str:
        return "\n".join(r.text for r in self.send(text, payload))

    def orders(self) -> int:
        return len(self.store.orders)


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_a_tapped_choice_resolves_the_ambiguous_product(shop: Shop) -> None:
    (question,) = shop.send("5 box maggi")
    assert {b.payload for b in question.buttons} == {
        "pick:MAGGI-70G", "pick:MAGGI-280G", "pick:MAGGI-560G", "pick:-"}
    draft = shop.say("Maggi 70g", payload="pick:MAGGI-70G")
    assert "5 boxes" in draft and "Total:" in draft


def test_none_of_these_leaves_the_mention_out(shop: Shop) -> None:
    shop.send("2 cs coke 750, 5 box maggi")
    reply = shop.say("None of these", payload="pick:-")
    assert "Left out" in reply and "Coca-Cola 750ml PET" in reply


def test_yes_while_a_question_is_open_asks_it_again(shop: Shop) -> None:
    shop.send("2 cs coke 750, 5 box maggi")
    assert "answer the question above" in shop.say("yes")
    assert shop.orders() == 0


def test_make_with_a_unit_changes_quantity_and_unit(shop: Shop) -> None:
    shop.send("2 cs thums up 750")
    reply = shop.say("make thums up 30 bottles")
    assert "Thums Up 750ml PET: 30 bottles" in reply


def test_editing_a_product_not_in_the_draft_says_so(shop: Shop) -> None:
    shop.send("2 cs thums up 750")
    assert "not in your draft" in shop.say("remove harpic")


def test_free_lines_are_recomputed_when_the_quantity_drops(shop: Shop) -> None:
    reply = shop.say("10 cs thums up 750")
    assert "you save" in reply
    lower = shop.say("make thums up 9")
    assert "you save" not in lower
    assert "Add 1 case" in lower  # the nudge towards the slab


def test_reorder_copies_the_last_order(shop: Shop) -> None:
    shop.send("3 cs sprite 750")
    shop.send("yes")
    reply = shop.say("repeat last order")
    assert "Copied your last order ORD-000001" in reply and "Sprite 750ml PET: 3 cases" in reply


def test_offers_list_the_live_schemes(shop: Shop) -> None:
    assert "Thums Up 750: 10 cases or more, 5% off" in shop.say("offers")


def test_order_status_lists_recent_orders(shop: Shop) -> None:
    shop.send("3 cs sprite 750")
    shop.send("yes")
    assert "ORD-000001" in shop.say("order status")


def test_a_rep_is_not_offered_retailer_ordering() -> None:
    rep = Shop("REP-01")
    assert "for retailers and distributors" in rep.say("2 cs coke 750")
    assert rep.orders() == 0


def test_a_draft_survives_between_messages_but_not_cancel(shop: Shop) -> None:
    shop.send("2 cs coke 750")
    assert shop.states.load("R-0001")["draft"]["lines"][0]["sku"] == "COKE-750"
    shop.send("cancel")
    assert shop.states.load("R-0001") == {}


def withdraw(shop: Shop, sku: str) -> None:
    """The catalog stops selling a product (as a re-import with active=false does)."""
    with MemoryUnitOfWork(shop.store) as uow:
        product = uow.products.get(sku)
        assert product is not None
        uow.products.upsert(replace(product, active=False))
        uow.meta.bump_catalog_version()
        uow.commit()


def test_a_product_withdrawn_from_a_draft_is_taken_off_and_named(shop: Shop) -> None:
    shop.send("2 cs coke 750, 3 cs thums up 750")
    withdraw(shop, "COKE-750")
    # An edit of the draft (it used to fail on the missing product).
    reply = shop.say("make thums up 4 cases")
    assert reply.startswith("No longer sold, so taken off your draft order: COKE-750.")
    assert "Thums Up 750ml PET: 4 cases" in reply and "Coca-Cola" not in reply
    assert shop.orders() == 0


def test_yes_after_a_withdrawal_shows_what_is_left_and_asks_again(shop: Shop) -> None:
    shop.send("2 cs coke 750, 3 cs thums up 750")
    withdraw(shop, "COKE-750")
    reply = shop.say("yes")
    assert "taken off your draft order: COKE-750" in reply and "Reply YES" in reply
    assert shop.orders() == 0  # not placed behind the shop's back
    assert "placed" in shop.say("yes")
    (order,) = shop.store.orders.values()
    assert [line.sku for line in order.lines] == ["TU-750"]


def test_a_choice_withdrawn_while_asked_is_left_out(shop: Shop) -> None:
    shop.send("5 box maggi")
    withdraw(shop, "MAGGI-70G")
    reply = shop.say("Maggi 70g", payload="pick:MAGGI-70G")
    assert "Left out '5 box maggi'." in reply


def test_make_takes_the_quantity_from_the_message_not_the_product_name(shop: Shop) -> None:
    shop.send("5 strip calpol 500")
    # "Calpol 500mg Tablet (strip of 15)": neither 500 nor 15 is the quantity asked for.
    assert "to 3 strips" in shop.say("make calpol 500 to 3")
    assert "to 2 boxes" in shop.say("make calpol 500 2 box")
    assert "couldn't read the quantity '3 zz'" in shop.say("make calpol 500 3 zz")
    removed = shop.say("make calpol 500 0")
    assert "Removed Calpol" in removed and "draft order is empty" in removed


def test_cancel_with_a_filler_word_cancels_the_draft_and_short_words_match_no_line(
        shop: Shop) -> None:
    shop.send("2 cs sprite 750, 5 box maggi 70g")
    assert "'no' is not in your draft order" in shop.say("remove no")  # not Maggi's "Noodles"
    assert "draft order is cancelled" in shop.say("cancel it")
    shop.send("2 cs sprite 750")
    assert "draft order is cancelled" in shop.say("cancel karo")
    shop.send("2 cs sprite 750, 5 box maggi 70g")
    assert "Removed Sprite" in shop.say("cancel sprite")


def test_a_stale_choice_or_a_number_out_of_range_keeps_the_open_question(shop: Shop) -> None:
    (question,) = shop.send("5 box maggi, 2 cs coke")
    assert question.buttons
    coke = shop.say("Maggi 70g", payload="pick:MAGGI-70G")  # then the coke question
    assert "Which one did you mean by" in coke and "coke" in coke
    again = shop.say("Maggi 70g", payload="pick:MAGGI-70G")  # the old button again
    assert "earlier question" in again and "Left out" not in again
    assert "number from 1 to" in shop.say("7")
    picked = shop.say("1")
    assert "Left out" not in picked and "Total:" in picked


def test_a_shared_location_is_acknowledged_not_parsed_as_an_order(shop: Shop) -> None:
    reply = shop.inbox.handle(IncomingMessage(
        channel="whatsapp_cloud", message_id="loc-1", sender="+919800000001",
        text="location: 26.9124,75.7873 (Coca Cola Agency, MI Road)",
        location=(26.9124, 75.7873), party_id="R-0001"))
    assert "got your location" in reply[0].text and not reply[0].buttons
    assert "draft" not in shop.states.load("R-0001")
    assert "pending" not in shop.states.load("R-0001")


def test_one_product_on_two_lines_is_told_apart_by_its_unit(shop: Shop) -> None:
    shop.send("5 box maggi 70g")
    shop.send("add 1 cs maggi 70g")
    asked = shop.say("remove maggi 70g")
    assert "on your draft twice, as 5 boxes and 1 case" in asked
    changed = shop.say("make maggi 70g case 3")
    assert "Changed Maggi" in changed and "to 3 cases" in changed and "5 boxes" in changed
    removed = shop.say("remove maggi 70g box")
    assert "Removed Maggi" in removed and "5 boxes" not in removed and "3 cases" in removed


def test_a_line_moved_to_its_twins_unit_joins_it_and_punctuation_does_not_fool_matching(
        shop: Shop) -> None:
    shop.send("5 box maggi 70g")
    shop.send("add 1 cs maggi 70g")
    joined = shop.say("make maggi 70g box 2 case")
    assert "to 3 cases" in joined and "boxes" not in joined
    assert "Removed Maggi" in shop.say("remove maggi 70g")  # one line now: no question
    shop.send("2 cs sprite 750")
    refused = shop.say("remove it.")  # not Sprite, though "it." is three characters
    assert "is not in your draft order" in refused and "Removed" not in refused


@pytest.mark.parametrize("text", ["1e9 cs coke 750", "1e999 cs coke 750",
                                  "99999999999999999999999999999 cs coke 750"])
def test_an_absurd_quantity_is_refused_by_the_order_limit_not_read_as_one(
        shop: Shop, text: str) -> None:
    reply = shop.say(text)
    assert "more than 10,000 cases" in reply and "empty" in reply
