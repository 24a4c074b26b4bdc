"""Send junk to the server at a steady rate, in its own process, while wrk measures a page.

    .venv/bin/python bench/junk.py --port P --kind posts --rate 500 --duration 12 --out junk.json

wrk cannot limit its rate, so this is an open-loop sender: request n is due at start + n / rate,
whatever the answers before it; due requests wait in a queue served by `--connections` keep-alive
connections (a request more than one second late is dropped and counted as missed). Every answer's
time (time.monotonic, the same clock in every process) and status go to `--out` as JSON, so that the
caller counts the rate actually achieved during its own measurement window (see rate_between).

Refused POSTs are what an anonymous client gets wrong (no CSRF token, no API token, wrong method,
unknown address); junk GETs are unknown addresses, what the same client costs without POSTing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

from rawhttp import Connection, Request

FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
JSON = (("Content-Type", "application/json"),)
KINDS = ["gets", "posts", "cookies"]


def junk_request(kind: str, n: int) -> Request:
    """The n-th request of a kind of junk ("posts", "gets" or "cookies"); expected statuses in comments."""
    if kind == "posts":
        return [
            Request("POST", "/proposals/1/comments", FORM, b"body=junk"),  # 403: no CSRF token
            Request("POST", "/api/v1/proposals/1/comments", JSON, b'{"body": "junk"}'),  # 401: no token
            Request("POST", "/api/v1/proposals/1/vote", JSON, b'{"choice": "for"}'),  # 405: voting is PUT
            Request("POST", "/sign-out", FORM, b""),  # 403: no CSRF token
            Request("POST", f"/nowhere-{n}", FORM, b"x=1"),  # 404
            Request("POST", "/", FORM, b"x=1"),  # 405
        ][n % 6]
    if kind == "cookies":  # a real page, with a session cookie nobody was given: looked up every time
        return Request("GET", "/proposals/1", (("Cookie", f"rv_session=junk-{n}"),))
    return [
        Request("GET", f"/nowhere-{n}"),
        Request("GET", "/wp-login.php"),
        Request("GET", f"/static/missing-{n}.css"),
        Request("GET", f"/api/v1/nowhere-{n}"),
        Request("GET", "/.env"),
        Request("GET", f"/proposals/{n}/nowhere"),
    ][n % 6]  # all 404


async def send_junk(port: int, kind: str, rate: float, duration: float, connections: int) -> dict:
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    answers: list[tuple[float, int]] = []
    counts = Counter[str]()

    async def serve_queue() -> None:
        connection = Connection(port)
        while (n := await queue.get()) is not None:
            try:
                answer = await connection.send(junk_request(kind, n), read_body=False)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                counts["errors"] += 1
                await connection.close()
                continue
            answers.append((time.monotonic(), answer.status))
        await connection.close()

    senders = [asyncio.create_task(serve_queue()) for _ in range(connections)]
    start = time.monotonic()
    n = 0
    while (due := start + n / rate) < start + duration:
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if queue.qsize() >= rate:  # more than a second behind: this one is dropped
            counts["missed"] += 1
        else:
            queue.put_nowait(n)
        n += 1
    for _ in senders:
        queue.put_nowait(None)
    await asyncio.gather(*senders)
    end = time.monotonic()
    return {"kind": kind, "rate": rate, "start": start, "end": end, "due": n, **counts, "answers": answers}


def rate_between(result: dict, start: float, end: float) -> tuple[float, dict[str, int]]:
    """Answers per second received between `start` and `end` (time.monotonic), and their statuses."""
    inside = [status for at, status in result["answers"] if start <= at <= end]
    return len(inside) / max(end - start, 1e-9), dict(sorted(Counter(str(s) for s in inside).items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Junk requests at a steady rate (127.0.0.1 only).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second (default 500)")
    parser.add_argument("--duration", type=float, required=True, help="seconds")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the answers")
    args = parser.parse_args(argv)
    result = asyncio.run(send_junk(args.port, args.kind, args.rate, args.duration, args.connections))
    args.out.write_text(json.dumps(result))
    rate, statuses = rate_between(result, result["start"], result["end"])
    print(
        f"junk: {args.kind} {rate:.1f}/s achieved (asked {args.rate:g}/s), statuses {statuses}, "
        f"missed {result.get('missed', 0)}, errors {result.get('errors', 0)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
