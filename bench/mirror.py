"""The static mirror served by nginx, beside the app serving the same addresses (by hand, never from
the tests; 127.0.0.1 only).

    .venv/bin/python bench/mirror.py [--releases 30] [--duration 5] [--workers 2]

Seeds a database and serves it (bench/serving.py), publishes releases until the framework has
--releases of them (each amends one indicator), times `referentiel publish-site` into a new folder
and again once nothing is new, then serves that folder with nginx (its own prefix, pid and logs in a
temporary folder, in the foreground, with deploy/nginx-mirror.conf's server block on a free port,
its fallback on the app). Checks that nginx and the app answer the measured addresses with the same
bytes and content type, then runs wrk on each address through nginx and on the app, and /healthz.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from run import code_version
from serving import HEALTH, HOST, ROOT, VENV_BIN, Server, free_port, served
from wrkrun import Result, run_wrk

SLUG = "qualite-mentorat"
CONF = ROOT / "deploy" / "nginx-mirror.conf"
START_TIMEOUT = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=30, help="releases of the framework (default 30)")
    parser.add_argument("--duration", type=int, default=5, help="wrk seconds per address (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="granian workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--recreate-database", action="store_true", help="drop and create --database-url")
    args = parser.parse_args(argv)
    if min(args.releases, args.duration, args.workers, args.threads, args.connections) < 1:
        parser.error("every count must be at least 1")
    return args


async def publish_until(releases: int) -> str:
    """Releases amending one indicator each (the next one every time) until there are `releases`."""
    from indicators.content import IndicatorText
    from indicators.publication import Change, ChangeKind, publish_release
    from indicators.queries import get_framework, list_releases
    from indicators.versions import Bump

    framework = await get_framework(SLUG)
    history = await list_releases(framework)
    codes = ["REC-1", "REC-2", "REC-3", "SEL-1", "SEL-2", "FOR-1", "APP-1", "SUI-1", "CLO-1", "TER-1"]
    version = history[0].version
    for number in range(len(history), releases):
        code = codes[number % len(codes)]
        text = IndicatorText(
            title=f"{code}, revu pour la {number + 1}e version",
            statement=f"Énoncé revu numéro {number}: la structure le fait et le consigne.",
            rationale="Les retours de terrain le demandent.",
            evidence_level="practice",
        )
        change = Change(ChangeKind.amend, code, text)
        version = (await publish_release(SLUG, [change], Bump.minor, f"{code} revu ({number})")).version
    return version


def publish_site(folder: Path, env: dict[str, str]) -> tuple[float, str]:
    """Seconds taken and the summary line of `referentiel publish-site folder`."""
    started = time.monotonic()
    done = subprocess.run(
        [str(VENV_BIN / "referentiel"), "publish-site", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"publish-site failed:\n{done.stderr}")
    return time.monotonic() - started, done.stderr.strip().splitlines()[-1]


def nginx_conf(folder: Path, site: Path, port: int, app_port: int) -> Path:
    """deploy/nginx-mirror.conf with this run's port, mirror and app, in a whole nginx.conf."""
    server_block = CONF.read_text()
    for before, after in (
        ("listen 80;", f"listen {HOST}:{port};"),
        ("root /srv/referentiel/mirror;", f"root {site};"),
        ("server 127.0.0.1:8000;", f"server {HOST}:{app_port};"),
    ):
        if server_block.count(before) != 1:
            raise RuntimeError(f"{CONF} no longer has exactly one {before!r}: update bench/mirror.py")
        server_block = server_block.replace(before, after)
    (folder / "mirror.conf").write_text(server_block)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes auto;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\n    access_log off;\n    include {folder / 'mirror.conf'};\n}}\n"
    )
    return conf


@contextmanager
def nginx(site: Path, app_port: int) -> Iterator[str]:
    """nginx in the foreground on a free port of 127.0.0.1, stopped at the end; yields its base URL."""
    folder = Path(tempfile.mkdtemp(prefix="referentiel-nginx-"))
    port = free_port()
    conf = nginx_conf(folder, site, port, app_port)
    command = ["nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(base + "/static/css/site.css"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"nginx did not start: {process.stderr.read().decode() if process.stderr else ''}"
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()  # SIGTERM: a fast shutdown of the master and its workers
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def get(url: str) -> tuple[bytes, str, str]:
    """Body, content type, and who answered (nginx adds X-Served-By: app when it asked the app)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return (
            response.read(),
            response.headers["Content-Type"],
            response.headers.get("X-Served-By", "mirror"),
        )


def addresses(current: str) -> list[str]:
    base = f"/frameworks/{SLUG}"
    return [
        "/",
        f"{base}/releases/1.0.0",
        f"{base}/releases/{current}/indicators/REC-1",
        f"{base}/releases/1.0.0.json",
        f"{base}/releases.atom",
        f"{base}/compare/1.0.0...{current}",
    ]


def measure(server: Server, mirror: str, paths: list[str], args: argparse.Namespace) -> dict[str, Result]:
    wrk = {"threads": args.threads, "connections": args.connections, "duration": args.duration}
    results = {"app " + HEALTH: run_wrk(server.base + HEALTH, {}, **wrk)}
    for path in paths:
        from_app, from_mirror = get(server.base + path), get(mirror + path)
        if from_mirror[2] != "mirror" or from_app[:2] != from_mirror[:2]:
            raise RuntimeError(f"nginx does not answer {path} from the mirror with the app's bytes and type")
        print(
            f"bench: {path}: {len(from_app[0]):,} bytes, {from_app[1]}, the same from both", file=sys.stderr
        )
        results["nginx " + path] = run_wrk(mirror + path, {}, **wrk)
        results["app " + path] = run_wrk(server.base + path, {}, **wrk)
        server.check_alive(path)
    return results


def print_table(results: dict[str, Result]) -> None:
    width = max(len(name) for name in results)
    print(f"\n{'server address':<{width}}  {'req/s':>10}  {'p50 ms':>8}  {'p99 ms':>8}  non-2xx")
    for name, r in results.items():
        figures = f"{r['rps']:>10.1f}  {r['p50_ms']:>8.2f}  {r['p99_ms']:>8.2f}"
        print(f"{name:<{width}}  {figures}  {r['non_2xx_3xx']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"bench: {tool} is not installed (Debian: apt-get install -y {tool}).", file=sys.stderr)
            return 2
    load_before = os.getloadavg()
    site = Path(tempfile.mkdtemp(prefix="referentiel-mirror-"))
    site.chmod(0o755)  # nginx's workers may run as another user
    try:
        with served(args.workers, args.database_url, recreate=args.recreate_database) as server:
            url = args.database_url or f"sqlite:///{server.folder / 'bench.db'}"
            env = {**os.environ, "REFERENTIEL_DATABASE_URL": url, "REFERENTIEL_BASE_URL": server.base}
            os.environ.update(env)
            from server import use_piccolo_conf

            use_piccolo_conf()
            current = asyncio.run(publish_until(args.releases))
            first, summary = publish_site(site, env)
            print(f"bench: publish-site, first run: {first:.1f} s — {summary}", file=sys.stderr)
            again, summary_again = publish_site(site, env)
            print(f"bench: publish-site, nothing new: {again:.1f} s — {summary_again}", file=sys.stderr)
            time.sleep(1)  # the workers hear of the new releases (SQLite: within 50 ms)
            with nginx(site, server.port) as mirror:
                results = measure(server, mirror, addresses(current), args)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(site, ignore_errors=True)
    print(f"\n{args.releases} releases. publish-site, first run ({first:.1f} s with start-up): {summary}")
    print(f"publish-site, nothing new ({again:.1f} s with start-up): {summary_again}")
    print_table(results)
    before, after = (" ".join(f"{v:.2f}" for v in loads) for loads in (load_before, os.getloadavg()))
    print(
        f"machine: {os.cpu_count()} CPUs shared by nginx, the app and wrk ({args.threads} threads, "
        f"{args.connections} connections, {args.duration} s an address); load average {before} before, "
        f"{after} after; code {code_version()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
