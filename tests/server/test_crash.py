"""A server killed (SIGKILL) in the middle of publishing a release leaves no half release behind.

The fault is injected from outside the application (tests/server/faults/sitecustomize.py, on the
server's PYTHONPATH): the server dies after the new indicator revisions are written and before the
release row is, inside the publication's transaction. Stack notes, trap 16.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.constants import SLUG, STARTER_HASH
from tests.server.live import create_steward, fetch, live_server, other_database, proposal_in_vote, run_cli

pytestmark = pytest.mark.usefixtures("db")

FAULTS = str(Path(__file__).parent / "faults")

RELEASES = "SELECT version, content_hash FROM framework_release ORDER BY id"
# Revisions that no release points at: what a half-written publication would leave.
ORPHAN_REVISIONS = (
    "SELECT count(*) FROM indicator_revision WHERE id NOT IN (SELECT revision FROM release_entry)"
)
ORPHAN_INDICATORS = "SELECT count(*) FROM indicator WHERE id NOT IN (SELECT indicator FROM release_entry)"


async def test_a_server_killed_while_publishing_leaves_the_previous_release_intact(tmp_path: Path):
    async with other_database(tmp_path, "crash", copy_test_database=True) as url:
        create_steward(url)
        log = tmp_path / "server.log"
        with live_server(url, log, PYTHONPATH=FAULTS) as server:
            steward = server.token("steward@example.org")
            pid = proposal_in_vote(server, steward)
            revisions_before = await fetch(url, "SELECT count(*) FROM indicator_revision")
            with pytest.raises(httpx.TransportError):  # no answer: the server died mid-request
                server.call("POST", f"/proposals/{pid}/decision", steward)
            assert server.process.wait(timeout=30) == -signal.SIGKILL, log.read_text()

        assert await fetch(url, RELEASES) == [("1.0.0", STARTER_HASH)]
        assert await fetch(url, "SELECT count(*) FROM indicator_revision") == revisions_before
        assert await fetch(url, ORPHAN_REVISIONS) == [(0,)]
        assert await fetch(url, ORPHAN_INDICATORS) == [(0,)]
        assert await fetch(url, f"SELECT status, release FROM proposal WHERE id = {pid}") == [
            ("voting", None)
        ]
        decided = "SELECT count(*) FROM audit_log WHERE action = 'proposal.decided'"
        assert await fetch(url, decided) == [(0,)]
        verified = run_cli(url, "verify")
        assert verified.returncode == 0, verified.stderr
        assert "1 release(s) checked, 0 mismatch(es)" in verified.stderr
        assert "hash chain intact" in verified.stderr

        with live_server(url, log) as server:  # restarted, without the fault
            decision = server.call("POST", f"/proposals/{pid}/decision", server.token("steward@example.org"))
            assert decision.status_code == 200, decision.text
            assert decision.json()["status"] == "accepted"
            assert decision.json()["release"]["version"] == "1.1.0"
            latest = server.call("GET", f"/frameworks/{SLUG}/releases/latest").json()
            assert latest["version"] == "1.1.0"
        releases = await fetch(url, RELEASES)
        assert releases[0] == ("1.0.0", STARTER_HASH) and [r[0] for r in releases] == ["1.0.0", "1.1.0"]
        assert await fetch(url, ORPHAN_REVISIONS) == [(0,)]
        verified = run_cli(url, "verify")
        assert verified.returncode == 0, verified.stderr
        assert "2 release(s) checked, 0 mismatch(es)" in verified.stderr
