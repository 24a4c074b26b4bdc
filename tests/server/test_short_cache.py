"""The short cache: fresh for ttl, one refresh at a time, cleared by writes."""

from __future__ import annotations

import asyncio

import pytest

from web.short_cache import ShortCache


async def test_one_refresh_at_a_time_and_stale_values_meanwhile():
    now = [0.0]
    cache = ShortCache(ttl=1.0, clock=lambda: now[0])
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
    assert await asyncio.gather(*first) == [1] * 10  # ten callers, one computation
    now[0] = 5.0
    gate.clear()
    refresh = asyncio.create_task(cache.get("k", produce))
    await asyncio.sleep(0)
    assert await cache.get("k", produce) == 1  # expired value while the refresh runs
    gate.set()
    assert await refresh == 2 and calls == 2


async def test_errors_reach_every_waiter_and_are_not_kept():
    cache = ShortCache(ttl=60)

    async def failing() -> int:
        await asyncio.sleep(0)
        raise LookupError("no")

    results = await asyncio.gather(*(cache.get("k", failing) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)

    async def working() -> int:
        return 7

    assert await cache.get("k", working) == 7


async def test_clear_forgets_everything():
    cache = ShortCache(ttl=60)
    values = iter([1, 2])

    async def produce() -> int:
        return next(values)

    assert await cache.get("k", produce) == 1
    assert await cache.get("k", produce) == 1
    cache.clear()
    assert await cache.get("k", produce) == 2


@pytest.mark.parametrize("size", [3])
async def test_bounded(size: int):
    cache = ShortCache(ttl=60, max_entries=size)

    async def produce() -> int:
        return 0

    for key in range(10):
        await cache.get(key, produce)
    assert len(cache._entries) == size
