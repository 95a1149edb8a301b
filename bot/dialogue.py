"""Dialogue v1: a registered party's message + conversation state -> commands -> replies.

State (JSON, per party, with a TTL):
  draft    {"id", "lines": [{"sku", "qty", "unit"}]}   the order being built
  pending  [{"text", "phrase", "qty", "unit", "candidates"}]  ambiguous mentions to ask about
  choices  [payload, ...]                               the buttons last shown, so "2" works
  placed   {"draft_id", "number"}                       the last confirmed draft
  answered {"key", "replies"}                           the message that made this state

The state is saved before the inbound log records the reply (bot/inbox.py). If the process dies
or the database fails in between, the channel delivers the message again: `answered` tells the
dialogue that this message was applied already, so it answers as before and changes nothing
twice (a draft's quantities are not doubled).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz

from bot.catalog_cache import CatalogCache, CatalogSnapshot
from bot.distributor_desk import DeskSettings, DistributorDesk
from bot.messages import Button, IncomingMessage, Reply
from bot.observability import MESSAGES
from bot.order_commands import payload_of
from bot.purchase_history import PurchaseHistory
from bot.replies import (
    EXAMPLE_ORDER,
    HELP_TEXT,
    draft_reply,
    order_summary,
    placed_reply,
    qty_text,
)
from bot.state import ConversationStore, State
from domain.commands import DraftLine, PlaceOrder, PlacePrimaryOrder
from domain.errors import Conflict, DomainError
from domain.model.catalog import Product
from domain.model.party import Party, Role
from domain.model.scheme import Scheme
from domain.services.ordering import check_line, place_order, price_draft
from domain.services.period_schemes import progress_lines
from domain.services.replenishment import place_primary_order, suggest_replenishment
from domain.services.schemes_live import live_schemes
from domain.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
from nlu.aliases import phrase_key
from nlu.parse_result import Parse, ParseContext, ParsedItem
from nlu.units import misspelt_unit, resolve_unit, unit_word

EDIT_QTY = re.compile(
    r"^(?:make|change|set|update)\s+(?P<what>.+?)\s+(?:to\s+|=\s*)?"
    r"(?P<amount>\d+(?:\.\d+)?\s*[a-z]*)\.?$"
)
AMOUNT = re.compile(r"(?P<qty>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]*)")
WHOLE_DRAFT = frozenset({"it", "this", "that", "all", "everything", "order", "the order",
                         "my order", "this order", "draft", "the draft", "karo", "kar do",
                         "kardo", "please", "pls", "order karo", "order kar do"})
REMOVE_FIRST = re.compile(r"^(?:remove|delete|drop|cancel|hatao|nikalo)\s+(?P<what>.+)$")
REMOVE_LAST = re.compile(r"^(?P<what>.+?)\s+(?:hatao|hata do|nikalo|nikal do|remove karo)$")
ADD = re.compile(r"^(?:add|also|plus)\s+(?P<rest>.+)$")
NOT_ON_CHAT_YET = {
    "return_request": "returns",
    "log_visit": "visit logging",
    "loyalty_points": "loyalty points",
    "recommend": "suggested baskets",
}
MATCH_THRESHOLD = 70
# A rejection reason is asked for once: after this, or after a message that is plainly a
# command, the question is dropped and the message handled as any other.
REASON_WAIT = timedelta(minutes=10)
NOT_A_REASON = frozenset({"yes", "y", "ok", "okay", "hi", "hello", "help", "menu", "orders",
                          "my orders", "statement", "my statement"})
log = logging.getLogger(__name__)
ORDERING_ROLES = (Role.RETAILER, Role.DISTRIBUTOR)


@dataclass(frozen=True)
class TurnContext:
    """What a turn reads from the database before it starts: read in the caller's unit of
    work, so that a message opens one read transaction, not one per component."""

    snapshot: CatalogSnapshot
    history: Mapping[str, int]
    supplier_name: str | None = None  # read with the party where the caller could


@dataclass
class Turn:
    """What one message works on: the party, their state and the loaded catalog."""

    party: Party
    state: State
    snapshot: CatalogSnapshot
    at: datetime
    channel: str
    history: Mapping[str, int]
    supplier_name: str | None = None  # the name of the party's distributor, when read
    withdrawn: tuple[str, ...] = ()  # draft SKUs the catalog no longer sells, dropped this turn


class Dialogue:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        catalog: CatalogCache,
        states: ConversationStore,
        clock: Callable[[], datetime],
        desk: DistributorDesk | None = None,
        replenish_cover_days: int = 14,
        statements: UnitOfWorkFactory | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.statements = statements or uow_factory  # for lone reads: no transaction around
        self.catalog = catalog
        self.states = states
        self.clock = clock
        self.desk = desk or DistributorDesk(uow_factory, DeskSettings())
        self.replenish_cover_days = replenish_cover_days

    # -- entry -------------------------------------------------------------------------

    def context(self, uow: UnitOfWork, party: Party, catalog_version: int | None = None,
                supplier_name: str | None = None) -> TurnContext:
        """Call inside an open unit of work; pass the catalog version and the name of the
        party's distributor if they were read already."""
        history: Mapping[str, int] = {}
        if party.role in ORDERING_ROLES:
            history = PurchaseHistory(lambda: self._purchases(party.id))
        return TurnContext(self.catalog.current(uow, catalog_version), history, supplier_name)

    def _purchases(self, party_id: str) -> dict[str, int]:
        with self.statements() as uow:
            return uow.orders.sku_counts(party_id)

    def respond(self, msg: IncomingMessage, party: Party,
                context: TurnContext | None = None) -> list[Reply]:
        state = self.states.load(party.id)
        answered = state.pop("answered", None)
        if answered is not None and answered["key"] == msg.dedup_key:
            # Redelivered after its state was saved but before its reply was recorded.
            return [Reply.from_json(r) for r in answered["replies"]]
        if context is None:
            with self.uow_factory() as uow:
                context = self.context(uow, party)
        turn = Turn(party, state, context.snapshot, self.clock(), msg.channel, context.history,
                    context.supplier_name, _drop_withdrawn(state, context.snapshot))
        try:
            replies = self._route(turn, msg)
        except DomainError as exc:
            replies = [Reply(f"Sorry, {exc}")]
        if turn.withdrawn:  # dropped from the saved draft whatever the turn did: say so
            replies = [Reply("No longer sold, so taken off your draft order: "
                             f"{', '.join(turn.withdrawn)}."), *replies]
        if turn.state:
            turn.state["answered"] = {"key": msg.dedup_key,
                                      "replies": [r.to_json() for r in replies]}
            self.states.save(party.id, turn.state)
        else:
            self.states.clear(party.id)
        return replies

    def _route(self, turn: Turn, msg: IncomingMessage) -> list[Reply]:
        if msg.location is not None and not msg.payload:
            # Its text is only a label ("location: 26.9,75.7 (Agency, MI Road)"): parsed, the
            # shop's name became a product question.
            MESSAGES.labels(turn.channel, "location").inc()
            return [Reply("Thanks, I got your location 📍. Check-ins with a location are not "
                          "available on this chat yet; to order, type e.g. "
                          f"'{EXAMPLE_ORDER}'.")]
        text = " ".join((msg.payload or msg.text).split())
        choices: list[str] = turn.state.pop("choices", [])
        # isdecimal, not isdigit: int() refuses '²', which isdigit() takes.
        if text.isdecimal() and choices and not 1 <= int(text) <= len(choices):
            turn.state["choices"] = choices  # what was offered is still open: so are its numbers
            return [Reply(f"Please reply with a number from 1 to {len(choices)}.")]
        if text.isdecimal() and 1 <= int(text) <= len(choices):
            text = choices[int(text) - 1]
        lowered = text.lower()
        if lowered.startswith("pick:"):
            MESSAGES.labels(turn.channel, "pick").inc()
            # As typed: SKUs keep the case the catalog gave them.
            return self._pick(turn, text[len("pick:"):].strip())
        if turn.party.role == Role.DISTRIBUTOR:
            if (command := payload_of(text)) is not None:  # a button typed out
                text, lowered = command, command.lower()
            rejecting = turn.state.pop("rejecting", None)
            if lowered.startswith("ord:"):
                MESSAGES.labels(turn.channel, "order_action").inc()
                return self.desk.act(turn.party, turn.state, text, turn.snapshot, turn.at)
            if (order_id := _still_asking(rejecting, turn.at)) is not None:
                if lowered in ("cancel", "no", "back"):
                    return [Reply("Okay, the order was not rejected.")]
                if not any(c.isalpha() for c in text):
                    turn.state["rejecting"] = rejecting
                    return [Reply("Please type the reason in words, or 'cancel'.")]
                if lowered.strip(" .!") not in NOT_A_REASON:
                    return self.desk.reason_typed(turn.party, order_id, text, turn.at)
        if turn.state.get("draft") and turn.party.role in ORDERING_ROLES:
            edited = self._edit(turn, lowered)
            if edited is not None:
                return edited
        parse = turn.snapshot.parser.parse(
            text,
            ParseContext(role=turn.party.role.value, now=turn.at, sender=turn.party.id,
                         history=turn.history),
        )
        MESSAGES.labels(turn.channel, parse.intent).inc()
        return self._by_intent(turn, parse)

    def _by_intent(self, turn: Turn, parse: Parse) -> list[Reply]:
        intent = parse.intent
        role = turn.party.role
        if intent in ("place_order", "reorder_last", "confirm", "cancel"):
            if role not in ORDERING_ROLES:
                return [Reply(
                    f"Ordering on this chat is for retailers and distributors; you are "
                    f"registered as a {role.value}. Type 'help' to see what you can do here."
                )]
            if intent == "place_order":
                return self._add_items(turn, parse)
            if intent == "reorder_last":
                return self._reorder_last(turn)
            if intent == "confirm":
                return self._confirm(turn)
            return self._cancel(turn)
        if intent == "order_status":
            if role == Role.DISTRIBUTOR:
                return self.desk.open_orders(turn.party)
            return self._order_status(turn)
        if intent == "statement_query" and role in ORDERING_ROLES:
            return self.desk.statement_reply(turn.party, parse.period, turn.at.date())
        if intent == "statement_query":
            return [Reply("Statements are kept for retailers' and distributors' accounts; "
                          "yours has none.")]
        if intent == "recommend" and role == Role.DISTRIBUTOR:
            return self._suggest_restock(turn)
        if intent == "show_schemes":
            return [self._offers(turn)]
        if intent in NOT_ON_CHAT_YET:
            return [Reply(
                f"Sorry, {NOT_ON_CHAT_YET[intent]} are not available on this chat yet. "
                "Please ask your distributor or sales rep for now."
            )]
        if intent == "greet":
            return [Reply(f"Namaste {turn.party.name}! 🙏\n{HELP_TEXT}")]
        if intent == "help":
            return [Reply(HELP_TEXT)]
        return [Reply(
            "Sorry, I didn't understand that. To order, type e.g. "
            f"'{EXAMPLE_ORDER}'. Type 'help' for more."
        )]

    # -- building the draft -------------------------------------------------------------

    def _draft(self, turn: Turn) -> dict[str, Any]:
        draft: dict[str, Any] = turn.state.setdefault(
            "draft", {"id": uuid.uuid4().hex, "lines": []}
        )
        return draft

    def _add_line(self, turn: Turn, sku: str, qty: Decimal, unit: str | None) -> None:
        product = turn.snapshot.products[sku]
        check_line(product, qty, unit)
        lines: list[dict[str, Any]] = self._draft(turn)["lines"]
        for line in lines:
            if line["sku"] == sku and _unit_of(line, product) == (unit or product.default_unit):
                merged = Decimal(line["qty"]) + qty
                check_line(product, merged, unit)
                line["qty"] = str(merged)
                return
        lines.append({"sku": sku, "qty": str(qty), "unit": unit})

    def _add_items(self, turn: Turn, parse: Parse) -> list[Reply]:
        problems: list[str] = []
        added: list[str] = []
        for item in parse.items:
            if item.sku is None:
                turn.state.setdefault("pending", []).append(_pending(item))
                continue
            try:
                self._add_line(turn, item.sku, item.qty, item.unit)
            except DomainError as exc:
                problems.append(str(exc))
            else:
                product = turn.snapshot.products[item.sku]
                added.append(f"{qty_text(item.qty, item.unit or product.default_unit)} "
                             f"{product.name}")
        if added and turn.state.get("pending"):
            # The draft is shown after the question; say now what was understood.
            problems.insert(0, "Added " + ", ".join(added) + ".")
        not_found = [self._not_found(turn, phrase) for phrase in parse.unknown]
        notes = [f"{turn.snapshot.products[i.sku].name}: {i.note}"
                 for i in parse.items if i.note and i.sku in turn.snapshot.products]
        if not parse.items and not turn.state.get("draft"):
            if not_found:
                return [Reply("\n".join(["I couldn't match any product in that message.",
                                         *not_found]))]
            return [Reply(f"I couldn't find any products in that. Try e.g. '{EXAMPLE_ORDER}'.")]
        return self._show(turn, notes=[*notes, *problems], not_found=not_found)

    def _not_found(self, turn: Turn, phrase: str) -> str:
        suggestions = turn.snapshot.parser.suggest(phrase, 3)
        names = [turn.snapshot.products[sku].name for sku, _ in suggestions
                 if sku in turn.snapshot.products]
        if names:
            return f"Didn't find '{phrase}'. Did you mean: {'; '.join(names)}?"
        return f"Didn't find '{phrase}' in the catalog."

    def _show(self, turn: Turn, notes: list[str] | None = None,
              not_found: list[str] | None = None) -> list[Reply]:
        """Ask about the next ambiguous mention, or show the priced draft."""
        pending: list[dict[str, Any]] = turn.state.get("pending", [])
        if pending:
            ask = pending[0]
            buttons = [Button(turn.snapshot.products[sku].name, f"pick:{sku}")
                       for sku in ask["candidates"] if sku in turn.snapshot.products][:10]
            buttons.append(Button("None of these", "pick:-"))
            turn.state["choices"] = [b.payload for b in buttons]
            unit = ask["unit"]
            qty = qty_text(Decimal(ask["qty"]), unit) if unit else ask["qty"]
            head = "\n".join([*(notes or []), *(not_found or [])])
            question = f"Which one did you mean by '{ask['text']}' ({qty})?"
            return [Reply(f"{head}\n{question}" if head else question, tuple(buttons))]
        draft = turn.state.get("draft")
        if not draft or not draft["lines"]:
            turn.state.pop("draft", None)
            lines = [*(notes or []), *(not_found or []), "Your draft order is empty."]
            return [Reply("\n".join(lines))]
        priced = price_draft(_draft_lines(draft), turn.snapshot.products,
                             turn.snapshot.scheme_index, turn.party, turn.at)
        if any(s.cumulative for s in turn.snapshot.schemes):
            with self.uow_factory() as uow:
                notes = [*(notes or []), *progress_lines(
                    uow, turn.snapshot.schemes, turn.party, turn.snapshot.products,
                    {ln["sku"] for ln in draft["lines"]}, turn.at.date())]
        reply = draft_reply(priced, turn.snapshot.products, notes or [], not_found or [])
        turn.state["choices"] = [b.payload for b in reply.buttons]
        return [reply]

    def _pick(self, turn: Turn, sku: str) -> list[Reply]:
        pending: list[dict[str, Any]] = turn.state.get("pending", [])
        if not pending:
            return self._show(turn) if turn.state.get("draft") else [Reply(
                "There is nothing waiting for a choice. Send your order any time.")]
        if sku != "-" and sku not in pending[0]["candidates"]:
            # A button from an earlier question: the open one still waits for its answer.
            return self._show(turn, notes=["That choice was for an earlier question."])
        ask = pending.pop(0)
        if not pending:
            turn.state.pop("pending")
        notes: list[str] = []
        if sku != "-" and sku in ask["candidates"] and sku in turn.snapshot.products:
            self._learn(turn, ask.get("phrase", ""), sku)
            unit = ask["unit"]
            if unit is not None:
                # The mention may name a generic unit ("pcs", "dabba"): this product's word for it.
                unit = resolve_unit(unit, turn.snapshot.products[sku])
            try:
                self._add_line(turn, sku, Decimal(ask["qty"]), unit)
            except DomainError as exc:
                notes.append(str(exc))
        else:
            notes.append(f"Left out '{ask['text']}'.")
        return self._show(turn, notes=notes)

    def _learn(self, turn: Turn, phrase: str, sku: str) -> None:
        """Remembers what this sender means by the phrase, so the next message needs no
        question (and, once enough senders agree, nobody's does)."""
        key = phrase_key(phrase)
        if not key:
            return
        for attempt in (1, 2):
            try:
                with self.uow_factory() as uow:
                    uow.aliases.learn(key, sku, turn.party.id)
                    uow.commit()
                    self.catalog.refresh_aliases(uow)
                return
            except Conflict:  # another worker learned the same phrase at this moment
                if attempt == 2:
                    log.warning("bot.alias_not_learned", extra={"sku": sku})

    # -- editing --------------------------------------------------------------------------

    def _edit(self, turn: Turn, text: str) -> list[Reply] | None:
        if m := EDIT_QTY.match(text):
            return self._set_qty(turn, m["what"], m["amount"])
        if m := (REMOVE_FIRST.match(text) or REMOVE_LAST.match(text)):
            if text.startswith("cancel") and m["what"].strip(" .!") in WHOLE_DRAFT:
                return None  # "cancel it", "cancel order": the draft, not a line of it
            return self._remove(turn, m["what"])
        if m := ADD.match(text):
            parse = turn.snapshot.parser.parse(
                m["rest"], ParseContext(role=turn.party.role.value, now=turn.at,
                                        sender=turn.party.id, history=turn.history))
            return self._add_items(turn, parse)
        return None

    def _find_lines(self, turn: Turn, what: str) -> list[dict[str, Any]]:
        what = what.strip(" .,!?")  # "remove it." is "it", too short to match inside a name
        lines: list[dict[str, Any]] = turn.state["draft"]["lines"]
        scored = []
        for line in lines:
            product = turn.snapshot.products[line["sku"]]
            names = [product.name, product.brand, product.sku, *product.aliases]
            if len(what) < 3:
                # Too short to match inside a name: "no" is in "Noodles", "it" in "Sprite".
                words = {w for n in names for w in re.split(r"[^a-z0-9]+", n.lower())}
                score = 100.0 if what in words else 0.0
            else:
                score = max(fuzz.partial_ratio(what, n.lower()) for n in names)
            scored.append((score, line))
        best = max((s for s, _ in scored), default=0)
        if best < MATCH_THRESHOLD:
            return []
        return [line for s, line in scored if s >= best - 2]

    def _which_line(self, turn: Turn, what: str) -> dict[str, Any] | list[Reply]:
        found = self._find_lines(turn, what)
        if len(found) == 1:
            return found[0]
        if not found:
            return [Reply(f"'{what}' is not in your draft order.")]
        if len({ln["sku"] for ln in found}) == 1:
            # One product on two lines, in different units ("5 box" and "1 case" of Maggi):
            # the unit named tells them apart.
            product = turn.snapshot.products[found[0]["sku"]]
            named = {resolve_unit(generic, product) for word in what.split()
                     if (generic := _unit_named(word))}
            by_unit = [ln for ln in found if _unit_of(ln, product) in named]
            if len(by_unit) == 1:
                return by_unit[0]
            units = [_unit_of(ln, product) for ln in found]
            held = " and ".join(qty_text(Decimal(ln["qty"]), u) for ln, u in zip(found, units,
                                                                                 strict=True))
            return [Reply(f"{product.name} is on your draft twice, as {held}. Name the unit "
                          f"too, e.g. '{what} {units[-1]}'.")]
        names = ", ".join(turn.snapshot.products[ln["sku"]].name for ln in found)
        return [Reply(f"'{what}' could be any of: {names}. Please name the size too.")]

    def _set_qty(self, turn: Turn, what: str, amount: str) -> list[Reply]:
        line = self._which_line(turn, what)
        if isinstance(line, list):
            return line
        product = turn.snapshot.products[line["sku"]]
        # The amount alone: parsed beside the product's name, the numbers in "Calpol 500mg
        # (strip of 15)" were taken for the quantity.
        m = AMOUNT.fullmatch(amount.strip())
        word = m["unit"] if m else ""
        generic = _unit_named(word) if word else None
        if m is None or (word and generic is None):
            return [Reply(f"Sorry, I couldn't read the quantity '{amount}'.")]
        qty = Decimal(m["qty"])
        if qty == 0:
            return self._drop_line(turn, line)
        unit = resolve_unit(generic, product) if generic else line["unit"]
        check_line(product, qty, unit)
        lines: list[dict[str, Any]] = turn.state["draft"]["lines"]
        same = [ln for ln in lines if ln is not line and ln["sku"] == line["sku"]
                and _unit_of(ln, product) == (unit or product.default_unit)]
        if same:
            # Now in the unit of its product's other line: one line, as adding it would make.
            merged = qty + Decimal(same[0]["qty"])
            check_line(product, merged, unit)  # before any change: a refusal changes nothing
            lines.remove(line)
            line, qty = same[0], merged
        line["qty"], line["unit"] = str(qty), unit
        return self._show(turn, notes=[f"Changed {product.name} to "
                                       f"{qty_text(qty, unit or product.default_unit)}."])

    def _remove(self, turn: Turn, what: str) -> list[Reply]:
        line = self._which_line(turn, what)
        if isinstance(line, list):
            return line
        return self._drop_line(turn, line)

    def _drop_line(self, turn: Turn, line: dict[str, Any]) -> list[Reply]:
        turn.state["draft"]["lines"].remove(line)
        return self._show(turn, notes=[f"Removed {turn.snapshot.products[line['sku']].name}."])

    # -- confirming ---------------------------------------------------------------------

    def _confirm(self, turn: Turn) -> list[Reply]:
        draft = turn.state.get("draft")
        if turn.state.get("pending"):
            return [Reply("Please answer the question above first."), *self._show(turn)]
        if turn.withdrawn:  # the shop confirms what it sees: show what is left, ask again
            return self._show(turn)
        if not draft or not draft["lines"]:
            placed = turn.state.get("placed")
            if placed:
                return [Reply(f"Your order {placed['number']} is already placed. "
                              "Send a new order any time.")]
            return [Reply("There's no order waiting for confirmation. "
                          f"Send your order like: {EXAMPLE_ORDER}")]
        if turn.party.role == Role.DISTRIBUTOR:
            result = place_primary_order(
                PlacePrimaryOrder(distributor_id=turn.party.id, lines=_draft_lines(draft),
                                  draft_id=draft["id"], channel=turn.channel, at=turn.at),
                self.uow_factory(), turn.snapshot.products, turn.snapshot.scheme_index)
        else:
            result = place_order(
                PlaceOrder(party_id=turn.party.id, lines=_draft_lines(draft),
                           draft_id=draft["id"], channel=turn.channel, at=turn.at),
                self.uow_factory(), turn.snapshot.products, turn.snapshot.scheme_index,
                buyer=turn.party)
        turn.state.pop("draft", None)
        turn.state["placed"] = {"draft_id": draft["id"], "number": result.order.number}
        if result.already_placed:
            return [Reply(f"Your order {result.order.number} is already placed.")]
        if turn.party.role == Role.DISTRIBUTOR:
            return [placed_reply(result.order, "The company")]
        return [placed_reply(result.order, self._supplier_name(turn))]

    def _supplier_name(self, turn: Turn) -> str | None:
        if turn.supplier_name is not None or not turn.party.distributor_id:
            return turn.supplier_name
        with self.statements() as uow:
            distributor = uow.parties.get(turn.party.distributor_id)
        return distributor.name if distributor else None

    def _cancel(self, turn: Turn) -> list[Reply]:
        had = turn.state.pop("draft", None) or turn.state.pop("pending", None)
        turn.state.pop("pending", None)
        if had:
            return [Reply("Okay, your draft order is cancelled. Nothing was placed.")]
        return [Reply("There is no draft order to cancel.")]

    def _reorder_last(self, turn: Turn) -> list[Reply]:
        with self.uow_factory() as uow:
            orders, _ = uow.orders.list(party_id=turn.party.id, limit=1)
        if not orders:
            return [Reply(f"You have no past orders yet. Send your order like: {EXAMPLE_ORDER}")]
        notes = []
        for line in orders[0].lines:
            if line.free:
                continue
            if line.sku not in turn.snapshot.products:
                notes.append(f"{line.name} is no longer available.")
                continue
            self._add_line(turn, line.sku, line.qty, line.unit)
        return self._show(turn, notes=[f"Copied your last order {orders[0].number}.", *notes])

    def _suggest_restock(self, turn: Turn) -> list[Reply]:
        with self.uow_factory() as uow:
            lines = suggest_replenishment(uow, turn.snapshot.products, turn.party.id, turn.at,
                                          cover_days=self.replenish_cover_days)
        if not lines:
            return [Reply("Your stock covers the next "
                          f"{self.replenish_cover_days} days of sales; nothing to order now.")]
        turn.state.pop("draft", None)
        turn.state.pop("pending", None)
        for line in lines:
            self._add_line(turn, line.sku, line.qty, line.unit)
        return self._show(turn, notes=[
            f"Suggested order from the company: {self.replenish_cover_days} days of cover at "
            "your last 30 days' sales, in whole cases. Tap YES to place it, or edit it."])

    # -- reading --------------------------------------------------------------------------

    def _order_status(self, turn: Turn) -> list[Reply]:
        with self.uow_factory() as uow:
            orders, total = _orders_for(uow, turn.party)
        if not orders:
            return [Reply("You have no orders yet.")]
        lines = [f"Your last {len(orders)} of {total} orders:"]
        lines += [order_summary(o) for o in orders]
        return [Reply("\n".join(lines))]

    def _offers(self, turn: Turn) -> Reply:
        live = live_schemes(turn.snapshot.schemes, turn.party, turn.at.date())
        if not live:
            return Reply("There are no offers running for you right now.")
        return Reply("\n".join(["🎁 Offers running for you:", *(_offer_line(s) for s in live)]))


def _offer_line(scheme: Scheme) -> str:
    until = f" (till {scheme.valid_to:%d %b})" if scheme.valid_to else ""
    return f"• {scheme.name}{until}"


def _orders_for(uow: UnitOfWork, party: Party) -> tuple[list[Any], int]:
    if party.role == Role.RETAILER:
        return uow.orders.list(party_id=party.id, limit=5)
    return [], 0


def _pending(item: ParsedItem) -> dict[str, Any]:
    return {"text": item.text or "that", "phrase": item.phrase, "qty": str(item.qty),
            "unit": item.unit, "candidates": list(item.candidates)}


def _draft_lines(draft: dict[str, Any]) -> tuple[DraftLine, ...]:
    return tuple(DraftLine(sku=ln["sku"], qty=Decimal(ln["qty"]), unit=ln["unit"])
                 for ln in draft["lines"])


def _unit_of(line: dict[str, Any], product: Product) -> str:
    """A draft line's unit: as stored, or the product's default where none was named."""
    return str(line["unit"] or product.default_unit)


def _unit_named(word: str) -> str | None:
    """The generic unit a word of the shop's names ('cs', 'dozn'), or None."""
    return unit_word(word) or misspelt_unit(word)


def _drop_withdrawn(state: State, snapshot: CatalogSnapshot) -> tuple[str, ...]:
    """Takes off the draft the lines whose product the catalog no longer sells (deactivated
    or removed since the line was added), and names them."""
    draft = state.get("draft")
    if not draft:
        return ()
    withdrawn = tuple(ln["sku"] for ln in draft["lines"] if ln["sku"] not in snapshot.products)
    if withdrawn:
        draft["lines"] = [ln for ln in draft["lines"] if ln["sku"] in snapshot.products]
    return withdrawn


def _still_asking(rejecting: Any, at: datetime) -> int | None:
    """The order whose rejection reason is awaited, if it was asked for recently enough."""
    if not isinstance(rejecting, dict):
        return None  # none asked, or in the old form, with no time: let it go
    try:
        asked = datetime.fromisoformat(rejecting["asked"])
        order_id = int(rejecting["order"])
    except (KeyError, TypeError, ValueError):
        return None
    return order_id if timedelta(0) <= at - asked <= REASON_WAIT else None
