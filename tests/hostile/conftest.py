"""Fixtures of the hostile-input tests: the app started as a server starts it, and as many separate
browsers (cookie jars) or API callers as a test needs, all reaching it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from server.app import create_app
from tests.hostile.helpers import Site
from tests.hostile.world import World, make_world


@pytest.fixture
async def app(db: None) -> AsyncIterator[Litestar]:
    app = create_app()
    for hook in app.on_startup:
        await hook()
    try:
        yield app
    finally:
        for hook in app.on_shutdown:
            await hook()


@pytest.fixture
async def site(app: Litestar) -> AsyncIterator[Site]:
    site = Site(httpx.ASGITransport(app=app))
    try:
        yield site
    finally:
        await site.close()


@pytest.fixture
async def world(site: Site) -> World:
    return await make_world(site)
