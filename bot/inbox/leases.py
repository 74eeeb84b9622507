"""Which process answers an accepted message, when several replicas share the inbox.

Each server process has an owner name, "<replica>/<run>": the replica's stable
name (REPLICA_NAME, or the host's name: one server per host unless each has a
REPLICA_NAME) and a random run id. It holds the rows it
accepted under a lease it renews; `InboxLease` renews them and, on the same
beat, takes over rows whose holder died (lease run out) and hands them to the
channel to answer. At start it also takes the rows of this replica's former run
at once, so a restart does not wait for the lease to run out.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from typing import Callable, Optional

from bot.inbox.store import InboxItem, InboxStore
from bot.store.guard import StoreGuard

logger = logging.getLogger(__name__)

# At most this many rows taken over per beat (the next beat takes more).
CLAIM_BATCH = 50


def process_owner(replica: Optional[str] = None) -> str:
    """This run's owner name: "<replica>/<random>" (replica: REPLICA_NAME, else the host's name,
    so a restarted single server answers at once what it had accepted)."""
    name = (replica or socket.gethostname() or "server")[:100]
    return f"{name}/{secrets.token_hex(8)}"


def replica_of(owner: str) -> str:
    """The replica part of an owner name, with its slash ("rasa-1/")."""
    return owner.rsplit("/", 1)[0] + "/"


class InboxLease:
    """Renews this process's leases on one channel's rows and answers the rows others abandoned."""

    def __init__(
        self,
        inbox: InboxStore,
        channel: str,
        owner: str,
        lease_seconds: float,
        guard: StoreGuard,
        answer: Callable[[InboxItem], None],
    ) -> None:
        self.inbox = inbox
        self.channel = channel
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._guard = guard
        self._answer = answer
        self._task: Optional[asyncio.Task[None]] = None

    async def start(self) -> None:
        """Take over this replica's former run's rows and the abandoned ones, then keep beating."""
        await self.sweep(at_start=True)
        if self._task is None:
            self._task = asyncio.create_task(self._beat(), name=f"inbox-lease-{self.channel}")

    async def stop(self) -> None:
        """Stop beating (the rows still held are taken over by others once the lease runs out)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def sweep(self, at_start: bool = False) -> int:
        """Renew this run's leases, then claim and answer abandoned rows; the number claimed."""
        await self._guard.call(0, self.inbox.renew, self.channel, self.owner, self.lease_seconds)
        former = replica_of(self.owner) if at_start else ""
        claimed: list[InboxItem] = await self._guard.call(
            [], self.inbox.claim_abandoned, self.channel, self.owner, self.lease_seconds, CLAIM_BATCH, former
        )
        if claimed:
            logger.warning(
                "%s: taking over %d accepted messages not yet answered", self.channel, len(claimed)
            )
        for item in claimed:
            self._answer(item)
        return len(claimed)

    async def _beat(self) -> None:
        # Three beats per lease: one missed renewal (a slow database) does not lose the rows.
        interval = max(self.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:  # the beat must outlive one bad pass
                logger.exception("%s: inbox lease pass failed", self.channel)
