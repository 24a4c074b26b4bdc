"""Scenario "memory": each worker's resident memory over time, under floods of distinct requests.

A flood asks for every address a crawler (or an attacker) can make the caches keep: every page of the
release (HTML, downloads, API), every indicator, proposals 1..1000 (page, API, comments), the list's
pages 1..50, in French and English, signed out and signed in; and aliases of the proposal pages
(/proposals/01, /proposals/001, /proposals/1/...), which name the same page at another address, so
that the response cache gets more distinct entries than its bound. Every request names a random Host,
and one in two carries a random query string: neither names anything an answer depends on.
With --big-framework N (bench/run.py), bench/seed.py adds a framework of N indicators published as
--big-releases releases, and the flood also asks for every page of every one of its releases (the
release in HTML, downloads and API, the comparison with the one before, each indicator as in that
release), each in one viewer's variant drawn at random.

A thread reads each worker's VmRSS every --sample-every seconds; the table shows them over time. The
workers' peak (VmHWM) should stay under the documented ceiling (bench/README.md, "memory"): 300 MiB,
their footprint after warm-up (about 95 MiB) plus the caches' byte caps (server/app.py: 64 + 32 + 64
MiB) plus what the allocator keeps beyond what the caches count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import threading
import time
import urllib.request
from collections import Counter

from rawhttp import Connection, Request
from serving import Server, memory_kib

SLUG = "qualite-mentorat"
RELEASE = "1.0.0"
CAPS_MIB = 64 + 32 + 64  # RESPONSES_MAX, READS_MAX, RELEASES_MAX (server/app.py)
CEILING_MIB = 300  # per worker, documented in bench/README.md
PROPOSALS = 1000
LIST_PAGES = 50
REOPEN_EVERY = 50  # requests per connection before a new one (so both workers take a share)
VARIANTS = [(language, signed_in) for language in ("fr", "en") for signed_in in (False, True)]


def indicator_codes(server: Server, slug: str = SLUG, release: str = RELEASE) -> list[str]:
    url = f"{server.base}/api/v1/frameworks/{slug}/releases/{release}"
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


def big_framework_paths(server: Server) -> list[str]:
    """Every page of every release of the big framework (bench/seed.py --big-framework), if seeded."""
    big = server.secrets.get("big_framework")
    if big is None:
        return []
    slug, versions = big["slug"], [f"1.{minor}.0" for minor in range(len(big["publish_seconds"]))]
    framework = f"/frameworks/{slug}"
    paths = [f"/api/v1{framework}/releases", f"{framework}/releases"]
    for previous, version in zip([None, *versions], versions, strict=False):
        paths += [f"{framework}/releases/{version}{suffix}" for suffix in ("", ".json", ".csv", ".md")]
        paths += [f"/api/v1{framework}/releases/{version}"]
        paths += [f"{framework}/compare/{previous}...{version}"] if previous else []
        paths += [
            f"{framework}/releases/{version}/indicators/{code}"
            for code in indicator_codes(server, slug, version)
        ]
    return paths


def request(path: str, language: str, cookie: str | None, randomly: random.Random) -> Request:
    """A GET with a random Host, and one time in two a random query string."""
    query = f"utm_source={randomly.getrandbits(64):x}" if randomly.random() < 0.5 else ""
    target = f"{path}{'&' if '?' in path else '?'}{query}" if query else path
    headers = [("Accept-Language", language)] + ([("Cookie", cookie)] if cookie else [])
    return Request("GET", target, tuple(headers), host=f"host-{randomly.getrandbits(32):x}.invalid")


def flood_requests(cookie: str, codes: list[str], big: list[str], randomly: random.Random) -> list[Request]:
    paths, aliases = flood_paths(codes)
    requests = []
    for language, signed_in in VARIANTS:
        requests += [request(path, language, cookie if signed_in else None, randomly) for path in paths]
        if not signed_in:
            requests += [request(path, language, None, randomly) for path in aliases]
    for path in big:  # a thousand times more addresses: each in one variant
        language, signed_in = randomly.choice(VARIANTS)
        requests.append(request(path, language, cookie if signed_in else None, randomly))
    randomly.shuffle(requests)
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


class Sampler(threading.Thread):
    """Each worker's VmRSS every `every` seconds, with the seconds since it started."""

    def __init__(self, server: Server, every: float) -> None:
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.began = time.monotonic()
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append((time.monotonic() - self.began, rss_mib(self.server)))


def run(server: Server, args: argparse.Namespace) -> dict[str, object]:
    readings: dict[str, dict[int, float]] = {"started": rss_mib(server)}
    cookie = (("Cookie", server.cookie["Cookie"]),)
    warm = [Request("GET", p) for p in ("/", f"/frameworks/{SLUG}/releases/{RELEASE}", "/proposals/1")]
    warm += [Request("GET", "/proposals")]
    warm += [Request("GET", p, cookie) for p in ("/proposals/1", "/proposals")]
    asyncio.run(send_all(server.port, warm * 50, args.flood_concurrency))
    readings["warm"] = rss_mib(server)
    randomly = random.Random(15)
    codes, big = indicator_codes(server), big_framework_paths(server)
    sampler = Sampler(server, args.sample_every)
    sampler.start()
    statuses: Counter[int] = Counter()
    for number in range(1, args.flood_passes + 1):
        requests = flood_requests(cookie[0][1], codes, big, randomly)  # new hosts and queries each time
        began = time.monotonic()
        statuses += asyncio.run(send_all(server.port, requests, args.flood_concurrency))
        server.check_alive(f"flood {number}")
        readings[f"flood {number}"] = rss_mib(server)
        took = time.monotonic() - began
        print(f"bench: flood {number}: {len(requests)} requests in {took:.0f} s", file=sys.stderr)
    sampler.done.set()
    sampler.join()
    peak = {pid: memory_kib(pid)["VmHWM"] / 1024 for pid in server.workers()}
    caps = {pid: base + CAPS_MIB for pid, base in readings["warm"].items()}
    workers = server.workers()
    print(f"\nworker VmRSS (MiB) over time, every {args.sample_every:g} s of the floods")
    print(f"{'seconds':>8}  " + "  ".join(f"{pid:>9}" for pid in workers))
    for seconds, sample in sampler.samples:
        print(f"{seconds:>8.0f}  " + "  ".join(f"{sample.get(pid, 0):>9.1f}" for pid in workers))
    print(f"\nworker VmRSS (MiB); warm+caps: after warm-up + {CAPS_MIB} MiB; ceiling {CEILING_MIB} MiB")
    print(f"{'worker':>8}  " + "  ".join(f"{name:>9}" for name in readings) + "  peak(HWM)  warm+caps  holds")
    for pid in workers:
        cells = "  ".join(f"{reading.get(pid, 0):>9.1f}" for reading in readings.values())
        holds = "yes" if peak[pid] <= CEILING_MIB else "NO"
        print(f"{pid:>8}  {cells}  {peak[pid]:>9.1f}  {caps[pid]:>9.1f}  {holds}")
    print(f"flood statuses: {dict(sorted(statuses.items()))}")
    return {
        "rss_mib": readings,
        "peak_mib": peak,
        "ceiling_mib": CEILING_MIB,
        "warm_plus_caps_mib": caps,
        "statuses": dict(statuses),
        "samples": sampler.samples,
    }
