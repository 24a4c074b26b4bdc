"""How the cost of reading grows with the data: the same addresses measured with wrk at each size of
the database (bench/growth_data.py: N proposals, 10 ballots and 5 comments each), on SQLite and on
PostgreSQL, with `referentiel serve --workers 2`. Loopback only; run by hand (bench/README.md).

    .venv/bin/python bench/growth.py [--sizes 1000 100000] [--engines sqlite postgres]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench] [--duration 5]

Prints, for each engine, each address's first answer after the start (cold, ms), p50 and requests/s
at each size (wrk asks the same address again and again: mostly what the caches answer), the median
time of 20 API pages that no cache has (by number near the end, and by `next` cursor),
the ratio of the largest size's p50 to the smallest's (goal <= 1.3), and the API list's requests/s
over /healthz's at the largest size (goal >= 0.15).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from serving import HEALTH, Server, fetch, served
from wrkrun import Result, run_wrk

RATIO_GOAL, API_GOAL = 1.3, 0.15
PER_PAGE = 20  # of the page and of the API by default


def addresses(proposals: int) -> dict[str, str]:
    """What is measured, by a name that does not depend on the size."""
    last = math.ceil(proposals / PER_PAGE)
    return {
        "healthz": HEALTH,
        "list, first page": "/proposals",
        "list, last page": f"/proposals?page={last}",
        "list, by status": "/proposals?status=withdrawn",
        "list, by theme": "/proposals?theme=SEL",
        "a proposal": f"/proposals/{proposals // 2}",
        "API list, first page": "/api/v1/proposals",
        "API list, last page": f"/api/v1/proposals?page={last}",
    }


def walks(server: Server, proposals: int) -> dict[str, Result]:
    """What a page costs when no cache has it: the median time of 20 pages each asked once (one
    connection, one at a time), by number near the end of the API list, and by its `next` links."""
    last = math.ceil(proposals / PER_PAGE)
    api = server.base + "/api/v1/proposals"
    found: dict[str, Result] = {}
    timings = []
    for number in range(max(2, last - 19), last + 1):
        started = time.monotonic()
        fetch(f"{api}?page={number}")
        timings.append((time.monotonic() - started) * 1000)
    found["API list, 20 last pages by number, each once"] = {"median_ms": statistics.median(timings)}
    with urllib.request.urlopen(api, timeout=60) as response:
        following = json.loads(response.read()).get("next")
    timings = []
    while following and len(timings) < 20:  # the cursors of this branch (absent before)
        started = time.monotonic()
        with urllib.request.urlopen(following, timeout=60) as response:
            following = json.loads(response.read())["next"]
        timings.append((time.monotonic() - started) * 1000)
    if timings:
        found["API list, 20 next pages by cursor, each once"] = {"median_ms": statistics.median(timings)}
    return found


def measure(server: Server, proposals: int, args: argparse.Namespace) -> dict[str, Result]:
    results: dict[str, Result] = {}
    for name, path in addresses(proposals).items():
        started = time.monotonic()
        status, size = fetch(server.base + path, timeout=60.0)
        cold = (time.monotonic() - started) * 1000
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        wrk = run_wrk(server.base + path, {}, threads=2, connections=args.connections, duration=args.duration)
        results[name] = {"path": path, "cold_ms": cold, "bytes": size, **wrk}
        print(
            f"bench: {proposals} proposals, {path}: cold {cold:.0f} ms, p50 {wrk['p50_ms']} ms",
            file=sys.stderr,
        )
        server.check_alive(path)
    return {**results, **walks(server, proposals)}


def print_table(engine: str, by_size: dict[int, dict[str, Result]]) -> None:
    sizes = sorted(by_size)
    small, large = by_size[sizes[0]], by_size[sizes[-1]]
    heads = "".join(f"  {f'{n:,} cold / p50 ms / req/s':>30}" for n in sizes)
    print(f"\n{engine}\n{'address':<22}{heads}  {'p50 ratio':>9}")
    for name in (name for name in small if "median_ms" in small[name] and name in large):
        cells = "".join(f"  {by_size[n][name]['median_ms']:>30.2f}" for n in sizes)
        ratio = float(large[name]["median_ms"]) / max(float(small[name]["median_ms"]), 0.001)
        print(f"{name}\n{'':<22}{cells}  {ratio:>9.2f} {'ok' if ratio <= RATIO_GOAL else 'MISS'}")
    for name in (name for name in small if "median_ms" not in small[name]):
        cells = "".join(
            f"  {r['cold_ms']:>10.1f} / {r['p50_ms']:>6.2f} / {r['rps']:>7.0f}"
            for r in (by_size[n][name] for n in sizes)
        )
        ratio = float(large[name]["p50_ms"]) / max(float(small[name]["p50_ms"]), 0.001)
        verdict = "" if name == "healthz" else ("ok" if ratio <= RATIO_GOAL else "MISS")
        errors = sum(int(by_size[n][name]["non_2xx_3xx"]) for n in sizes)
        print(f"{name:<22}{cells}  {ratio:>9.2f} {verdict}" + (f"  non-2xx: {errors}" if errors else ""))
    for name in ("API list, first page", "API list, last page"):
        share = float(large[name]["rps"]) / max(float(large["healthz"]["rps"]), 1.0)
        verdict = "ok" if share >= API_GOAL else "MISS"
        print(f"{name} / healthz at {sizes[-1]:,}: {share:.2f} ({verdict}, goal >= {API_GOAL})")


def main() -> int:
    parser = argparse.ArgumentParser(description="Growth runs of referentiel serve (127.0.0.1 only).")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000], help="proposals")
    parser.add_argument(
        "--engines", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/bench", help="PostgreSQL, recreated"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (2 threads)")
    parser.add_argument("--duration", type=int, default=5, help="wrk seconds per address")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian: apt-get install -y wrk).", file=sys.stderr)
        return 2
    report: dict[str, dict[int, dict[str, Result]]] = {}
    for engine in args.engines:
        url = args.database_url if engine == "postgres" else None
        report[engine] = {}
        for size in sorted(args.sizes):
            try:
                seed_arguments = ("--proposals", str(size))
                with served(
                    args.workers, url, recreate=url is not None, seed_script="growth_data.py",
                    seed_arguments=seed_arguments,
                ) as server:
                    report[engine][size] = measure(server, size, args)
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                print(f"bench: {error}", file=sys.stderr)
                return 1
        print_table(engine, report[engine])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
