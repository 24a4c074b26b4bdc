"""Several app hosts on one PostgreSQL, behind nginx: each host `referentiel serve` in its own
network namespace, as tests/server/test_several_hosts.py starts them.

    async with Site(tmp_path, DATABASE_URL) as site:
        site.proxy.base      # http://127.0.0.1:PORT: nginx, balancing between the hosts
        site.hosts[0].base   # http://10.231.N.2:8000: one host, directly
        site.kill(0)         # SIGKILL to its whole process group
        await site.arestart(0)

Each namespace is joined to this one by a veth pair, a /29 of 10.231.0.0/16: its first address on
this side (`outside`: the proxy's address as the host sees it, its only trusted proxy), the second
in the namespace (`inside`), and the third on this side too, for a client that is not the proxy
(`stranger`). PostgreSQL listens on 127.0.0.1 only, so a relay (tests/server/relay.py) listens on
each `outside` address and forwards there: each host reaches the database over its own link, as over a
network. nginx runs deploy/nginx.conf itself, with the hosts' addresses in its upstream.

Whatever the block started is taken down on the way out, failure or pytest-timeout included: the
proxy, the hosts' process groups, the relay, the namespaces. A run killed outright leaves
namespaces named after its process id; the next run removes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from tests.conftest import ON_POSTGRES
from tests.server.live import ROOT, START_TIMEOUT, LiveServer, free_port

DEPLOYED_PROXY = ROOT / "deploy" / "nginx.conf"
APP_PORT = 8000  # every host listens on it, each in its own namespace
LINKS = IPv4Network("10.231.0.0/16")
PREFIX = "rvh"  # namespaces: rvh<pid>n<index>, so that a later run knows which ones are orphans
STOP_TIMEOUT = 10.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def why_not() -> str | None:
    """Why several hosts cannot run here (the test skips, saying so), or None."""
    if not ON_POSTGRES:
        return "several app hosts share one PostgreSQL database: set REFERENTIEL_TEST_DATABASE_URL"
    if os.geteuid() != 0:
        return "network namespaces (ip netns) need root"
    for program, package in (("ip", "iproute2"), ("nginx", "nginx")):
        if _program(program) is None:
            return f"{program} is missing (apt-get install {package})"
    probe = f"{PREFIX}probe{os.getpid()}"
    made = try_ip("netns", "add", probe)
    if made.returncode != 0:
        return f"ip netns add fails here: {made.stderr.strip()}"
    try_ip("netns", "del", probe)
    return None


def _program(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def try_ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_program("ip") or "ip", *args], capture_output=True, text=True)


def ip(*args: str) -> str:
    done = try_ip(*args)
    assert done.returncode == 0, f"ip {' '.join(args)}: {done.stderr}"
    return done.stdout


# --- network namespaces ---------------------------------------------------------------------------


class Namespace:
    """A network namespace with its loopback up and a veth pair to this one: `outside` here (the
    address connections from here come from), `inside` there, and `stranger` here too."""

    def __init__(self, index: int, link: IPv4Network) -> None:
        self.name = f"{PREFIX}{os.getpid()}n{index}"
        self.link = f"{PREFIX}{os.getpid()}v{index}"  # at most 15 characters
        self.outside, self.inside, self.stranger = (str(address) for address in list(link.hosts())[:3])
        self.prefix = link.prefixlen

    @property
    def exec(self) -> list[str]:
        """What runs a command in the namespace (`ip netns exec` execs it: same process)."""
        return [_program("ip") or "ip", "netns", "exec", self.name]

    def create(self) -> None:
        ip("netns", "add", self.name)
        ip("link", "add", self.link, "type", "veth", "peer", "name", "app", "netns", self.name)
        ip("addr", "add", f"{self.outside}/{self.prefix}", "dev", self.link)
        ip("addr", "add", f"{self.stranger}/{self.prefix}", "dev", self.link)  # a secondary address
        ip("link", "set", self.link, "up")
        ip("-n", self.name, "addr", "add", f"{self.inside}/{self.prefix}", "dev", "app")
        ip("-n", self.name, "link", "set", "app", "up")
        ip("-n", self.name, "link", "set", "lo", "up")

    def remove(self) -> None:
        remove_namespace(self.name)
        try_ip("link", "del", self.link)  # gone with the namespace, usually


def remove_namespace(name: str) -> None:
    """Kills what still runs in it (a namespace lives as long as a process does), then deletes it."""
    for pid in try_ip("netns", "pids", name).stdout.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    try_ip("netns", "del", name)


def remove_orphans() -> None:
    """Namespaces of earlier runs that were killed before they could clean up."""
    for line in ip("netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        found = re.fullmatch(rf"{PREFIX}(\d+)n\d+", name)
        if found and not _alive(int(found.group(1))):
            remove_namespace(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_links(count: int) -> list[IPv4Network]:
    """`count` /29 links of 10.231.0.0/16 with no address of this machine in them (several runs
    at once each take their own, starting from their process id)."""
    taken = set(re.findall(r"inet (10\.231\.\d+\.\d+)/", ip("-o", "-4", "addr", "show")))
    links = list(LINKS.subnets(new_prefix=29))
    start = os.getpid() * count % len(links)
    free = (
        link for link in links[start:] + links[:start] if not any(str(address) in taken for address in link)
    )
    return [next(free) for _ in range(count)]


# --- the reverse proxy ----------------------------------------------------------------------------


def proxy_config(upstreams: list[str], listen: str, access_log: Path) -> str:
    """deploy/nginx.conf with the test's upstream servers, listen address and log: nothing else
    differs, so the documented configuration is the tested one."""
    text = DEPLOYED_PROXY.read_text()
    servers = list(re.finditer(r"^( *)server \S+:\d+( [^;\n]*)?;\n", text, re.MULTILINE))
    assert servers, f"{DEPLOYED_PROXY}: no `server host:port ...;` line in its upstream"
    indent, options = servers[0].group(1), servers[0].group(2) or ""
    ours = "".join(f"{indent}server {upstream}{options};\n" for upstream in upstreams)
    text = text[: servers[0].start()] + ours + text[servers[-1].end() :]
    replacements = {
        r"^( *)listen [^;\n]+;": rf"\1listen {listen};",
        r"^( *)access_log \S+ referentiel;": rf"\1access_log {access_log} referentiel;",
    }
    for pattern, replacement in replacements.items():
        text, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        assert count == 1, f"{DEPLOYED_PROXY}: {pattern} should match once, matched {count} times"
    return text


class Proxy:
    """nginx in the foreground (its own process group), on a free port of 127.0.0.1, everything it
    writes in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.process: subprocess.Popen | None = None

    def start(self, upstreams: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "referentiel.conf").write_text(
            proxy_config(upstreams, f"127.0.0.1:{self.port}", self.access_log)
        )
        temp = "".join(
            f"    {kind}_temp_path {self.folder / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        main = self.folder / "nginx.conf"
        main.write_text(
            "daemon off;\nworker_processes 1;\nuser root root;\n"  # the test's folders are root's
            f"pid {self.folder / 'nginx.pid'};\nerror_log {self.error_log} warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n{temp}    include {self.folder / 'referentiel.conf'};\n}}\n"
        )
        command = [_program("nginx") or "nginx", "-p", str(self.folder), "-e", str(self.error_log)]
        self.process = spawn([*command, "-c", str(main)], self.error_log)
        wait_for_port("127.0.0.1", self.port, self.process, self.error_log)

    def stop(self) -> None:
        stop_group(self.process)

    def log(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []


# --- processes ------------------------------------------------------------------------------------


def spawn(command: list[str], log: Path) -> subprocess.Popen:
    """The command in its own process group, its output appended to `log`; killed if this process
    dies without stopping it (pytest killed outright: its namespaces go at the next run)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def wait_for_port(host: str, port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        assert process.poll() is None, f"{process.args[0]} stopped:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"nothing listens on {host}:{port}:\n{log.read_text()}"
        time.sleep(0.05)


def stop_group(process: subprocess.Popen | None) -> None:
    """SIGTERM to the process's group, SIGKILL to what is left after a while."""
    if process is None:
        return
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal_number)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    process.wait()


# --- the site -------------------------------------------------------------------------------------


class Site:
    """`hosts` app hosts (`referentiel serve --workers N` each) in namespaces, on `database_url`,
    behind nginx. Every host has the same settings but its trusted proxy: the same secret key (a
    session or CSRF token made by one is good on the other), the proxy's address as base URL."""

    def __init__(self, folder: Path, database_url: str, hosts: int = 2, workers: int = 2) -> None:
        self.folder = folder
        self.database_url = database_url
        self.count = hosts
        self.workers = workers
        self.proxy = Proxy(folder / "nginx")
        self.namespaces: list[Namespace] = []
        self.hosts: list[LiveServer] = []
        self.relay: subprocess.Popen | None = None
        self._cleanup = contextlib.ExitStack()

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        remove_orphans()
        for index, link in enumerate(free_links(self.count)):
            namespace = Namespace(index, link)
            self._cleanup.callback(namespace.remove)
            namespace.create()
            self.namespaces.append(namespace)
        self._start_relay()
        for index in range(self.count):  # one after the other: each migrates before serving
            self.hosts.append(self._host(index))
            self._cleanup.callback(lambda index=index: self.hosts[index].stop())  # restarted or not
            self.hosts[index].start()
        self._cleanup.callback(self.proxy.stop)
        self.proxy.start([f"{namespace.inside}:{APP_PORT}" for namespace in self.namespaces])

    def _start_relay(self) -> None:
        database = urlsplit(self.database_url)
        port = database.port or 5432
        listens = [f"{namespace.outside}:{port}" for namespace in self.namespaces]
        log = self.folder / "relay.log"
        self.relay = spawn(
            [sys.executable, "-m", "tests.server.relay", f"{database.hostname}:{port}", *listens], log
        )
        self._cleanup.callback(stop_group, self.relay)
        for namespace in self.namespaces:
            wait_for_port(namespace.outside, port, self.relay, log)

    def _host(self, index: int) -> LiveServer:
        namespace = self.namespaces[index]
        database = urlsplit(self.database_url)
        netloc = database.netloc.replace(database.hostname, namespace.outside, 1)
        log = self.folder / f"host-{index + 1}.log"  # a restart appends to it
        return LiveServer(
            database._replace(netloc=netloc).geturl(),
            log,
            workers=self.workers,
            host=namespace.inside,
            port=APP_PORT,
            wrapper=namespace.exec,
            env={
                "REFERENTIEL_BASE_URL": self.proxy.base,
                "REFERENTIEL_TRUSTED_PROXIES": namespace.outside,
                "REFERENTIEL_SECURE_COOKIES": "0",  # plain HTTP between the test and nginx
            },
        )

    def stop(self) -> None:
        self._cleanup.close()

    def kill(self, index: int) -> None:
        """SIGKILL to the host's whole process group: its workers die mid-request."""
        process = self.hosts[index].process
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def restart(self, index: int) -> LiveServer:
        self.hosts[index].stop()  # its Popen reaped, its HTTP client closed
        self.hosts[index] = self._host(index)
        return self.hosts[index].start()

    async def arestart(self, index: int) -> LiveServer:
        return await asyncio.to_thread(self.restart, index)

    # Starting and stopping block the event loop (nothing else runs yet, or any more): a timeout's
    # exception then lands in them, and what was started is taken down.
    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()
