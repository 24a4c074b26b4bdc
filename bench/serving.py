"""Start and stop `referentiel serve` for the benchmark, on loopback only, and look at its workers.

Shared by every scenario of bench/run.py: a seeded database (bench/seed.py), the server on a free
port of 127.0.0.1, its log checked at the end, and the resident memory of its granian workers.
"""

from __future__ import annotations

import asyncio
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HOST = "127.0.0.1"  # the only address ever targeted
HEALTH = "/healthz"
# The code measured is the one beside these files (PYTHONPATH), also when they are a copy elsewhere
# (git archive COMMIT | tar -x -C DIR), whose server runs with the interpreter running the bench.
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Databases that belong to the test suite: never dropped, never seeded by the benchmark.
PROTECTED_DATABASES = {"test", "test_schema", "test_live", "postgres", "template0", "template1"}
SUSPICIOUS = re.compile(r"Traceback|ERROR|CRITICAL|Exception")
# A client error is logged on one line by design ("... - error_log - GET /x: 404 NotFoundException"):
# expected under junk, not suspicious; a 5xx logged so is.
CLIENT_ERROR = re.compile(r" - error_log - \S+ \S+: 4\d\d ")
# Abuse limits (REFERENTIEL_RATE_LIMITS) raised for the benchmark's own writes, unless set.
BENCH_LIMITS = ",".join(
    f"{action}:{scope}=999999/3600"
    for action in ("proposal", "comment", "vote")
    for scope in ("account", "address")
)


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    port: int
    folder: Path  # database (SQLite), log, seeded secrets
    log: Path
    process: subprocess.Popen[bytes]
    # seed.py's: session (the reader's cookie), reader_token, author_token; big_framework
    secrets: dict[str, Any]
    command: list[str]
    env: dict[str, str]

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"rv_session={self.secrets['session']}"}

    def workers(self) -> list[int]:
        """The granian workers: the children of the serve process."""
        pid = self.process.pid
        try:
            return sorted(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        except OSError:
            return []

    def check_alive(self, doing: str) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"server died during {doing}:\n{log_tail(self.log)}")


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


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (resident at its peak) of a process, in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(value.split()[0])
    return values


def wait_healthy(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.check_alive("start-up")
        try:
            if fetch(server.base + HEALTH, timeout=1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{HEALTH} did not answer within {timeout:.0f} s:\n{log_tail(server.log)}")


def start(command: list[str], env: dict[str, str], folder: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as log_file:
        output = {"stdout": log_file, "stderr": subprocess.STDOUT}
        return subprocess.Popen(command, env=env, cwd=folder, start_new_session=True, **output)


def restart(server: Server) -> None:
    """Stop the server and start it again (its caches empty: the next answers are cold)."""
    stop(server.process)
    server.process = start(server.command, server.env, server.folder, server.log)
    wait_healthy(server)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the granian workers go too
        process.wait(timeout=10)


def recreate_postgres(url: str) -> None:
    """Drop and create the database named by a postgresql:// URL on 127.0.0.1 (never the tests')."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.hostname not in (HOST, "localhost") or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise RuntimeError(f"--recreate-database takes a database on {HOST} with a plain name, not {url}")
    if name in PROTECTED_DATABASES:
        raise RuntimeError(f"refusing to drop the database {name!r}")
    import asyncpg  # the app's own driver

    async def recreate() -> None:
        admin = urlsplit(url)._replace(path="/postgres").geturl()
        connection = await asyncpg.connect(admin.replace("postgresql+asyncpg", "postgresql"))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())


def suspicious_lines(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if SUSPICIOUS.search(line) and not CLIENT_ERROR.search(line)]


def client_errors(log: Path) -> int:
    """How many client errors (4xx) the server logged."""
    return sum(1 for line in log.read_text(errors="replace").splitlines() if CLIENT_ERROR.search(line))


@contextmanager
def served(
    workers: int,
    database_url: str | None,
    *,
    recreate: bool = False,
    keep: bool = False,
    seed_script: str = "seed.py",
    seed_arguments: Sequence[str] = (),
) -> Iterator[Server]:
    """A seeded database and `referentiel serve` on a free port of 127.0.0.1, stopped at the end.

    The seed is `seed_script` (beside this file) run with the secrets file and `seed_arguments`.
    The temporary folder (database, server.log, secrets) is deleted unless `keep`, a failure, or a
    suspicious line in the log (tracebacks, errors) says to keep it."""
    folder = Path(tempfile.mkdtemp(prefix="referentiel-bench-"))
    log = folder / "server.log"
    port = free_port()
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    if recreate and url.startswith("postgres"):
        recreate_postgres(url)
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, REFERENTIEL_DATABASE_URL=url, PYTHONPATH=python_path)
    env.setdefault("REFERENTIEL_RATE_LIMITS", BENCH_LIMITS)
    env.setdefault("REFERENTIEL_SECRET_KEY", "bench-not-a-secret")
    referentiel = VENV_BIN / "referentiel"
    command = [str(referentiel) if referentiel.exists() else "referentiel", "serve", "--host", HOST]
    command += ["--port", str(port), "--workers", str(workers)]
    print(f"bench: http://{HOST}:{port} workers={workers} database={url} log {log}", file=sys.stderr)
    secrets_file = folder / "secrets.json"
    seed = [sys.executable, str(Path(__file__).with_name(seed_script)), str(secrets_file), *seed_arguments]
    if subprocess.run(seed, env=env, cwd=folder).returncode != 0:
        raise RuntimeError(f"seeding the database failed (a database that is not empty? {url})")
    failed = True
    try:
        process = start(command, env, folder, log)
        secrets = json.loads(secrets_file.read_text())
        server = Server(f"http://{HOST}:{port}", port, folder, log, process, secrets, command, env)
        try:
            wait_healthy(server)
            yield server
            failed = False
        finally:
            stop(server.process)
    finally:
        _look_at_log(log, folder, keep=failed or keep)


def _look_at_log(log: Path, folder: Path, keep: bool) -> None:
    problems = suspicious_lines(log) if log.exists() else []
    if log.exists():
        print(f"bench: the server logged {client_errors(log)} client error(s) (4xx)", file=sys.stderr)
    if problems:
        print(f"bench: {len(problems)} suspicious line(s) in the server log, e.g.:", file=sys.stderr)
        print("\n".join(problems[:5]), file=sys.stderr)
    if keep or problems:
        print(f"bench: kept {folder}", file=sys.stderr)
    else:
        shutil.rmtree(folder, ignore_errors=True)
