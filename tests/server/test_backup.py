"""`referentiel backup` while the server serves and writes; `referentiel restore` into an empty database."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proposals.accounts import register_account
from proposals.audit import record
from proposals.tables import Comment
from server import backup_postgres
from server.backup import BackupError
from tests.conftest import DATABASE_URL, ON_POSTGRES
from tests.constants import PASSWORD
from tests.proposals.factories import add_proposal, make_account
from tests.server.live import as_dict, fetch, live_server, other_database, run_cli, table_counts

pytestmark = pytest.mark.usefixtures("db")

BALLAST_COMMENTS = 1500  # about 12 MB: the copy takes several steps while comments keep arriving
WORDS = ["binôme", "mentor", "mentoré", "programme", "engagement", "durée", "objectifs", "suivi", "formation"]


async def ballast(proposal_id: int, author_id: int) -> None:
    """Comments written as the application writes them (each with its audit entry), in one go."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    async with Comment._meta.db.transaction():
        for _ in range(BALLAST_COMMENTS):
            body = " ".join(rng.choice(WORDS) for _ in range(500))
            comment = Comment(
                proposal=proposal_id,
                author=author_id,
                body=body,
                body_html=f"<p>{body}</p>\n",
                created_at=now,
            )
            await Comment.insert(comment)
            detail = {"comment": comment.id, "reply_to": None}
            await record(author_id, "comment.added", "proposal", proposal_id, detail)


class Writer(threading.Thread):
    """Posts comments through the API, one after the other, until told to stop."""

    def __init__(self, server, who: dict, proposal_id: int) -> None:
        super().__init__(daemon=True)
        self.server, self.who, self.proposal_id = server, who, proposal_id
        self.done: list[float] = []  # when each write was answered
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            body = {"body": f"Commentaire {len(self.done) + 1} pendant la sauvegarde"}
            response = self.server.call(
                "POST", f"/proposals/{self.proposal_id}/comments", self.who, json=body
            )
            if response.status_code == 201:
                self.done.append(time.monotonic())
            else:
                self.failures.append(f"{response.status_code} {response.text}")

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.done) < count:
            assert not self.failures, self.failures
            assert time.monotonic() < deadline, "the writer does not write"
            time.sleep(0.05)


AUDIT = "SELECT id, action, entry_hash, detail FROM audit_log ORDER BY id"


async def test_a_backup_taken_while_writing_restores_to_a_consistent_database(tmp_path: Path):
    commenter = await register_account("commentatrice@example.org", PASSWORD, "Commentatrice")
    author = await make_account("Autrice")
    await ballast((await add_proposal(author)).id, commenter.id)
    proposal = await add_proposal(author, title="Une autre proposition")  # few comments: quick to answer
    backup_file = tmp_path / ("backup.dump" if ON_POSTGRES else "backup.db")

    with live_server(DATABASE_URL, tmp_path / "server.log") as server:
        writer = Writer(server, server.token("commentatrice@example.org"), proposal.id)
        writer.start()
        try:
            writer.wait_for(5)
            written_before = len(writer.done)
            started = time.monotonic()
            made = run_cli(DATABASE_URL, "backup", str(backup_file))
            finished = time.monotonic()
            writer.wait_for(len(writer.done) + 5)  # and writing still goes on afterwards
        finally:
            writer.stopping.set()
            writer.join(timeout=60)
        assert made.returncode == 0, made.stderr
        assert not writer.failures, writer.failures
    during = sum(started <= moment <= finished for moment in writer.done)
    assert during > 0, "no write happened during the backup"

    source_counts = await table_counts(DATABASE_URL)
    source_audit = await fetch(DATABASE_URL, AUDIT)
    async with other_database(tmp_path, "restored") as restored:
        restoring = run_cli(restored, "restore", str(backup_file))
        assert restoring.returncode == 0, restoring.stderr
        assert "hash chain intact" in restoring.stderr
        verified = run_cli(restored, "verify")
        assert verified.returncode == 0, verified.stderr
        counts = await table_counts(restored)

        # The copy is the database at one instant: every comment written before the backup
        # started, none written after it ended, each with its audit entry, the chain a prefix.
        comments = counts["comment"]
        assert BALLAST_COMMENTS + written_before <= comments <= BALLAST_COMMENTS + len(writer.done)
        audit = await fetch(restored, AUDIT)
        assert audit == source_audit[: len(audit)]
        assert counts["audit_log"] == len(audit) and len(audit) < len(source_audit)
        commented = {
            as_dict(detail)["comment"] for _, action, _, detail in audit if action == "comment.added"
        }
        ids = {row[0] for row in await fetch(restored, "SELECT id FROM comment")}
        assert commented == ids and len(ids) == comments
        # Each write also leaves a change_event row (SQLite's announcements to the workers' caches)
        # and each comment a notification_event (heard by followers): they grow with the writes, as
        # the comments and the audit log do; the events are the comments', one each.
        growing = ("comment", "audit_log", "change_event", "notification_event")
        assert (
            counts["notification_event"]
            == comments - source_counts["comment"] + source_counts["notification_event"]
        )
        assert {k: v for k, v in counts.items() if k not in growing} == {
            k: v for k, v in source_counts.items() if k not in growing
        }
        for query in (
            "SELECT version, content_hash FROM framework_release ORDER BY id",
            "SELECT id, status, title, revision FROM proposal ORDER BY id",
            "SELECT id, proposal, voter, choice FROM ballot ORDER BY id",
            "SELECT id, email, role FROM account ORDER BY id",
        ):
            assert await fetch(restored, query) == await fetch(DATABASE_URL, query), query
        print(
            f"\nbackup: {during} comments written during the backup command "
            f"({finished - started:.2f} s; {len(writer.done)} during the whole test), "
            f"{backup_file.stat().st_size / 1e6:.1f} MB; restored {sum(counts.values())} rows "
            f"({comments} comments, {len(audit)} audit entries, head {audit[-1][2][:12]})\n{made.stderr}"
        )

        again = run_cli(restored, "restore", str(backup_file))
        assert again.returncode == 2
        assert "refusing to restore" in again.stderr and "it is not empty" in again.stderr
        assert "Traceback" not in again.stderr
        assert await table_counts(restored) == counts


async def test_restore_refuses_a_database_with_tables_even_without_rows(tmp_path: Path):
    backup_file = tmp_path / "backup"
    made = run_cli(DATABASE_URL, "backup", str(backup_file))
    assert made.returncode == 0, made.stderr
    assert run_cli(DATABASE_URL, "backup", str(backup_file)).returncode == 2  # never overwritten by mistake
    async with other_database(tmp_path, "migrated") as target:
        assert run_cli(target, "migrate").returncode == 0
        refused = run_cli(target, "restore", str(backup_file))
        assert refused.returncode == 2
        assert "it is not empty" in refused.stderr and "no data yet" in refused.stderr


async def test_restore_refuses_what_is_not_a_backup(tmp_path: Path):
    junk = tmp_path / "notes.txt"
    junk.write_text("pas une sauvegarde")
    async with other_database(tmp_path, "target") as target:
        refused = run_cli(target, "restore", str(junk))
        assert refused.returncode == 2 and "not a backup made by `referentiel backup`" in refused.stderr
        missing = run_cli(target, "restore", str(tmp_path / "absent.db"))
        assert missing.returncode == 2 and "there is no backup file" in missing.stderr


def test_a_missing_pg_dump_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(backup_postgres.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match=r"pg_dump is not installed.*apt-get install postgresql-client"):
        backup_postgres._tool("pg_dump")


def test_a_pg_dump_older_than_the_server_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    async def server_major(url: str) -> int:
        return 16

    monkeypatch.setattr(backup_postgres, "_tool", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup_postgres, "_tool_major", lambda path: 15)
    monkeypatch.setattr(backup_postgres, "_server_major", server_major)
    with pytest.raises(BackupError, match="pg_dump 15 cannot dump a PostgreSQL 16 server"):
        backup_postgres.pg_backup("postgresql://u:secret@db.example.org:5433/ref", tmp_path / "x", print)
    assert not (tmp_path / "x").exists()


def test_the_password_goes_to_the_environment_not_the_command_line():
    target = backup_postgres._Target.from_url("postgresql://r%C3%A9f:p%40ss@db.example.org:5433/referentiel")
    assert target.arguments() == [
        "--host=db.example.org",
        "--port=5433",
        "--username=réf",
        "--dbname=referentiel",
        "--no-password",
    ]
    assert target.environment()["PGPASSWORD"] == "p@ss"
