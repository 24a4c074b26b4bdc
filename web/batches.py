"""Writes handed in at once, written together (a group commit).

The requests of one worker that want the same kind of write while one is being written wait for
their turn; whoever has it next writes every one waiting, in one transaction, and answers each. A
transaction's fixed cost (its turn for the write lock, BEGIN and COMMIT, the flush of the log) is
shared by the writes that came while the one before was written; alone, a write goes at once. On
SQLite above all, where a transaction holds the lock of the whole file across its trips to the
connection's thread, fewer transactions is what lets two workers write hundreds of times a second.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar


@dataclass(eq=False, kw_only=True)
class Waiting:
    """One request's write in a batch; the batch's writer answers `done`."""

    done: asyncio.Future[object] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


W = TypeVar("W", bound=Waiting)


@dataclass(eq=False)
class _Queue(Generic[W]):
    waiting: list[W] = field(default_factory=list)
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)


def take_all(waiting: list[W]) -> tuple[list[W], list[W]]:
    return list(waiting), []


class Batches(Generic[W]):
    """A kind of write done in batches: `write(batch)` answers each item's `done` (a result or an
    error of its own); `take(waiting)` splits what waits into the next batch and what is left, in
    the order they came."""

    def __init__(
        self,
        write: Callable[[list[W]], Awaitable[None]],
        take: Callable[[list[W]], tuple[list[W], list[W]]] = take_all,
    ) -> None:
        self.write, self.take = write, take
        # One queue per event loop (a process has one; tests make one each).
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[W]]
        self._queues = weakref.WeakKeyDictionary()

    async def submit(self, item: W) -> object:
        """`item` written, with the others waiting when its turn comes: its answer, or its error."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop) or self._queues.setdefault(loop, _Queue())
        queue.waiting.append(item)
        try:
            while not item.done.done():
                async with queue.turn:
                    if not item.done.done():
                        batch, queue.waiting[:] = self.take(queue.waiting)
                        # Shielded: a request cancelled while it writes for others leaves them their answer.
                        await asyncio.shield(self._answer(batch))
        except BaseException:
            if item in queue.waiting:  # its request gave up before its turn: it is not written
                queue.waiting.remove(item)
            raise
        return item.done.result()

    async def write_alone(self, item: W) -> object:
        """`item` written at once, by itself (in the caller's transaction, if there is one)."""
        await self._answer([item])
        return item.done.result()

    async def _answer(self, batch: list[W]) -> None:
        """`write(batch)`; whatever it left unanswered gets its error (or is cancelled with it)."""
        try:
            await self.write(batch)
        except Exception as error:
            for item in batch:
                if not item.done.done():
                    item.done.set_exception(error)
        except BaseException:
            for item in batch:
                item.done.cancel()
            raise
