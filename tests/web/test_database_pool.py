"""Commands and scripts talk to PostgreSQL through a pool (`pooled`), opened and closed around their
work, and leave alone a pool someone else opened (the app's, say)."""

from __future__ import annotations

from indicators.tables import Framework
from tests.conftest import ON_POSTGRES
from web.database import close_pool, engine, open_pool, pooled


async def count_frameworks() -> tuple[int, bool]:
    return await Framework.count(), getattr(engine(), "pool", None) is not None


async def test_a_command_runs_inside_a_pool_that_it_closes_when_done(db: None):
    count, pool_open = await pooled(count_frameworks())
    assert count == 1
    assert pool_open is ON_POSTGRES  # SQLite has no pool: nothing is opened
    assert getattr(engine(), "pool", None) is None


async def test_a_pool_open_already_is_used_and_left_open(db: None):
    await open_pool()
    try:
        assert (await pooled(count_frameworks()))[1] is ON_POSTGRES
        assert (getattr(engine(), "pool", None) is not None) is ON_POSTGRES
    finally:
        await close_pool()
