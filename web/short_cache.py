"""What many requests read and few change (a proposal's debate, say), kept for a short while.

Entries live `ttl` seconds; any write in this worker clears them all (see
published_cache.forget_after_writes), so a worker always shows its own writes at once and
other workers' within `ttl`. One request at a time refreshes an entry: the others wait for it,
or get the expired value meanwhile, instead of all querying the database together.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class ShortCache:
    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 1024
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future] = {}

    async def get(self, key: Hashable, produce: Callable[[], Awaitable[Any]]) -> Any:
        cached = self._entries.get(key)
        if cached is not None and self.clock() < cached[0]:
            return cached[1]
        pending = self._pending.get(key)
        if pending is not None:
            return cached[1] if cached is not None else await asyncio.shield(pending)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await produce()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            if self._pending.get(key) is future:
                del self._pending[key]
        future.set_result(value)
        self._entries[key] = (self.clock() + self.ttl, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
        self._pending.clear()  # refreshes under way may have read what the write changed
