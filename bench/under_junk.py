"""Scenario "junk": pages measured by wrk while bench/junk.py sends junk at a steady rate.

Each page is measured alone, under junk GETs (what the junk costs by itself) and under refused
POSTs, --rounds times in turn (the median round is shown). The goal: rate under POSTs >= 0.8 x rate
under GETs (a refused request changes nothing, so it must empty no cache).
"""

from __future__ import annotations

import argparse
import json
import os
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


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (/proc/PID/stat, fields 14 and 15)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def start_sender(
    server: Server, mode: str, args: argparse.Namespace, seconds: float
) -> tuple[subprocess.Popen, Path]:
    out = server.folder / f"junk-{mode}.json"
    command = [sys.executable, str(Path(__file__).with_name("junk.py")), "--port", str(server.port)]
    command += ["--kind", mode, "--rate", str(args.junk_rate), "--out", str(out)]
    command += ["--duration", str(seconds), "--connections", str(args.junk_connections)]
    return subprocess.Popen(command), out


def finish_sender(sender: subprocess.Popen, out: Path, timeout: float) -> dict:
    try:
        sender.wait(timeout=timeout)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait()
    return json.loads(out.read_text())


def measure_with_junk(
    server: Server, url: str, headers: dict[str, str], mode: str, args: argparse.Namespace
) -> Result:
    wrk = {"threads": args.threads, "connections": args.connections, "duration": args.duration}
    workers = server.workers()
    if mode == "alone":
        cpu = cpu_seconds(workers)
        result = run_wrk(url, headers, **wrk)
        return {**result, "cpu_s": cpu_seconds(workers) - cpu}
    sender, out = start_sender(server, mode, args, LEAD_IN + args.duration + 1)
    try:
        time.sleep(LEAD_IN)
        cpu, start = cpu_seconds(workers), time.monotonic()
        result = run_wrk(url, headers, **wrk)
        end, cpu = time.monotonic(), cpu_seconds(workers) - cpu
    finally:
        junk = finish_sender(sender, out, args.duration + 30)
    rate, statuses = rate_between(junk, start, end)
    missed = int(junk.get("missed", 0)) + int(junk.get("errors", 0))
    return {
        **result,
        "cpu_s": cpu,
        "junk_rate": rate,
        "junk_statuses": json.dumps(statuses),
        "junk_missed": missed,
    }


def junk_cost(server: Server, mode: str, args: argparse.Namespace, seconds: float = 5.0) -> float:
    """The workers' CPU milliseconds per junk answer, the junk alone (no wrk) for `seconds`, less what
    they use when idle."""
    workers = server.workers()
    sender, out = start_sender(server, mode, args, seconds + 1)
    try:
        time.sleep(0.5)
        cpu, start = cpu_seconds(workers), time.monotonic()
        time.sleep(seconds)
        end, cpu = time.monotonic(), cpu_seconds(workers) - cpu
    finally:
        junk = finish_sender(sender, out, 30)
    answers = rate_between(junk, start, end)[0] * (end - start)
    return (cpu - idle_cpu_per_second(server) * (end - start)) * 1000 / max(answers, 1)


def idle_cpu_per_second(server: Server, seconds: float = 3.0) -> float:
    """What the workers use without any request (listening for changes, the decision loop...)."""
    workers = server.workers()
    cpu, start = cpu_seconds(workers), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(workers) - cpu) / (time.monotonic() - start)


def run(server: Server, args: argparse.Namespace) -> dict[str, object]:
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
    costs = {mode: junk_cost(server, mode, args) for mode in modes if mode != "alone"}
    print_table(results, args.junk_rate)
    pages = ", ".join(
        f"{path} {float(r['alone']['cpu_s']) * 1000 / max(int(r['alone']['requests']), 1):.3f}"
        for path, r in results.items()
    )
    print(f"workers' CPU ms per answer: page alone (under wrk): {pages}")
    print("  junk alone (no wrk): " + ", ".join(f"{mode} {cost:.3f}" for mode, cost in costs.items()))
    return {**results, "junk_cpu_ms": costs}


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
