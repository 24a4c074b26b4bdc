"""Scenario "junk": pages measured by wrk while bench/junk.py sends junk at a steady rate.

Each page is measured alone, under junk GETs (what the junk costs by itself) and under refused
POSTs, --rounds times in turn (the median round is shown). The goal: rate under POSTs >= 0.8 x rate
under GETs (a refused request changes nothing, so it must empty no cache).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from junk import rate_between
from serving import Server, fetch
from wrkrun import Result, run_wrk

SIGNED_IN = "signed-in:"  # prefix of a path requested with the seeded reader's session cookie
PAGES = ["/proposals/1", "/proposals", f"{SIGNED_IN}/proposals/1"]
LEAD_IN = 1.5  # seconds of junk before wrk starts: the sender is at its rate when measuring begins
GOAL = 0.8


def measure_with_junk(
    server: Server, url: str, headers: dict[str, str], mode: str, args: argparse.Namespace
) -> Result:
    wrk = {"threads": args.threads, "connections": args.connections, "duration": args.duration}
    if mode == "alone":
        return run_wrk(url, headers, **wrk)
    out = server.folder / f"junk-{mode}.json"
    command = [sys.executable, str(Path(__file__).with_name("junk.py")), "--port", str(server.port)]
    command += ["--kind", mode, "--rate", str(args.junk_rate), "--out", str(out)]
    command += ["--duration", str(LEAD_IN + args.duration + 1), "--connections", str(args.junk_connections)]
    sender = subprocess.Popen(command)
    try:
        time.sleep(LEAD_IN)
        start = time.monotonic()
        result = run_wrk(url, headers, **wrk)
        end = time.monotonic()
        sender.wait(timeout=args.duration + 30)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait()
    junk = json.loads(out.read_text())
    rate, statuses = rate_between(junk, start, end)
    missed = int(junk.get("missed", 0)) + int(junk.get("errors", 0))
    return {**result, "junk_rate": rate, "junk_statuses": json.dumps(statuses), "junk_missed": missed}


def run(server: Server, args: argparse.Namespace) -> dict[str, dict[str, Result]]:
    modes = ["alone", *dict.fromkeys(["gets", "posts", *args.junk_extra])]
    results: dict[str, dict[str, Result]] = {}
    for path in args.urls or PAGES:
        headers = server.cookie if path.startswith(SIGNED_IN) else {}
        url = server.base + path.removeprefix(SIGNED_IN)
        status, size = fetch(url, timeout=30.0, headers=headers)
        print(f"bench: warm-up {path} -> {status}, {size} bytes", file=sys.stderr)
        rounds: dict[str, list[Result]] = {mode: [] for mode in modes}
        for number in range(args.rounds):  # alternated, so that a busy moment of the machine hits all
            for mode in modes:
                print(f"bench: {path} {mode} (round {number + 1})...", file=sys.stderr)
                rounds[mode].append(measure_with_junk(server, url, headers, mode, args))
                server.check_alive(f"{path} {mode}")
        results[path] = {mode: median_of(measured) for mode, measured in rounds.items()}
    print_table(results, args.junk_rate)
    return results


def median_of(measured: list[Result]) -> Result:
    """The round of median requests/s (the lower one of an even count), with every round's rate."""
    ordered = sorted(measured, key=lambda r: float(r["rps"]))
    chosen = ordered[(len(ordered) - 1) // 2]
    return {**chosen, "rounds_rps": json.dumps([r["rps"] for r in measured])}


def print_table(results: dict[str, dict[str, Result]], asked: float) -> None:
    width = max(len(path) for path in results)
    modes = list(next(iter(results.values())))
    print(f"\njunk at {asked:g}/s; the page's req/s (p99 ms), alone and under each kind of junk")
    columns = "  ".join(f"{mode:>16}" for mode in modes)
    print(f"{'URL':<{width}}  {columns}  {'posts/gets':>10}  goal  junk/s achieved")
    for path, by_mode in results.items():
        cells = [f"{float(r['rps']):>8.1f} ({float(r['p99_ms']):>5.1f})" for r in by_mode.values()]
        ratio = float(by_mode["posts"]["rps"]) / (float(by_mode["gets"]["rps"]) or 1.0)
        junk = "/".join(f"{float(r['junk_rate']):.0f}" for mode, r in by_mode.items() if mode != "alone")
        verdict = "ok" if ratio >= GOAL else "MISS"
        print(f"{path:<{width}}  {'  '.join(cells)}  {ratio:>10.3f}  {verdict:<4}  {junk}")
    for path, by_mode in results.items():
        for mode, r in by_mode.items():
            line = f"  {path} {mode}: rounds {r['rounds_rps']} req/s"
            if mode != "alone":
                line += f"; junk statuses {r['junk_statuses']}, missed/errors {r['junk_missed']}"
            if r["non_2xx_3xx"]:
                line += f", page non-2xx {r['non_2xx_3xx']}"
            print(line)
