"""Fixtures of the race tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATABASE_URL
from tests.server.live import LiveServer, LiveServers


@pytest.fixture
async def start_server(db: None, tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Starts `python -m server.cli serve --workers 2` on the test database, once the test has
    written what it needs; each call starts one more server (LiveServer's options: `workers`,
    `env`, ...; another `database_url`); all of them stop at the end of the test."""
    async with LiveServers(tmp_path) as servers:

        async def start(database_url: str = DATABASE_URL, workers: int = 2, **options: Any) -> LiveServer:
            return await servers.astart(database_url, workers=workers, **options)

        yield start
