"""Idempotency keys across real servers: the same request sent to two hosts at once is applied once;
a host killed (SIGKILL) after a keyed request's change committed and before its answer was kept
leaves a retry, on a host started again, told the request was applied, and nothing applied twice.

The fault is injected from outside the application (tests/server/faults_answer/sitecustomize.py,
on the server's PYTHONPATH), as tests/server/test_crash.py does.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.constants import AMENDMENT, SLUG
from tests.server.live import LiveServers, fetch, live_server, other_database

pytestmark = pytest.mark.usefixtures("db")

FAULTS = str(Path(__file__).parent / "faults_answer")
COMMENT = {"body": "Une seule fois."}


async def test_a_retry_after_the_host_died_is_not_applied_twice(tmp_path: Path):
    async with other_database(tmp_path, "idem_crash", copy_test_database=True) as url:
        log = tmp_path / "server.log"
        with live_server(url, log, PYTHONPATH=FAULTS) as server:
            author = server.register("author@example.org", "Autrice")
            created = server.call("POST", f"/frameworks/{SLUG}/proposals", author, json=AMENDMENT)
            assert created.status_code == 201, created.text  # no key: the fault stays asleep
            path = f"/proposals/{created.json()['id']}/comments"
            keyed = {"Authorization": author["Authorization"], "Idempotency-Key": "retry-me"}
            with pytest.raises(httpx.TransportError):  # no answer: the server died mid-request
                server.http.post(path, headers=keyed, json=COMMENT)
            assert server.process.wait(timeout=30) == -signal.SIGKILL, log.read_text()

        assert await fetch(url, "SELECT count(*) FROM comment") == [(1,)]
        left = "SELECT applied, status FROM idempotent_request WHERE key = 'retry-me'"
        assert [(bool(applied), status) for applied, status in await fetch(url, left)] == [(True, None)]

        with live_server(url, log) as server:  # restarted, without the fault
            retried = server.http.post(path, headers=keyed, json=COMMENT)
            assert retried.status_code == 409, retried.text
            assert "was applied" in retried.json()["detail"]
            fresh = server.http.post(path, headers={**keyed, "Idempotency-Key": "new"}, json=COMMENT)
            assert fresh.status_code == 201, fresh.text
            assert server.http.post(
                path, headers={**keyed, "Idempotency-Key": "new"}, json=COMMENT
            ).json() == (fresh.json())
            server.assert_clean_log()
        assert await fetch(url, "SELECT count(*) FROM comment") == [(2,)]


async def test_the_same_request_sent_to_two_hosts_at_once_is_applied_once(tmp_path: Path):
    async with other_database(tmp_path, "idem_hosts", copy_test_database=True) as url:
        async with LiveServers(tmp_path) as servers:
            one = await servers.astart(url, workers=2)
            two = await servers.astart(url, workers=2)
            author = await asyncio.to_thread(one.register, "author@example.org", "Autrice")
            created = one.call("POST", f"/frameworks/{SLUG}/proposals", author, json=AMENDMENT)
            path = f"/api/v1/proposals/{created.json()['id']}/comments"
            keyed = {"Authorization": author["Authorization"], "Idempotency-Key": "both-hosts"}
            async with httpx.AsyncClient(timeout=60) as client:
                answers = await asyncio.gather(
                    *(
                        client.post(f"{server.base}{path}", headers=keyed, json=COMMENT)
                        for server in (one, two) * 3
                    )
                )
            assert [answer.status_code for answer in answers] == [201] * 6, [a.text for a in answers]
            assert all(answer.json() == answers[0].json() for answer in answers)
            for server in (one, two):
                server.assert_clean_log()
        assert await fetch(url, "SELECT count(*) FROM comment") == [(1,)]
