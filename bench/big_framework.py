"""A framework of 1,000 indicators and 100 releases: what publishing, comparing, rendering and verifying
cost (issue 15, "Growth that stays flat").

bench/seed.py builds it through the app's own publish_release (each publication timed: the first
release holds every indicator, each later one amends one). Then, `referentiel serve` with one worker is
restarted before each address, so that every figure is a cold answer (the first request after a
restart: nothing cached in memory); the same address asked again gives the warm one. Since the
machine is shared, the worker's CPU time for the cold answer is shown beside its duration
(/proc/PID/stat, in ticks of 10 ms), and the publications' CPU time beside theirs.
Last, `referentiel verify` is timed. Run by hand:

    .venv/bin/python bench/big_framework.py [--database-url postgresql://... --recreate-database]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from serving import VENV_BIN, Server, fetch, restart, served
from under_junk import cpu_seconds

GOALS = {"publish": 0.5, "compare": 0.2, "release page": 0.2, "verify": 30.0}  # seconds


def addresses(slug: str, releases: int) -> list[tuple[str, str]]:
    """(what, path) of each cold answer measured."""
    last, middle = f"1.{releases - 1}.0", f"1.{releases // 2}.0"
    before_middle = f"1.{releases // 2 - 1}.0"
    framework = f"/frameworks/{slug}"
    return [
        ("release page", f"{framework}/releases/{middle}"),
        ("release page", f"{framework}/releases/latest"),
        ("compare", f"{framework}/compare/{before_middle}...{middle}"),
        ("compare", f"{framework}/compare/1.0.0...{last}"),
        ("compare", f"/api/v1{framework}/compare/{before_middle}...{middle}"),
        ("compare", f"/api/v1{framework}/compare/1.0.0...{last}"),
    ]


def timed_fetch(url: str) -> tuple[float, int, int]:
    began = time.perf_counter()
    status, size = fetch(url, timeout=60)
    return time.perf_counter() - began, status, size


def measure_cold(server: Server, slug: str, releases: int, rounds: int) -> list[dict]:
    rows = []
    for what, path in addresses(slug, releases):
        cold, cold_cpu, warm = [], [], []
        for _ in range(rounds):
            restart(server)
            cpu = cpu_seconds(server.workers())
            seconds, status, size = timed_fetch(server.base + path)
            cold_cpu.append(cpu_seconds(server.workers()) - cpu)
            cold.append(seconds)
            warm.append(timed_fetch(server.base + path)[0])
        rows.append(
            {
                "what": what,
                "path": path,
                "status": status,
                "bytes": size,
                "cold_s": cold,
                "cold_cpu_s": cold_cpu,
                "warm_s": warm,
            }
        )
        print(f"bench: {path}: cold {', '.join(f'{s:.3f}' for s in cold)} s", file=sys.stderr)
    return rows


def time_verify(server: Server) -> tuple[float, int, str]:
    began = time.perf_counter()
    result = subprocess.run(
        [str(VENV_BIN / "referentiel"), "verify"], env=server.env, capture_output=True, text=True
    )
    lines = [line for line in result.stderr.splitlines() if "release(s) checked" in line]
    return time.perf_counter() - began, result.returncode, lines[0] if lines else result.stderr[-500:]


def report(big: dict, rows: list[dict], verify: tuple[float, int, str]) -> None:
    median = statistics.median
    print(f"\npublish: first release {big['publish_seconds'][0]:.2f} s; the next ones amend one indicator:")
    for what in ("publish_seconds", "publish_cpu_seconds"):
        amends = big[what][1:]
        p90 = statistics.quantiles(amends, n=10)[-1]
        print(f"  {what}: p50 {median(amends):.3f}, p90 {p90:.3f}, max {max(amends):.3f}")
    print(f"  goal < {GOALS['publish']} s")
    header = f"{'address':<60} {'status':>6} {'KiB':>5} {'cold p50':>8} {'max':>6} {'cpu p50':>7} {'warm':>6}"
    print(f"\n{header}  goal")
    for row in rows:
        print(
            f"{row['path']:<60} {row['status']:>6} {row['bytes'] / 1024:>5.0f} {median(row['cold_s']):>8.3f} "
            f"{max(row['cold_s']):>6.3f} {median(row['cold_cpu_s']):>7.2f} {median(row['warm_s']):>6.3f}"
            f"  < {GOALS[row['what']]}"
        )
    seconds, status, line = verify
    print(f"\nreferentiel verify: {seconds:.1f} s, exit status {status} ({line}); goal < {GOALS['verify']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=1000)
    parser.add_argument("--releases", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="restarts per address (default 3)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--recreate-database", action="store_true", help="drop and create it first")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log)")
    args = parser.parse_args(argv)
    seed_args = ["--proposals", "1", "--big-framework", str(args.indicators)]
    seed_args += ["--releases", str(args.releases)]
    with served(
        1, args.database_url, recreate=args.recreate_database, keep=args.keep, seed_arguments=seed_args
    ) as server:
        big = server.secrets["big_framework"]
        rows = measure_cold(server, big["slug"], args.releases, args.rounds)
        verify = time_verify(server)
    report(big, rows, verify)
    if args.json:
        results = {**big, "addresses": rows, "verify_s": verify[0]}
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if verify[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
