"""A shop answers "which maggi?" once; the bot remembers, for that shop, then for everyone."""

from __future__ import annotations

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
from domain.services.imports import import_catalog, import_parties
from tests.e2e.conftest import PARTIES_CSV

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
MORE_SHOPS = "".join(
    f"R-000{n},retailer,Shop {n},+91980000000{n},,D-001,NORTH-1,north,26.9,75.7,B,"
    "general_trade,50000\n" for n in (3, 4, 5))
MAGGI_CHOICES = {"pick:MAGGI-70G", "pick:MAGGI-280G", "pick:MAGGI-560G", "pick:-"}


class Market:
    """Several shops talking to one bot (one store, one catalog cache, one inbox)."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        catalog = files("domain.services").joinpath("demo_catalog.csv").read_text()
        import_catalog(MemoryUnitOfWork(self.store), catalog)
        import_parties(MemoryUnitOfWork(self.store), PARTIES_CSV + MORE_SHOPS)
        dialogue = Dialogue(lambda: MemoryUnitOfWork(self.store), CatalogCache(builtin_parser),
                            InMemoryConversationStore(3600), lambda: NOW)
        self.inbox = Inbox(lambda: MemoryUnitOfWork(self.store), dialogue,
                           InMemoryReplyCache(3600), InProcessSenderLocks(1))
        self.ids = count()

    def send(self, shop: str, text: str = "", payload: str | None = None) -> list[Reply]:
        return self.inbox.handle(IncomingMessage(
            channel="webchat", message_id=f"m{next(self.ids)}", sender=shop, text=text,
            payload=payload, party_id=shop))

    def asks_which(self, shop: str, text: str) -> bool:
        (reply,) = self.send(shop, text)
        return {b.payload for b in reply.buttons} == MAGGI_CHOICES

    def teach(self, shop: str) -> None:
        assert self.asks_which(shop, "5 box maggi")
        draft = "\n".join(r.text for r in self.send(shop, "Maggi 70g", "pick:MAGGI-70G"))
        assert "Maggi" in draft and "5 boxes" in draft
        self.send(shop, "cancel")


@pytest.fixture
def market() -> Market:
    return Market()


def test_a_shop_that_picked_a_product_is_not_asked_again(market: Market) -> None:
    market.teach("R-0001")
    (reply,) = market.send("R-0001", "5 box maggi")
    assert not any(b.payload.startswith("pick:") for b in reply.buttons)
    assert "Maggi 2-Minute Masala Noodles 70g" in reply.text and "5 boxes" in reply.text
    assert "Which one did you mean" not in reply.text


def test_what_one_shop_taught_does_not_answer_for_another(market: Market) -> None:
    market.teach("R-0001")
    assert market.asks_which("R-0002", "5 box maggi")


def test_three_shops_agreeing_teach_every_shop(market: Market) -> None:
    for shop in ("R-0001", "R-0002"):
        market.teach(shop)
    assert market.asks_which("R-0005", "2 box maggi")
    market.send("R-0005", "cancel")
    market.teach("R-0003")
    (reply,) = market.send("R-0005", "2 box maggi")
    assert "Which one did you mean" not in reply.text
    assert not any(b.payload.startswith("pick:MAGGI") for b in reply.buttons)


def test_the_learned_phrase_is_stored_for_the_sender(market: Market) -> None:
    market.teach("R-0001")
    with MemoryUnitOfWork(market.store) as uow:
        assert uow.aliases.lookup("maggi", "R-0001") == "MAGGI-70G"
        assert uow.aliases.lookup("maggi", "R-0002") is None


def test_none_of_these_teaches_nothing(market: Market) -> None:
    market.send("R-0001", "5 box maggi")
    market.send("R-0001", "None of these", "pick:-")
    assert market.asks_which("R-0001", "5 box maggi")
