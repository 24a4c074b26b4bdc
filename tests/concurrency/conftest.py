"""Fixtures of the race tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.concurrency.racing import LiveServer, stop_server, wait_until_up
from tests.conftest import DATABASE_URL
from tests.server.live import free_port


@pytest.fixture
async def start_server(db: None, tmp_path: Path) -> AsyncIterator[Callable[[], Awaitable[LiveServer]]]:
    """Starts `python -m server.cli serve --workers 2` on the test database, once the test has
    written what it needs; stops it at the end of the test."""
    started: list[LiveServer] = []

    async def start() -> LiveServer:
        port = free_port()
        log_path = tmp_path / "server.log"
        env = {**os.environ, "REFERENTIEL_DATABASE_URL": DATABASE_URL}
        command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", "2"]
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
        started.append(server)
        await wait_until_up(server)
        return server

    yield start
    for server in started:
        await stop_server(server)
