"""Measure a few pages of a running `referentiel serve` with wrk, on loopback only.

Run by hand (never from the tests):  .venv/bin/python bench/run.py [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"  # the only address ever targeted
HEALTH = "/healthz"
SIGNED_IN = "signed-in:"  # prefix of a path requested with the seeded reader's session cookie
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
]
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
VENV_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark referentiel serve with wrk (127.0.0.1 only).")
    parser.add_argument("--workers", type=int, default=1, help="granian workers (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL (default 10)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--urls", nargs="+", help="paths to measure (each starting with /)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log)")
    args = parser.parse_args(argv)
    for path in args.urls or []:
        if not path.removeprefix(SIGNED_IN).startswith("/"):
            parser.error(f"--urls takes paths such as /healthz, not {path!r}: only {HOST} is targeted")
    if min(args.workers, args.threads, args.connections, args.duration) < 1:
        parser.error("--workers, --threads, --connections and --duration must be at least 1")
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(url: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> tuple[int, int]:
    """Status and body size (redirects are followed: wrk does not, it counts 3xx as success)."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=timeout
        ) as response:
            return int(response.status), len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with code {server.returncode}:\n{log_tail(log)}")
        try:
            if fetch(base + HEALTH, timeout=1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{HEALTH} did not answer within {timeout:.0f} s:\n{log_tail(log)}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: the granian workers go too
        server.wait(timeout=10)


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS_MS[unit]


def run_wrk(url: str, args: argparse.Namespace, headers: dict[str, str]) -> dict[str, float | int | str]:
    command = [
        "wrk",
        *(f"--header={name}: {value}" for name, value in headers.items()),
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={args.duration}s",
        "--latency",
        url,
    ]
    timeout = args.duration + 60
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (rps and p50 and p99):
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:\s+(.*)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": to_ms(p50.group(1)),
        "p99_ms": to_ms(p99.group(1)),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def print_table(results: dict[str, dict[str, float | int | str]]) -> None:
    base_rps = float(results[HEALTH]["rps"]) or 1.0
    width = max(len(path) for path in results)
    print(f"\n{'URL':<{width}}  {'req/s':>10}  {'p50 ms':>8}  {'p99 ms':>8}  {'ratio':>6}  non-2xx")
    for path, r in results.items():
        print(
            f"{path:<{width}}  {r['rps']:>10.1f}  {r['p50_ms']:>8.2f}  {r['p99_ms']:>8.2f}  "
            f"{float(r['rps']) / base_rps:>6.3f}  {r['non_2xx_3xx']}"
            + (f"  (socket errors: {r['socket_errors']})" if r["socket_errors"] else "")
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian: apt-get install -y wrk).", file=sys.stderr)
        return 2
    paths = list(dict.fromkeys([HEALTH, *(args.urls or DEFAULT_URLS)]))  # /healthz first: the ceiling
    folder = Path(tempfile.mkdtemp(prefix="referentiel-bench-"))
    log = folder / "server.log"
    port = free_port()
    base = f"http://{HOST}:{port}"
    env = dict(os.environ, REFERENTIEL_DATABASE_URL=args.database_url or f"sqlite:///{folder / 'bench.db'}")
    env.setdefault("REFERENTIEL_SECRET_KEY", "bench-not-a-secret")
    referentiel = VENV_BIN / "referentiel"
    command = [
        str(referentiel) if referentiel.exists() else "referentiel",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    print(
        f"bench: {base} workers={args.workers} threads={args.threads} connections={args.connections} "
        f"duration={args.duration}s, log {log}",
        file=sys.stderr,
    )
    session_file = folder / "session.txt"
    seed = [sys.executable, str(Path(__file__).with_name("seed.py")), str(session_file)]
    seeding = subprocess.run(seed, env=env, cwd=folder)
    if seeding.returncode != 0:
        print("bench: seeding the database failed", file=sys.stderr)
        return 1
    failed = True
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=folder, start_new_session=True
        )
        try:
            wait_healthy(base, server, log)
            results: dict[str, dict[str, float | int | str]] = {}
            cookie = {"Cookie": f"rv_session={session_file.read_text().strip()}"}
            for path in paths:
                headers = cookie if path.startswith(SIGNED_IN) else {}
                url = base + path.removeprefix(SIGNED_IN)
                status, size = fetch(url, timeout=30.0, headers=headers)  # warm-up
                print(f"bench: warm-up {path} -> {status}, {size} bytes; measuring...", file=sys.stderr)
                results[path] = {"warmup_status": status, "bytes": size, **run_wrk(url, args, headers)}
                if server.poll() is not None:
                    raise RuntimeError(f"server died during {path}:\n{log_tail(log)}")
            failed = False
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            print(f"bench: {error}", file=sys.stderr)
            return 1
        finally:
            stop(server)
            if failed or args.keep:
                print(f"bench: kept {folder}", file=sys.stderr)
    problems = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if re.search(r"Traceback|ERROR|Exception", line)
    ]
    if problems:
        print(f"bench: {len(problems)} suspicious line(s) in the server log, e.g.:", file=sys.stderr)
        print("\n".join(problems[:5]), file=sys.stderr)
        print(f"bench: kept {folder}", file=sys.stderr)
    elif not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(results)
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("json", "urls")}
        args.json.write_text(json.dumps({"settings": settings, "results": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
