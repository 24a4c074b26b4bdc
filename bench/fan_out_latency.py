"""Do page answers slow down while a burst of events fans out? (By hand, never from the tests.)

    .venv/bin/python bench/fan_out_latency.py [--followers 1000] [--events 200]

Seeds a new SQLite file (bench/notifications.py's world: followers of the theme REC, each taking
comments as a daily digest), starts `referentiel serve --workers 2` on it with a fast mail loop, and
runs wrk on a proposal page and an indicator page: at rest, then in 5 s windows, each page in turn,
from the moment a burst of events is written until the workers' mail loops have turned all of it into
notifications, and one window more. Prints JSON: each window's rate as a share of the page's at rest.
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


WINDOW = 5  # seconds of wrk per measure


def measure(url: str) -> dict:
    result = run_wrk(url, {}, threads=2, connections=8, duration=WINDOW)
    return {"rps": result["rps"], "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"]}


def progress(path: str) -> tuple[int, int]:
    """Notifications written, events still waiting."""
    with sqlite3.connect(path) as db:
        written = db.execute("SELECT count(*) FROM notification").fetchone()[0]
        waiting = db.execute(
            "SELECT count(*) FROM notification_event WHERE dispatched_at IS NULL"
        ).fetchone()[0]
    return written, waiting


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
        at_rest = {page: measure(base + page) for page in PAGES}
        now = datetime.now(UTC).isoformat()
        with sqlite3.connect(path) as db:
            db.executemany(
                "INSERT INTO notification_event (kind, actor, proposal, data, created_at) "
                "VALUES (?, 1, 1, ?, ?)",
                [("comment", json.dumps({"number": 1, "title": f"E{n}"}), now) for n in range(events)],
            )
        started = time.monotonic()
        # Windows in turn on each page until every event is told, and one more after.
        windows, waiting, told_within = [], events, None
        while waiting or not windows or windows[-1]["events_waiting"]:
            page = PAGES[len(windows) % len(PAGES)]
            figures = measure(base + page)
            written, waiting = progress(path)
            if not waiting and told_within is None:
                told_within = round(time.monotonic() - started, 1)
            windows.append(
                {
                    "page": page,
                    **figures,
                    "share_of_rest": round(figures["rps"] / at_rest[page]["rps"], 2),
                    "notifications_written": written,
                    "events_waiting": waiting,
                }
            )
        return {
            "followers": followers,
            "events": events,
            "every_event_told_within_seconds": told_within,
            "at_rest": at_rest,
            "windows_after_the_burst": windows,
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
