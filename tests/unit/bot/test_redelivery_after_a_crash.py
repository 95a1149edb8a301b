"""A message whose state was saved but whose reply never reached the inbound log (the process
died, or the database failed, in between) is delivered again by its channel: the second
delivery answers as the first would have and changes nothing twice."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files

import pytest

from bot.catalog_cache import CatalogCache
from bot.dedup import InMemoryReplyCache
from bot.dialogue import Dialogue
from bot.inbox import Inbox
from bot.locks import InProcessSenderLocks
from bot.messages import IncomingMessage
from bot.state import InMemoryConversationStore
from domain.adapters.memory import MemoryInboundLog, MemoryStore, MemoryUnitOfWork
from domain.services.imports import import_catalog, import_parties
from nlu.builtin_parser import BuiltinParser
from tests.e2e.conftest import PARTIES_CSV
from tests.unit.bot.test_dialogue import NOW


class ProcessDied(Exception):
    """Stands for a SIGKILL or a lost database between the state save and the inbound record."""


@pytest.fixture
def crash_before_the_next_record(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    crashed: list[str] = []
    record = MemoryInboundLog.record

    def record_unless_crashing(self: MemoryInboundLog, key: str, party_id: str | None,
                               reply: str) -> None:
        if not crashed:
            crashed.append(key)
            raise ProcessDied(key)
        record(self, key, party_id, reply)

    monkeypatch.setattr(MemoryInboundLog, "record", record_unless_crashing)
    return crashed


def test_an_order_redelivered_after_a_crash_is_not_added_to_the_draft_twice(
        crash_before_the_next_record: list[str]) -> None:
    store = MemoryStore()
    import_catalog(MemoryUnitOfWork(store),
                   files("domain.services").joinpath("demo_catalog.csv").read_text())
    import_parties(MemoryUnitOfWork(store), PARTIES_CSV)
    states = InMemoryConversationStore(3600)
    dialogue = Dialogue(lambda: MemoryUnitOfWork(store), CatalogCache(BuiltinParser), states,
                        lambda: NOW)
    inbox = Inbox(lambda: MemoryUnitOfWork(store), dialogue, InMemoryReplyCache(3600),
                  InProcessSenderLocks(1))

    def message(sid: str, text: str) -> IncomingMessage:
        return IncomingMessage(channel="whatsapp", message_id=sid, sender="+919800000001",
                               text=text)

    with pytest.raises(ProcessDied):
        inbox.handle(message("SM1", "2 cs coke 750"))
    assert crash_before_the_next_record == ["whatsapp:SM1"]
    assert states.load("R-0001")["draft"]["lines"][0]["qty"] == "2"  # saved before the crash

    again = "\n".join(r.text for r in inbox.handle(message("SM1", "2 cs coke 750")))
    assert states.load("R-0001")["draft"]["lines"][0]["qty"] == "2"
    assert "Coca-Cola 750ml PET" in again
    assert "whatsapp:SM1" in store.inbound

    placed = "\n".join(r.text for r in inbox.handle(message("SM2", "YES")))
    assert "placed" in placed
    assert "Shree Ganesh Distributors will confirm it" in placed  # the opening read names it
    (order,) = store.orders.values()
    assert [(line.sku, line.qty) for line in order.lines] == [("COKE-750", Decimal(2))]
