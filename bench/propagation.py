"""Scenario "propagation": how long after a write through the API returns every worker answers it.

After each write (a comment on a proposal: its page; or a new proposal: the list's first page), the
page is polled on fresh connections (by --pollers tasks at once, each asking again as soon as it has
its answer), each kept open until it is known which worker answered it (the server side of the
connection is found in /proc/net/tcp, its inode among the workers' file descriptors). The write has
reached a worker at the end of its first answer showing it after which all its answers show it; the
latency is that moment for the last worker, minus the moment the write's answer was read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from dataclasses import dataclass

from rawhttp import Connection, Request
from serving import Server

CONSECUTIVE = 6  # answers in a row showing the write before the workers are looked up
RESOLVE_EVERY = 200  # open connections at most before they are looked up (and closed)
TIMEOUT = 45.0  # seconds: longer than the default REFERENTIEL_LATEST_TTL (30 s)
SLUG = "qualite-mentorat"
COMMENTS_EACH = 40  # comments written on a proposal before the next (its page shows its first 50)


@dataclass
class Poll:
    done: float  # time.monotonic() when the answer was read
    seen: bool
    status: int
    port: int  # the client side's port
    connection: Connection
    worker: int = 0


def worker_of_ports(server_port: int, client_ports: set[int], workers: list[int]) -> dict[int, int]:
    """Which worker holds the server side of each connection from `client_ports`."""
    inodes: dict[str, int] = {}
    with open("/proc/net/tcp") as table:
        for line in table.read().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = _port(fields[1]), _port(fields[2]), fields[9]
            if local == server_port and remote in client_ports and inode != "0":
                inodes[f"socket:[{inode}]"] = remote
    found: dict[int, int] = {}
    for worker in workers:
        for fd in os.listdir(f"/proc/{worker}/fd"):
            try:
                target = os.readlink(f"/proc/{worker}/fd/{fd}")
            except OSError:
                continue
            if target in inodes:
                found[inodes[target]] = worker
    return found


def _port(address: str) -> int:
    """The port of an address of /proc/net/tcp ("0100007F:1F90")."""
    return int(address.split(":")[1], 16)


def reached_all(polls: list[Poll], workers: list[int], written: float) -> float | None:
    """Seconds from the write to the moment every worker answers it for good, if that came."""
    latest = 0.0
    for worker in workers:
        mine = [poll for poll in polls if poll.worker == worker]
        since = None
        for poll in mine:
            since = (since or poll.done) if poll.seen else None
        if since is None:
            return None
        latest = max(latest, since - written)
    return latest


async def write(server: Server, kind: str, marker: str, proposal: int) -> None:
    if kind == "comment":
        path, token = f"/api/v1/proposals/{proposal}/comments", server.secrets["reader_token"]
        body: dict = {"body": f"Mesure de propagation {marker}."}
    else:
        path, token = f"/api/v1/frameworks/{SLUG}/proposals", server.secrets["author_token"]
        body = {
            "kind": "amend",
            "base_version": "latest",
            "title": f"Propagation {marker}",
            "indicator": "REC-1",
            "rationale": "Mesure de propagation.",
            "content": {"statement": f"Énoncé {marker}."},
        }
    headers = (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"))
    connection = Connection(server.port)
    try:
        answer = await connection.send(Request("POST", path, headers, json.dumps(body).encode()))
    finally:
        await connection.close()
    if answer.status != 201:
        raise RuntimeError(f"the write {path} answered {answer.status}: {answer.body[:300]!r}")


class Watch:
    """The polls that follow one write, by `pollers` tasks at once (so that a worker busy reading the
    page again does not hide another worker's answers), until every worker answers the write."""

    def __init__(self, server: Server, page: str, marker: str, written: float) -> None:
        self.server, self.page, self.marker, self.written = server, page, marker.encode(), written
        self.workers = server.workers()
        self.polls: list[Poll] = []
        self.unresolved: list[Poll] = []
        self.latency: float | None = None

    async def poll(self) -> None:
        while self.latency is None and time.monotonic() - self.written < TIMEOUT:
            connection = Connection(self.server.port)
            await connection.open()
            answer = await connection.send(Request("GET", self.page))
            if self.latency is not None:  # another poller saw the end meanwhile
                connection.abandon()
                return
            seen = self.marker in answer.body
            poll = Poll(time.monotonic(), seen, answer.status, connection.local_port(), connection)
            self.polls.append(poll)
            self.unresolved.append(poll)
            self.look()

    def look(self) -> None:
        """Which worker answered each open poll, when the last answers all show the write (or too
        many connections are open); then, whether every worker answers it. Never awaits."""
        streak = len(self.polls) >= CONSECUTIVE and all(p.seen for p in self.polls[-CONSECUTIVE:])
        if not (streak or len(self.unresolved) >= RESOLVE_EVERY):
            return
        owners = worker_of_ports(self.server.port, {p.port for p in self.unresolved}, self.workers)
        for p in self.unresolved:
            p.worker = owners.get(p.port, 0)
            p.connection.abandon()
        self.unresolved.clear()
        if streak:
            self.latency = reached_all(self.polls, self.workers, self.written)


async def one_write(server: Server, kind: str, proposal: int, pollers: int) -> dict[str, float | int]:
    page = f"/proposals/{proposal}" if kind == "comment" else "/proposals"
    await warm(server, page)
    marker = f"bench-{secrets.token_hex(6)}"
    started = time.monotonic()
    await write(server, kind, marker, proposal)
    watch = Watch(server, page, marker, time.monotonic())
    try:
        await asyncio.gather(*(watch.poll() for _ in range(pollers)))
    finally:
        for p in watch.unresolved:
            p.connection.abandon()
    if watch.latency is None:
        raise RuntimeError(f"{kind} {marker}: not answered by every worker within {TIMEOUT:.0f} s")
    polls = watch.polls
    return {
        "write_ms": (watch.written - started) * 1000,
        "first_ms": (min(p.done for p in polls if p.seen) - watch.written) * 1000,
        "all_ms": watch.latency * 1000,
        "polls": len(polls),
        "stale": sum(not p.seen for p in polls),  # answers still without the write
        "non_200": sum(p.status != 200 for p in polls),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


async def warm(server: Server, page: str, times: int = 20) -> None:
    """Ask for the page on fresh connections, so that every worker has it cached before a write."""
    for _ in range(times):
        connection = Connection(server.port)
        try:
            await connection.send(Request("GET", page))
        finally:
            await connection.close()


def run(server: Server, args: argparse.Namespace) -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for kind in args.writes_of:
        samples = []
        for number in range(args.writes):
            # A proposal's page shows its first 50 comments: the next proposal takes the next 40.
            proposal = args.proposal + number // COMMENTS_EACH
            sample = asyncio.run(one_write(server, kind, proposal, args.pollers))
            samples.append({"number": number, **sample})
            server.check_alive(f"propagation {kind} {number}")
            time.sleep(args.pause)
        summary: dict[str, float] = {"writes": len(samples)}
        for name in ("write_ms", "first_ms", "all_ms"):
            values = [float(s[name]) for s in samples]
            summary[f"{name}_p50"] = statistics.median(values)
            summary[f"{name}_p99"] = percentile(values, 0.99)
            summary[f"{name}_max"] = max(values)
        summary["polls_mean"] = statistics.mean(float(s["polls"]) for s in samples)
        summary["stale_mean"] = statistics.mean(float(s["stale"]) for s in samples)
        summary["non_200_polls"] = sum(float(s["non_200"]) for s in samples)
        slowest = sorted(samples, key=lambda s: -float(s["write_ms"]))[:3]
        slowest_ms = ", ".join(f"#{s['number']} {float(s['write_ms']):.0f} ms" for s in slowest)
        print(f"bench: {kind}: slowest writes: {slowest_ms}", file=sys.stderr)
        results[kind] = {**summary, "samples": samples}
    workers = len(server.workers())
    print(f"\npropagation with {workers} worker(s): ms after the write's answer (p50 / p99 / max)")
    labels = (("write itself", "write_ms"), ("first worker", "first_ms"), ("every worker", "all_ms"))
    for kind, s in results.items():
        line = "  ".join(
            f"{label} {s[name + '_p50']:.1f} / {s[name + '_p99']:.1f} / {s[name + '_max']:.1f}"
            for label, name in labels
        )
        polls = f"{s['polls_mean']:.0f} polls per write ({s['stale_mean']:.1f} stale)"
        polls += f", non-200 answers {s['non_200_polls']:.0f}"
        print(f"{kind:<8} x{int(s['writes'])}: {line}; {polls}")
    return results
