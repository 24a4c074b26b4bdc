"""Measure `referentiel serve` on loopback only: pages with wrk, pages under junk, the propagation of
writes between workers, and the workers' memory (see bench/README.md).

Run by hand (never from the tests):  .venv/bin/python bench/run.py [--scenario pages|junk|propagation|memory]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import memory
import propagation
import under_junk
from serving import HEALTH, HOST, ROOT, Server, fetch, served
from wrkrun import Result, run_wrk

SIGNED_IN = under_junk.SIGNED_IN  # prefix of a path requested with the seeded reader's session cookie
DEFAULT_URLS = [
    HEALTH,
    "/",
    "/api/v1/frameworks/qualite-mentorat/releases/1.0.0",
    "/frameworks/qualite-mentorat/releases/1.0.0/indicators/REC-1",
    "/proposals/1",  # 50 comments (bench/seed.py)
    "/proposals",  # the list of 1,000 proposals
    # The same two for a signed-in reader: made for them at each request, never shared.
    f"{SIGNED_IN}/proposals/1",
    f"{SIGNED_IN}/proposals",
    f"{SIGNED_IN}/assessments/1",  # a submitted self-assessment of every indicator, for its admin
]
PUBLISHED_GOAL, SIGNED_IN_GOAL = 0.8, 0.15  # of /healthz requests/s
SCENARIOS = ["pages", "junk", "propagation", "memory"]
APPLICATION = ["server", "web", "places", "indicators", "proposals", "programmes", "templates", "static"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark referentiel serve (127.0.0.1 only).")
    parser.add_argument("--scenario", choices=SCENARIOS, default="pages", help="default pages")
    parser.add_argument("--workers", type=int, default=1, help="granian workers (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--duration", type=int, default=10, help="wrk seconds per URL (default 10)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument(
        "--recreate-database", action="store_true", help="drop and create --database-url (PostgreSQL)"
    )
    parser.add_argument("--urls", nargs="+", help="paths to measure (pages, junk), each starting with /")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log)")
    junk = parser.add_argument_group("junk")
    junk.add_argument("--junk-rate", type=float, default=500.0, help="junk requests/s (default 500)")
    junk.add_argument("--rounds", type=int, default=1, help="alone/GETs/POSTs in turn, N times (default 1)")
    junk.add_argument(
        "--junk-extra",
        nargs="*",
        choices=["cookies"],
        default=[],
        help="also measure under GETs of real pages with unknown session cookies",
    )
    junk.add_argument("--junk-connections", type=int, default=16, help="its connections (default 16)")
    writes = parser.add_argument_group("propagation")
    writes.add_argument("--writes", type=int, default=50, help="writes of each kind (default 50)")
    writes.add_argument(
        "--writes-of",
        nargs="+",
        choices=["comment", "proposal"],
        default=["comment", "proposal"],
        help="comments on --proposal (its page is polled), new proposals (the list is polled)",
    )
    writes.add_argument("--proposal", type=int, default=2, help="the proposal commented on (default 2)")
    writes.add_argument("--pollers", type=int, default=2, help="concurrent pollers (default 2)")
    writes.add_argument("--pause", type=float, default=0.2, help="seconds between writes (default 0.2)")
    flood = parser.add_argument_group("memory")
    flood.add_argument("--flood-passes", type=int, default=2, help="floods of every address (default 2)")
    flood.add_argument("--flood-concurrency", type=int, default=8, help="connections flooding (default 8)")
    flood.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS readings (5)")
    flood.add_argument(
        "--big-framework", type=int, default=0, metavar="N", help="also a framework of N indicators"
    )
    flood.add_argument("--big-releases", type=int, default=10, help="its releases (default 10)")
    args = parser.parse_args(argv)
    for path in args.urls or []:
        if not path.removeprefix(SIGNED_IN).startswith("/"):
            parser.error(f"--urls takes paths such as /healthz, not {path!r}: only {HOST} is targeted")
    counts = ("workers", "threads", "connections", "duration", "writes", "pollers", "rounds", "flood_passes")
    for name in counts:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def wrk_settings(args: argparse.Namespace) -> dict[str, int]:
    return {"threads": args.threads, "connections": args.connections, "duration": args.duration}


def measure_pages(server: Server, args: argparse.Namespace) -> dict[str, Result]:
    paths = list(dict.fromkeys([HEALTH, *(args.urls or DEFAULT_URLS)]))  # /healthz first: the ceiling
    results: dict[str, Result] = {}
    for path in paths:
        headers = server.cookie if path.startswith(SIGNED_IN) else {}
        url = server.base + path.removeprefix(SIGNED_IN)
        status, size = fetch(url, timeout=30.0, headers=headers)  # warm-up
        print(f"bench: warm-up {path} -> {status}, {size} bytes; measuring...", file=sys.stderr)
        wrk = run_wrk(url, headers, **wrk_settings(args))
        results[path] = {"warmup_status": status, "bytes": size, **wrk}
        server.check_alive(path)
    print_table(results)
    return results


def print_table(results: dict[str, Result]) -> None:
    base_rps = float(results[HEALTH]["rps"]) or 1.0
    width = max(len(path) for path in results)
    print(f"\n{'URL':<{width}}  {'req/s':>10}  {'p50 ms':>8}  {'p99 ms':>8}  {'ratio':>6}  goal    non-2xx")
    for path, r in results.items():
        ratio = float(r["rps"]) / base_rps
        goal = SIGNED_IN_GOAL if path.startswith(SIGNED_IN) else PUBLISHED_GOAL
        verdict = "" if path == HEALTH else f"{'ok' if ratio >= goal else 'MISS'} {goal:g}"
        print(
            f"{path:<{width}}  {r['rps']:>10.1f}  {r['p50_ms']:>8.2f}  {r['p99_ms']:>8.2f}  "
            f"{ratio:>6.3f}  {verdict:<6}  {r['non_2xx_3xx']}"
            + (f"  (socket errors: {r['socket_errors']})" if r["socket_errors"] else "")
        )


def code_version() -> str:
    """The commit measured, and whether the application's files differ from it."""
    git = ["git", "-C", str(ROOT)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", *APPLICATION],
            capture_output=True,
            text=True,
        ).stdout
    except OSError:
        return f"unknown ({ROOT})"
    if not head.strip():
        return f"{ROOT} (not a git work tree)"
    return head.strip() + (f" + {len(changed.splitlines())} changed file(s)" if changed.strip() else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scenario in ("pages", "junk") and shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian: apt-get install -y wrk).", file=sys.stderr)
        return 2
    run = {
        "pages": measure_pages,
        "junk": under_junk.run,
        "propagation": propagation.run,
        "memory": memory.run,
    }[args.scenario]
    load_before = os.getloadavg()
    try:
        recreate, keep = args.recreate_database, args.keep
        seed = ["--big-framework", str(args.big_framework), "--releases", str(args.big_releases)]
        with served(args.workers, args.database_url, recreate=recreate, keep=keep, seed_args=seed) as server:
            results = run(server, args)
    except (RuntimeError, OSError, ValueError, EOFError, subprocess.SubprocessError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    load = {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count(), "code": code_version()}
    before, after = (" ".join(f"{v:.2f}" for v in loads) for loads in (load_before, load["after"]))
    print(
        f"machine: {load['cpus']} CPUs shared by the server, wrk and any sender; "
        f"load average (1, 5, 15 min) {before} before, {after} after; code {load['code']}"
    )
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("json",)}
        report = {"settings": settings, "machine": load, "results": results}
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
