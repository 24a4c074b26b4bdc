"""Browser journeys: the real server (`python -m server.cli serve`) on 127.0.0.1, one fresh SQLite
file per test module (seeded through the domain by tests/e2e/seed.py), driven by Debian's Chromium
through Playwright's async API, with axe-core injected into every page.

The folder is skipped, with the reason, when Chromium, axe-core or the playwright package is
missing: `make e2e-deps` installs them (CI runs it). It runs in the SQLite pass only: each module
serves its own SQLite file whatever the suite's database, so the PostgreSQL pass would repeat it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.browser import AXE, CHROMIUM, CHROMIUM_ARGS, ROOT, Journey
from tests.server.live import LiveServer, child_environment

HERE = Path(__file__).resolve().parent


def _why_skipped() -> str | None:
    if os.environ.get("REFERENTIEL_TEST_DATABASE_URL"):
        return "browser journeys run in the SQLite pass only (each module serves its own SQLite file)"
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not AXE.exists():
        missing.append(f"{AXE.relative_to(ROOT)} (npm ci)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if missing:
        return f"browser journeys need {', '.join(missing)}: run `make e2e-deps`"
    return None


SKIP_REASON = _why_skipped()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP_REASON is None:
        return
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@dataclass
class Site:
    base: str
    data: dict  # what the seed scenario printed: ids, emails, the shared password
    log: Path


@pytest.fixture(scope="module")
async def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    """The module's SCENARIO seeded into a new SQLite file, served by the real server."""
    scenario = request.module.SCENARIO
    folder = tmp_path_factory.mktemp(f"e2e-{scenario}")
    database_url = f"sqlite:///{folder / 'e2e.db'}"
    env = {
        "REFERENTIEL_PASSWORD_HASHING": "fast",
        # The default, Secure cookies: Chromium keeps them from http://127.0.0.1 (a secure context).
        "REFERENTIEL_SECURE_COOKIES": None,
        # The default public address: where the server listens (the suite's is the in-process one's).
        "REFERENTIEL_BASE_URL": None,
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.e2e.seed", scenario],
        env=child_environment(database_url, env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert seeded.returncode == 0, seeded.stderr
    data = json.loads(seeded.stdout.strip().splitlines()[-1])

    async with LiveServer(database_url, folder / "server.log", env=env) as server:
        yield Site(server.base, data, server.log_path)


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def journey(browser, site: Site) -> AsyncIterator[Callable[..., Journey]]:
    """Start a journey: `journey("reading", width=360, height=740)`; its browser contexts close after."""
    started: list[Journey] = []

    def start(name: str, width: int = 1280, height: int = 900) -> Journey:
        started.append(Journey(browser, site.base, site.log, name, width, height))
        return started[-1]

    yield start
    for one in started:
        await one.close()
