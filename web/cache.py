"""One bounded cache for what many requests read and few change, never answering with what a write
has made wrong.

Each value is kept with the topics it was made from ("release:qualite-mentorat", "proposal:12") and
the generation at which it started to be read. A write announces the topics it touched (see
web/changes.py); from then on every value made from those topics before the write is stale and is
never answered again, including one whose reading began before the write and that is stored after
it (a late store). A time to live is a safety net only: a value past it is answered while one
request reads it again (no herd, no reader waiting on another), a stale one never.

Bounded in entries and in bytes (approximately counted): the least recently used go first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import itertools
import sys
import time
import types
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

# Seconds after which a refresh that never came back (its request failed) is tried again.
REFRESH_TIMEOUT = 5.0

Topics = Iterable[str] | Callable[[Any], Iterable[str]]
_DEFAULT_TTL: Any = object()


class Generations:
    """Which topics changed, and in what order, as this worker knows it.

    `now()` is read before a value is read; the value is fresh while none of its topics changed
    after that moment. At most `max_topics` topics are remembered (each write may name a new one:
    "proposal:N"): past it, the older half is forgotten, and a topic not remembered counts as changed
    at the newest forgotten change (values read before it are read again once; never a stale one).
    """

    def __init__(self, max_topics: int = 20_000) -> None:
        self.max_topics = max_topics
        self._counter = 0
        self._changed: dict[str, int] = {}  # in the order of their last change
        self._forgotten = 0  # the generation of the newest change forgotten
        self._everything = 0

    def __len__(self) -> int:
        return len(self._changed)

    def now(self) -> int:
        return self._counter

    def changed(self, topics: Iterable[str]) -> None:
        self._counter += 1
        for topic in topics:
            self._changed.pop(topic, None)
            self._changed[topic] = self._counter
        if len(self._changed) > self.max_topics:
            for topic in list(itertools.islice(self._changed, len(self._changed) // 2)):
                self._forgotten = self._changed.pop(topic)

    def everything_changed(self) -> None:
        """When changes may have been missed (a lost connection to the database, say)."""
        self._counter += 1
        self._everything = self._counter

    def fresh(self, since: int, topics: Iterable[str]) -> bool:
        return self._everything <= since and all(
            self._changed.get(topic, self._forgotten) <= since for topic in topics
        )


@dataclass(frozen=True, slots=True)
class Entry:
    value: Any
    size: int
    topics: frozenset[str]
    since: int  # Generations.now() when the value started to be read
    expires: float | None  # None: for as long as its topics do not change


class Cache:
    def __init__(
        self,
        generations: Generations,
        *,
        max_entries: int,
        max_bytes: int,
        ttl: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.generations = generations
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.clock = clock
        self.bytes = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        # Keys being read again after their time to live, by whom: when that began.
        self._refreshing: dict[Hashable, float] = {}
        # Keys being read by a `get`: when its reading began (a generation) and its outcome.
        self._pending: dict[Hashable, tuple[int, asyncio.Future]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _current(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None and not self.generations.fresh(entry.since, entry.topics):
            self._drop(key)
            return None
        return entry

    def _expired(self, entry: Entry) -> bool:
        return entry.expires is not None and entry.expires <= self.clock()

    def lookup(self, key: Hashable) -> Entry | None:
        """An entry to answer with: fresh, or past its time to live while another request reads it
        again. None when there is none, or when the caller is the one to read it again."""
        entry = self._current(key)
        if entry is None:
            return None
        if self._expired(entry):
            started = self._refreshing.get(key)
            now = self.clock()
            if started is None or now - started > REFRESH_TIMEOUT:
                self._refreshing[key] = now
                return None
        self._entries.move_to_end(key)
        return entry

    async def get(
        self,
        key: Hashable,
        produce: Callable[[], Awaitable[Any]],
        *,
        topics: Topics = (),
        ttl: float | None = _DEFAULT_TTL,
        size: Callable[[Any], int] | None = None,
        since: int | None = None,
    ) -> Any:
        """The value of `key`, read by `produce` when there is no fresh one. `topics` (or a function
        of the value giving them) are what it is made from; `size` gives its bytes (else they are
        counted by approximate_size). `since`: when what `produce` uses began to be read, if earlier
        than now (a request's start)."""
        entry = self._current(key)
        pending = self._pending.get(key)
        if entry is not None and (not self._expired(entry) or pending is not None):
            self._entries.move_to_end(key)
            return entry.value
        now = self.generations.now()
        since = now if since is None else since
        if pending is not None and pending[0] == now:
            # Someone is reading it and nothing changed since they began: their value will do.
            return await asyncio.shield(pending[1])
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[key] = (now, future)
        try:
            value = await produce()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            if self._pending.get(key, (None, None))[1] is future:
                del self._pending[key]
        future.set_result(value)
        self.store(
            key,
            value,
            since=since,
            topics=topics(value) if callable(topics) else topics,
            ttl=ttl,
            size=size(value) if size is not None else None,
        )
        return value

    def store(
        self,
        key: Hashable,
        value: Any,
        *,
        since: int,
        topics: Iterable[str] = (),
        ttl: float | None = _DEFAULT_TTL,
        size: int | None = None,
    ) -> None:
        """Keep `value`, read from `since` on, unless a write to its topics came since (then it is
        stale already and is discarded)."""
        topics = frozenset(topics)
        self._refreshing.pop(key, None)
        if not self.generations.fresh(since, topics):
            return
        size = approximate_size(value) if size is None else size
        if size > self.max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        ttl = self.ttl if ttl is _DEFAULT_TTL else ttl
        expires = None if ttl is None else self.clock() + ttl
        self._entries[key] = Entry(value, size, topics, since, expires)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key)
        self._refreshing.pop(key, None)
        self.bytes -= entry.size

    def clear(self) -> None:
        self._entries.clear()
        self._refreshing.clear()
        self.bytes = 0


_ATOMS = (str, bytes, bytearray, int, float, complex, bool, type(None), enum.Enum)
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def approximate_size(value: object) -> int:
    """Roughly the bytes `value` holds: its own and those of what it refers to, each counted once
    (classes, modules and functions, shared by all values, are not counted)."""
    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, _OPAQUE):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, _ATOMS):
            continue
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif dataclasses.is_dataclass(item):
            stack.extend(getattr(item, field.name) for field in dataclasses.fields(item))
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
    return total
