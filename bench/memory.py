"""Scenario "memory": each worker's resident memory after warm-up and after floods of distinct addresses.

A flood asks for every address a crawler (or an attacker) can make the caches keep: every page of the
release (HTML, downloads, API), every indicator, proposals 1..1000 (page, API, comments), the list's
pages 1..50, in French and English, signed out and signed in; and aliases of the proposal pages
(/proposals/01, /proposals/001, /proposals/1/...), which name the same page at another address, so
that the response cache gets more distinct entries than its bound. The workers' VmRSS should stay
under the documented ceiling: their footprint after warm-up plus the caches' byte caps (server/app.py:
64 + 32 + 64 MiB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
from collections import Counter

from rawhttp import Connection, Request
from serving import Server, memory_kib

SLUG = "qualite-mentorat"
RELEASE = "1.0.0"
CAPS_MIB = 64 + 32 + 64  # RESPONSES_MAX, READS_MAX, RELEASES_MAX (server/app.py)
PROPOSALS = 1000
LIST_PAGES = 50
REOPEN_EVERY = 50  # requests per connection before a new one (so both workers take a share)


def indicator_codes(server: Server) -> list[str]:
    url = f"{server.base}/api/v1/frameworks/{SLUG}/releases/{RELEASE}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        release = json.load(answer)
    return [indicator["code"] for theme in release["themes"] for indicator in theme["indicators"]]


def flood_paths(codes: list[str]) -> tuple[list[str], list[str]]:
    """Addresses for every viewer, and aliases (asked signed out only)."""
    framework = f"/frameworks/{SLUG}"
    paths = ["/", framework, f"{framework}/releases", f"{framework}/releases.atom", "/api/v1/frameworks"]
    paths += [f"/api/v1{framework}/releases", f"{framework}/compare/{RELEASE}...latest"]
    for version in (RELEASE, "latest"):
        paths += [f"{framework}/releases/{version}{suffix}" for suffix in ("", ".json", ".csv", ".md")]
        paths += [f"/api/v1{framework}/releases/{version}"]
        paths += [f"{framework}/releases/{version}/indicators/{code}" for code in codes]
    paths += [f"{framework}/indicators/{code}" for code in codes]
    paths += [f"/api/v1{framework}/indicators/{code}/revisions" for code in codes]
    for number in range(1, PROPOSALS + 1):
        paths += [f"/proposals/{number}", f"/api/v1/proposals/{number}"]
        paths += [f"/api/v1/proposals/{number}/comments"]
    paths += [f"/proposals?page={page}" for page in range(1, LIST_PAGES + 1)]
    paths += [f"/api/v1/proposals?page={page}" for page in range(1, LIST_PAGES + 1)]
    aliases = [f"/proposals/{zeros}{n}" for zeros in ("0", "00", "000") for n in range(1, PROPOSALS + 1)]
    aliases += [f"/proposals/{n}/" for n in range(1, PROPOSALS + 1)]
    return paths, aliases


def flood_requests(cookie: str, codes: list[str]) -> list[Request]:
    paths, aliases = flood_paths(codes)
    requests = []
    for language in ("fr", "en"):
        for signed_in in (False, True):
            headers = [("Accept-Language", language)] + ([("Cookie", cookie)] if signed_in else [])
            requests += [Request("GET", path, tuple(headers)) for path in paths]
        requests += [Request("GET", path, (("Accept-Language", language),)) for path in aliases]
    return requests


async def send_all(port: int, requests: list[Request], concurrency: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    queue = iter(requests)

    async def sender() -> None:
        connection = Connection(port)
        for count, request in enumerate(queue):
            if count % REOPEN_EVERY == 0:
                await connection.close()
            statuses[(await connection.send(request, read_body=False)).status] += 1
        await connection.close()

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return statuses


def rss_mib(server: Server) -> dict[int, float]:
    return {pid: memory_kib(pid)["VmRSS"] / 1024 for pid in server.workers()}


def run(server: Server, args: argparse.Namespace) -> dict[str, object]:
    readings: dict[str, dict[int, float]] = {"started": rss_mib(server)}
    cookie = (("Cookie", server.cookie["Cookie"]),)
    warm = [Request("GET", p) for p in ("/", f"/frameworks/{SLUG}/releases/{RELEASE}", "/proposals/1")]
    warm += [Request("GET", "/proposals")]
    warm += [Request("GET", p, cookie) for p in ("/proposals/1", "/proposals")]
    asyncio.run(send_all(server.port, warm * 50, args.flood_concurrency))
    readings["warm"] = rss_mib(server)
    requests = flood_requests(cookie[0][1], indicator_codes(server))
    statuses: Counter[int] = Counter()
    for number in range(1, args.flood_passes + 1):
        began = time.monotonic()
        statuses += asyncio.run(send_all(server.port, requests, args.flood_concurrency))
        server.check_alive(f"flood {number}")
        readings[f"flood {number}"] = rss_mib(server)
        took = time.monotonic() - began
        print(f"bench: flood {number}: {len(requests)} requests in {took:.0f} s", file=sys.stderr)
    peak = {pid: memory_kib(pid)["VmHWM"] / 1024 for pid in server.workers()}
    ceiling = {pid: base + CAPS_MIB for pid, base in readings["warm"].items()}
    print(f"\nworker VmRSS (MiB); ceiling = after warm-up + {CAPS_MIB} MiB of cache caps")
    print(f"{'worker':>8}  " + "  ".join(f"{name:>9}" for name in readings) + "  peak(HWM)  ceiling  holds")
    for pid in server.workers():
        cells = "  ".join(f"{reading.get(pid, 0):>9.1f}" for reading in readings.values())
        holds = "yes" if peak[pid] <= ceiling[pid] else "NO"
        print(f"{pid:>8}  {cells}  {peak[pid]:>9.1f}  {ceiling[pid]:>7.1f}  {holds}")
    print(f"flood statuses: {dict(sorted(statuses.items()))}")
    return {"rss_mib": readings, "peak_mib": peak, "ceiling_mib": ceiling, "statuses": dict(statuses)}
