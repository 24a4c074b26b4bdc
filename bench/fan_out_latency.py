"""Do page answers slow down while a burst of events fans out? (By hand, never from the tests.)

    .venv/bin/python bench/fan_out_latency.py [--followers 1000] [--events 200]

Seeds a new SQLite file (bench/notifications.py's world: followers of the theme REC, each taking
comments as a daily digest), starts `referentiel serve --workers 2` on it with a fast mail loop, and
runs wrk on a proposal page and an indicator page: once at rest, once right after the burst of events
is written (the workers' mail loops turn it into notifications meanwhile). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import notifications  # noqa: E402  (sets the database of this process)
from serving import free_port  # noqa: E402
from wrkrun import run_wrk  # noqa: E402

PAGES = ("/proposals/1", "/frameworks/qualite-mentorat/releases/1.0.0/indicators/REC-1")


async def seed(followers: int) -> None:
    """The followers and the proposal only: bench/notifications.py's main with no event and no mail."""
    await notifications.main(followers, events=0, mails=0)


def measure(base: str) -> dict:
    return {page: run_wrk(base + page, {}, threads=2, connections=8, duration=8) for page in PAGES}


def main(followers: int, events: int) -> dict:
    from server import use_piccolo_conf

    use_piccolo_conf()
    asyncio.run(seed(followers))
    database = os.environ["REFERENTIEL_DATABASE_URL"]
    path = database.removeprefix("sqlite:///")
    port = free_port()
    env = {**os.environ, "REFERENTIEL_MAIL_INTERVAL": "0.2", "REFERENTIEL_SECURE_COOKIES": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=HERE.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        time.sleep(4)
        at_rest = measure(base)
        now = datetime.now(UTC).isoformat()
        with sqlite3.connect(path) as db:
            db.executemany(
                "INSERT INTO notification_event (kind, actor, proposal, data, created_at) "
                "VALUES (?, 1, 1, ?, ?)",
                [("comment", json.dumps({"number": 1, "title": f"E{n}"}), now) for n in range(events)],
            )
        started = time.monotonic()
        during = measure(base)
        with sqlite3.connect(path) as db:
            written = db.execute("SELECT count(*) FROM notification").fetchone()[0]
            waiting = db.execute(
                "SELECT count(*) FROM notification_event WHERE dispatched_at IS NULL"
            ).fetchone()[0]
        return {
            "followers": followers,
            "events": events,
            "notifications_written_during_the_measure": written,
            "events_still_waiting_after_it": waiting,
            "seconds": round(time.monotonic() - started, 1),
            "at_rest": at_rest,
            "during_fan_out": during,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    arguments = parser.parse_args()
    print(json.dumps(main(arguments.followers, arguments.events), indent=2))
