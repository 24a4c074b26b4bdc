"""The one cache: fresh until a topic it is made from changes, never kept when read before a write
(a late store), past its time to live answered while one request reads it again, bounded in entries
and bytes."""

from __future__ import annotations

import asyncio

import pytest

from web.cache import Cache, Generations, approximate_size


def make(ttl: float | None = 60, clock=None, max_entries: int = 100, max_bytes: int = 1_000_000) -> Cache:
    return Cache(
        Generations(), max_entries=max_entries, max_bytes=max_bytes, ttl=ttl, clock=clock or (lambda: 0.0)
    )


def counter(values: list[int] | None = None):
    calls = []

    async def produce() -> int:
        calls.append(1)
        return values[len(calls) - 1] if values else len(calls)

    return produce, calls


async def test_a_value_is_kept_until_a_topic_it_is_made_from_changes():
    cache = make()
    produce, calls = counter()
    assert await cache.get("k", produce, topics=("proposal:1",)) == 1
    assert await cache.get("k", produce, topics=("proposal:1",)) == 1
    cache.generations.changed(["proposal:2"])  # another topic: still fresh
    assert await cache.get("k", produce, topics=("proposal:1",)) == 1
    cache.generations.changed(["proposal:1"])
    assert await cache.get("k", produce, topics=("proposal:1",)) == 2
    assert len(calls) == 2


async def test_topics_may_come_from_the_value():
    cache = make()

    async def produce() -> dict:
        return {"account": 7}

    await cache.get("session", produce, topics=lambda value: (f"account:{value['account']}",))
    assert cache.lookup("session") is not None
    cache.generations.changed(["account:7"])
    assert cache.lookup("session") is None


async def test_a_value_read_before_a_write_and_stored_after_it_is_discarded():
    """The late store: a refresh that began before a write must not undo it."""
    cache = make()
    gate = asyncio.Event()
    produce_calls = []

    async def slow() -> str:
        produce_calls.append(1)
        await gate.wait()
        return "read before the write"

    reading = asyncio.create_task(cache.get("k", slow, topics=("proposal:1",)))
    await asyncio.sleep(0)
    cache.generations.changed(["proposal:1"])  # the write commits while the value is being read
    gate.set()
    assert await reading == "read before the write"  # its own request gets what it read...
    assert cache.lookup("k") is None  # ...but nobody else ever will

    async def fresh() -> str:
        return "read after the write"

    assert await cache.get("k", fresh, topics=("proposal:1",)) == "read after the write"


async def test_a_store_is_checked_against_when_the_request_began():
    cache = make()
    began = cache.generations.now()
    cache.generations.changed(["release:x"])
    cache.store("page", b"made from what was read before the write", since=began, topics=("release:x",))
    assert cache.lookup("page") is None
    cache.store("page", b"made after", since=cache.generations.now(), topics=("release:x",))
    assert cache.lookup("page").value == b"made after"


async def test_everything_changed_makes_every_value_stale():
    cache = make()
    cache.store("a", 1, since=0, topics=())
    cache.store("b", 2, since=0, topics=("x",))
    cache.generations.everything_changed()
    assert cache.lookup("a") is None and cache.lookup("b") is None


async def test_one_read_at_a_time_and_the_expired_value_meanwhile():
    now = [0.0]
    cache = make(ttl=1.0, clock=lambda: now[0])
    calls = 0
    gate = asyncio.Event()

    async def produce() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return calls

    first = [asyncio.create_task(cache.get("k", produce)) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*first) == [1] * 10  # ten callers, one reading
    now[0] = 5.0
    gate.clear()
    refresh = asyncio.create_task(cache.get("k", produce))
    await asyncio.sleep(0)
    assert await cache.get("k", produce) == 1  # the expired value while the refresh runs: no waiting
    gate.set()
    assert await refresh == 2 and calls == 2


async def test_a_reader_after_a_write_does_not_wait_for_a_reading_begun_before_it():
    cache = make()
    gate = asyncio.Event()
    results = iter(["before", "after"])

    async def produce() -> str:
        value = next(results)
        if value == "before":
            await gate.wait()
        return value

    before = asyncio.create_task(cache.get("k", produce, topics=("t",)))
    await asyncio.sleep(0)
    cache.generations.changed(["t"])
    assert await cache.get("k", produce, topics=("t",)) == "after"
    gate.set()
    assert await before == "before"
    assert cache.lookup("k").value == "after"


def test_lookup_answers_an_expired_entry_while_one_request_refreshes_it():
    now = [100.0]
    cache = make(ttl=1.0, clock=lambda: now[0])
    cache.store("/", b"home", since=0)
    cache.store("/r/1.0.0", b"json", since=0, ttl=None)
    assert cache.lookup("/").value == b"home"
    now[0] += 2
    assert cache.lookup("/") is None  # this request renders it again...
    assert cache.lookup("/").value == b"home"  # ...while others still get the copy
    now[0] += 10
    assert cache.lookup("/") is None  # a refresh that never came back is tried again
    cache.store("/", b"home 2", since=0)
    assert cache.lookup("/").value == b"home 2"
    assert cache.lookup("/r/1.0.0").value == b"json"  # no time to live: kept for good


async def test_errors_reach_every_waiter_and_are_not_kept():
    cache = make()

    async def failing() -> int:
        await asyncio.sleep(0)
        raise LookupError("no")

    results = await asyncio.gather(*(cache.get("k", failing) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)

    async def working() -> int:
        return 7

    assert await cache.get("k", working) == 7


@pytest.mark.parametrize("size", [1, 3])
async def test_bounded_in_entries(size: int):
    cache = make(max_entries=size)
    produce, _calls = counter()
    for key in range(10):
        await cache.get(key, produce)
    assert len(cache) == size
    assert cache.lookup(9) is not None and cache.lookup(0) is None  # the least recently used went first


def test_bounded_in_bytes_and_never_above():
    cache = make(max_bytes=10_000)
    for key in range(100):
        cache.store(key, b"x" * 3000, since=0, size=3000)
        assert cache.bytes <= 10_000
    assert len(cache) == 3
    cache.store("huge", b"y" * 20_000, since=0, size=20_000)  # larger than the whole cache: not kept
    assert cache.lookup("huge") is None and cache.bytes <= 10_000
    cache.clear()
    assert cache.bytes == 0 and len(cache) == 0


def test_approximate_size_counts_what_a_value_holds_once():
    text = "é" * 10_000
    assert approximate_size(text) >= 10_000
    shared = ["a" * 1000] * 50  # the same string fifty times
    assert approximate_size(shared) < approximate_size(["a" * 1000 + str(i) for i in range(50)])
    assert approximate_size({"k": [text, (text, text)]}) < 2 * approximate_size(text)


async def test_generations_remember_a_bounded_number_of_topics_and_never_answer_a_stale_value():
    cache = Cache(Generations(max_topics=100), max_entries=10_000, max_bytes=10_000_000, ttl=None)
    produce, calls = counter()
    await cache.get("old", produce, topics=("proposal:0",))
    for number in range(1, 1_000):  # a write to each of 999 proposals
        cache.generations.changed([f"proposal:{number}"])
        assert len(cache.generations) <= 100
    await cache.get("new", produce, topics=("proposal:5",))
    # proposal:0 and proposal:5 were forgotten: a value read before that is read again, not one after.
    assert await cache.get("old", produce, topics=("proposal:0",)) == 3
    assert await cache.get("new", produce, topics=("proposal:5",)) == 2
    cache.generations.changed(["proposal:5"])
    assert await cache.get("new", produce, topics=("proposal:5",)) == 4
    assert len(calls) == 4


def test_a_dropped_entry_leaves_nothing_behind():
    clock = [0.0]
    cache = make(ttl=1, clock=lambda: clock[0], max_entries=2)
    for key in ("a", "b"):
        cache.store(key, key, since=0)
    clock[0] = 5.0
    assert cache.lookup("a") is None  # expired: this caller reads it again, and fails to
    for key in range(100):
        cache.store(key, key, since=0)
    assert len(cache) == 2 and not cache._refreshing
