"""Moves committed notices from the outbox to the outbound queue, on the party's channel.

Claim, enqueue, mark relayed, each committed on its own (with the in-process queue, mark
relayed once sent or dead-lettered). The claim keeps the other app processes' relays off the
rows while this one enqueues them. A crash after the claim leaves the rows to the next relay
once the claim's lease runs out; a crash after the enqueue re-enqueues them then, and the
queue drops the repeat by its key. So a notice is neither lost nor sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool

from bot.job_queue import OutboundQueue
from bot.messages import Button, Reply
from bot.outbound import Outbound
from domain.model.notice import Notice
from domain.model.party import Party
from domain.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("dms.outbox")

# Far longer than an enqueue takes; how long notices wait when their relay died holding them.
CLAIM_LEASE = timedelta(seconds=60)
# party -> (channel, address) or None when the party can be reached on no channel
Router = Callable[[Party], tuple[str, str] | None]


def channel_router(enabled: set[str]) -> Router:
    """Telegram when the party has bound it, else WhatsApp; the web chat as the demo's last
    resort."""

    def route(party: Party) -> tuple[str, str] | None:
        if party.telegram_user_id is not None and "telegram" in enabled:
            return "telegram", str(party.telegram_user_id)
        for channel in ("whatsapp_cloud", "whatsapp"):
            if channel in enabled:
                return channel, party.phone
        if "webchat" in enabled:
            return "webchat", party.id
        return None

    return route


def to_outbound(notice: Notice, channel: str, address: str) -> Outbound:
    reply = Reply(notice.text, tuple(Button(t, p) for t, p in notice.buttons))
    return Outbound(channel=channel, to=address, replies=(reply,), key=f"notice:{notice.id}",
                    party_id=notice.party_id)


class OutboxRelay:
    def __init__(self, uow_factory: UnitOfWorkFactory, queue: OutboundQueue, route: Router,
                 dead_letter: Callable[[Outbound, str], None]) -> None:
        self.uow_factory = uow_factory
        self.queue = queue
        self.route = route
        self.dead_letter = dead_letter
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop run() relays on

    def _claim(self) -> tuple[datetime, list[tuple[Notice, Party | None]]]:
        now = datetime.now(UTC)
        lease = now + CLAIM_LEASE
        with self.uow_factory() as uow:
            notices = uow.outbox.claim(now, lease)
            parties = uow.parties.get_many({n.party_id for n in notices})
            uow.commit()
            return lease, [(n, parties.get(n.party_id)) for n in notices]

    def _release(self, ids: list[int], lease: datetime) -> None:
        with self.uow_factory() as uow:
            uow.outbox.release(ids, lease)
            uow.commit()

    def _settle(self, unreachable: list[Outbound], ids: list[int]) -> None:
        for out in unreachable:
            self.dead_letter(out, f"party {out.party_id} has no channel to reach it on")
        with self.uow_factory() as uow:
            uow.outbox.mark_relayed(ids, datetime.now(UTC))
            uow.commit()

    async def relay_once(self) -> int:
        lease, claimed = await run_in_threadpool(self._claim)
        if not claimed:
            return 0
        ids = [n.id for n, _ in claimed if n.id is not None]
        outs, unreachable, buried_ids = [], [], []
        for notice, party in claimed:
            target = self.route(party) if party is not None else None
            if target is None:
                unreachable.append(to_outbound(notice, "none", ""))
                if notice.id is not None:
                    buried_ids.append(notice.id)
            else:
                outs.append(to_outbound(notice, *target))
        try:
            await self.queue.enqueue_many(outs)
        except BaseException:
            # Not queued: free them for the next tick rather than for the lease's end.
            with contextlib.suppress(Exception):
                await run_in_threadpool(self._release, ids, lease)
            raise
        # Database writes, in a thread: the loop serves the webhooks meanwhile. A queue that
        # lives in this process only marks what it has sent or buried (settled()): the rest
        # stay unrelayed, for a restart to relay again.
        done = ids if self.queue.durable else buried_ids
        await run_in_threadpool(self._settle, unreachable, done)
        return len(claimed)

    def settled(self, out: Outbound) -> None:
        """A notice the in-process queue has sent or dead-lettered: relayed for good."""
        kind, _, notice_id = out.key.partition(":")
        if kind == "notice" and notice_id.isdecimal():
            with self.uow_factory() as uow:
                uow.outbox.mark_relayed([int(notice_id)], datetime.now(UTC))
                uow.commit()

    def wake(self) -> None:
        """Relay now rather than at the next tick (after a message that may have notices).
        Safe from any thread: the console's plain-def endpoints call it from worker threads,
        where an asyncio.Event must not be set directly."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not running: the next run() relays everything pending anyway
        loop.call_soon_threadsafe(self._wake.set)

    async def run(self, interval: float = 2.0) -> None:
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                while await self.relay_once():
                    pass
            except Exception:  # a database blip must not kill the relay; retry next tick
                log.exception("outbox relay failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()
