"""Ballots through the API, counted afterwards in the database (by hand, never from the tests).

    .venv/bin/python bench/ballots.py [--workers 2] [--voters 400] [--proposals 25] [--clients 32]
        [--duration 15] [--no-settle] [--database-url postgresql://... --recreate-database] [--json FILE]

Seeds (bench/seed_ballots.py) a working group of `--voters` members, each with an API token, and
`--proposals` proposals in voting; starts `referentiel serve` (bench/serving.py); waits until the
workers have dispatched the seed's notifications (unless --no-settle); then `--clients`
keep-alive connections each PUT `/api/v1/proposals/N/vote` in turn for `--duration` seconds, every
(voter, proposal) pair once, in a shuffled order, and wait for the answers in flight. Afterwards the
database must hold exactly the accepted ballots: none lost (an accepted pair without its ballot),
none unexpected (a ballot that was not accepted), none duplicated (one `vote.cast` audit entry per
accepted ballot), and `referentiel verify` must pass. Prints JSON: ballots/s, p50/p99/max latency,
the workers' CPU time per ballot (what a ballot costs, whatever else the machine runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter, deque
from pathlib import Path

from rawhttp import Connection, Request
from serving import VENV_BIN, Server, served
from under_junk import cpu_seconds

CHOICES = (b"for", b"against", b"abstain")


async def cast(server: Server, clients: int, duration: float) -> dict:
    """Every (voter, proposal) pair at most once, from `clients` connections until `duration` is over."""
    tokens, voters, proposals = (server.secrets[k] for k in ("tokens", "voters", "proposals"))
    pairs = deque(
        random.Random(15).sample(
            [(v, p) for v in range(len(tokens)) for p in proposals], k=len(tokens) * len(proposals)
        )
    )
    accepted: list[tuple[int, int]] = []
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    unanswered = 0
    deadline = time.perf_counter() + duration

    async def client() -> None:
        nonlocal unanswered
        connection = Connection(server.port)
        while pairs and time.perf_counter() < deadline:
            voter, proposal = pairs.popleft()
            body = b'{"choice": "%s"}' % CHOICES[(voter + proposal) % 3]
            headers = (("Authorization", f"Bearer {tokens[voter]}"), ("Content-Type", "application/json"))
            started = time.perf_counter()
            try:
                answer = await connection.send(
                    Request("PUT", f"/api/v1/proposals/{proposal}/vote", headers, body)
                )
            except (OSError, asyncio.IncompleteReadError):
                unanswered += 1  # written or not: left out of the counts below
                connection.abandon()
                continue
            latencies.append(time.perf_counter() - started)
            statuses[answer.status] += 1
            if answer.status == 200:
                accepted.append((proposal, voters[voter]))
        await connection.close()

    workers = server.workers()
    cpu_before, started = cpu_seconds(workers), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    worker_cpu = cpu_seconds(workers) - cpu_before
    latencies.sort()

    def percentile(share: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 1)
            if latencies
            else 0.0
        )

    return {
        "seconds": round(elapsed, 2),
        "accepted": len(accepted),
        "ballots_per_second": round(len(accepted) / elapsed, 1),
        # What a ballot costs the workers, whatever else the machine runs (the rate depends on it).
        "worker_cpu_ms_per_ballot": round(worker_cpu * 1000 / max(1, len(accepted)), 2),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": percentile(1.0),
        "statuses": dict(statuses),
        "unanswered": unanswered,
        "accepted_pairs": accepted,
    }


async def undispatched(database_url: str) -> int:
    """Notification events not yet dispatched (the seed's "vote opened", each to every voter)."""
    query = "SELECT count(*) FROM notification_event WHERE dispatched_at IS NULL"
    if database_url.startswith("sqlite:"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(query).fetchone()[0]
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def settle(database_url: str, timeout: float = 600.0) -> float:
    """Wait until the workers have dispatched the seed's notifications (and written their e-mails),
    so that the ballots are timed alone; returns the seconds it took."""
    started = time.perf_counter()
    while asyncio.run(undispatched(database_url)) and time.perf_counter() - started < timeout:
        time.sleep(0.5)
    return round(time.perf_counter() - started, 1)


async def stored(database_url: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The ballots (proposal, voter) and the `vote.cast` audit entries (target, actor) in the database."""
    ballots = "SELECT proposal, voter FROM ballot"
    entries = "SELECT target_id, actor FROM audit_log WHERE action = 'vote.cast'"
    if database_url.startswith("sqlite:"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(ballots).fetchall(), db.execute(entries).fetchall()
    import asyncpg  # the app's own driver

    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(r) for r in await connection.fetch(ballots)], [
            tuple(r) for r in await connection.fetch(entries)
        ]
    finally:
        await connection.close()


def verify(server: Server, database_url: str) -> dict:
    """`referentiel verify` on the database, timed."""
    env = dict(os.environ, REFERENTIEL_DATABASE_URL=database_url)
    started = time.perf_counter()
    result = subprocess.run(
        [str(VENV_BIN / "referentiel"), "verify"],
        env=env,
        cwd=server.folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    chain = [line.strip() for line in result.stderr.splitlines() if "audit log" in line]
    return {
        "exit_code": result.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "audit_log": chain[-1:],
    }


def main(arguments: argparse.Namespace) -> dict:
    seed = (str(arguments.voters), str(arguments.proposals))
    with served(
        arguments.workers,
        arguments.database_url,
        recreate=arguments.recreate_database,
        keep=arguments.keep,
        seed_script="seed_ballots.py",
        seed_arguments=seed,
    ) as server:
        database_url = arguments.database_url or f"sqlite:///{server.folder / 'bench.db'}"
        settled = settle(database_url) if arguments.settle else None
        figures = asyncio.run(cast(server, arguments.clients, arguments.duration))
        figures["settled_seconds"] = settled
        ballots, entries = asyncio.run(stored(database_url))
        accepted = Counter(figures.pop("accepted_pairs"))
        in_database, logged = Counter(ballots), Counter(entries)
        figures["lost"] = sum(1 for pair in accepted if pair not in in_database)
        figures["unexpected"] = sum(1 for pair in in_database if pair not in accepted)
        figures["duplicated"] = sum(n - 1 for n in in_database.values() if n > 1) + sum(
            max(0, logged[pair] - 1) for pair in logged
        )
        figures["audit_entries_for_accepted"] = sum(logged[pair] for pair in accepted)
        figures["verify"] = verify(server, database_url)
    return {
        "database": "postgresql" if arguments.database_url else "sqlite",
        "workers": arguments.workers,
        "voters": arguments.voters,
        "proposals": arguments.proposals,
        "clients": arguments.clients,
        **figures,
        "load_average": os.getloadavg(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--voters", type=int, default=400)
    parser.add_argument("--proposals", type=int, default=25)
    parser.add_argument("--clients", type=int, default=32, help="keep-alive connections (default 32)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of voting (default 15)")
    parser.add_argument(
        "--settle",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first wait for the seed's notifications to be dispatched (default; --no-settle times the"
        " ballots while the workers write them)",
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--recreate-database", action="store_true", help="drop and create --database-url")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    options = parser.parse_args()
    results = main(options)
    text = json.dumps(results, indent=2)
    print(text)
    if options.json:
        options.json.write_text(text)
    if results["lost"] or results["unexpected"] or results["duplicated"] or results["verify"]["exit_code"]:
        sys.exit("bench: ballots lost, unexpected or duplicated, or verify failed")
