"""Votes close, last calls give way to votes and Delphi rounds close by themselves: each worker looks
for those past their time (and forgets idempotency keys past theirs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from proposals.delphi import close_due_rounds
from proposals.last_call import open_votes_after_last_call
from proposals.voting import decide_due_proposals
from web.idempotent_requests import forget_old_requests

logger = logging.getLogger("referentiel.decisions")


async def decide_when_due(interval: float) -> None:
    """Runs until cancelled. Deciding twice is harmless: the use case re-reads the status under lock.
    What a decision changes is announced by the use cases themselves (web/changes.py)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await decide_due_proposals()
            await open_votes_after_last_call()
            await close_due_rounds()
            await forget_old_requests()
        except Exception:  # keep deciding later: one failure must not stop the loop
            logger.exception("automatic decisions failed")


class DecisionLoop:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(decide_when_due(self.interval))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
