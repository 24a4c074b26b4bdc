"""What many requests read and few change (a proposal's debate, say), kept for a short while.

Entries live `ttl` seconds; any write in this worker clears them all (see
published_cache.forget_after_writes), so a worker always shows its own writes at once and
other workers' within `ttl`.
"""

from __future__ import annotations

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

    async def get(self, key: Hashable, produce: Callable[[], Awaitable[Any]]) -> Any:
        cached = self._entries.get(key)
        if cached is not None and self.clock() < cached[0]:
            return cached[1]
        value = await produce()
        self._entries[key] = (self.clock() + self.ttl, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
