"""Two app hosts on one PostgreSQL, behind nginx (deploy/nginx.conf): each `referentiel serve
--workers 2` in its own network namespace (tests/server/hosts.py).

A session opened through one host works through the other, a write through one shows through
the other within the bound of the cache announcements, and the hosts believe X-Forwarded-For from
the proxy only. Under mixed traffic through the proxy, one host is killed (SIGKILL to its process
group) and restarted: readers see no error (nginx sends their requests to the surviving host), no
accepted write is lost, none is applied twice (writers send again, with the same Idempotency-Key,
what got no answer), and `referentiel verify` passes. A write that died with its host before its
commit holds its key for the app's lease (a minute): it gets no final answer within the test, and
is checked to be stored at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from tests.concurrency.racing import Person, assert_audit_chain_unbroken, world_in_vote
from tests.concurrency.test_cache_across_workers import WITHIN, everywhere
from tests.conftest import DATABASE_URL
from tests.constants import PASSWORD, SLUG
from tests.server.hosts import Site, why_not
from tests.server.live import LiveServer, fetch, run_cli

REASON = why_not()
pytestmark = [
    pytest.mark.usefixtures("db"),
    pytest.mark.skipif(REASON is not None, reason=f"several hosts cannot run here: {REASON}"),
    pytest.mark.timeout(180),
]

# A write without an answer (the host died with it; nginx answered 502, 503 or 504; or the app said
# its Idempotency-Key is still held, 409 with Retry-After) is sent again with the same key, for this
# many seconds at most: a request that died before its commit holds its key for the app's lease.
RETRY_FOR = 15.0
RETRIED = {502, 503, 504}
REQUEST_TIMEOUT = 30.0


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden inputs of the page's form posting to `action` (its CSRF token, and any other)."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.DOTALL)
    assert form, page[:2000]
    return dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', form.group(0)))


def cookie(response: httpx.Response, name: str) -> str:
    found = re.search(rf"{name}=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, response.headers
    return found.group(1)


async def test_a_session_and_a_write_through_one_host_work_through_the_other(tmp_path):
    world = await world_in_vote(members=1)
    pid, member = world.proposals[0], world.members[0]
    page = f"/proposals/{pid}"
    async with Site(tmp_path, DATABASE_URL) as site:
        one, other = site.hosts
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
            # The sign-in form from one host (its CSRF token and cookie), sent to the other.
            form = await client.get(f"{one.base}/sign-in")
            fields = {**hidden_fields(form.text, "/sign-in"), "email": "membre0@example.org"}
            signed_in = await client.post(
                f"{other.base}/sign-in",
                data={**fields, "password": PASSWORD},
                headers={"Cookie": f"rv_csrf={cookie(form, 'rv_csrf')}"},
            )
            assert signed_in.status_code == 303, signed_in.text
            session = {"Cookie": f"rv_session={cookie(signed_in, 'rv_session')}"}
            for base in (one.base, other.base, site.proxy.base):
                account = await client.get(f"{base}/account", headers=session)
                assert account.status_code == 200, f"{base}: {account.status_code}"
                assert "membre0" in account.text

            # X-Forwarded-For is believed from the proxy's address only: per-address limits count
            # the client nginx saw (this test, on 127.0.0.1), never what a client wrote.
            wrong = {**fields, "password": "pas le bon"}
            csrf = {"Cookie": f"rv_csrf={cookie(form, 'rv_csrf')}"}
            for base, forwarded in ((site.proxy.base, "203.0.113.8"), (one.base, "198.51.100.7")):
                refused = await client.post(
                    f"{base}/sign-in", data=wrong, headers={**csrf, "X-Forwarded-For": forwarded}
                )
                assert refused.status_code == 400, refused.text
        stranger = httpx.AsyncHTTPTransport(local_address=site.namespaces[0].stranger)
        async with httpx.AsyncClient(transport=stranger, timeout=REQUEST_TIMEOUT) as client:
            refused = await client.post(
                f"{one.base}/sign-in", data=wrong, headers={**csrf, "X-Forwarded-For": "203.0.113.7"}
            )
            assert refused.status_code == 400, refused.text
        counted = await fetch(DATABASE_URL, "SELECT key FROM rate_limit WHERE key LIKE 'sign-in:address:%'")
        assert {key.removeprefix("sign-in:address:") for (key,) in counted} == {
            site.namespaces[1].outside,  # the first sign-in, sent to the other host from here
            "127.0.0.1",  # through the proxy, whatever the client wrote
            "198.51.100.7",  # from the proxy's address: believed
            site.namespaces[0].stranger,  # from anyone else: not believed
        }

        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
            # The session's comment form from one host, posted to the other.
            await everywhere(other, page, lambda r: "Écrit par un hôte" not in r.text)
            proposal = await client.get(f"{one.base}{page}", headers=session)
            posted = await client.post(
                f"{other.base}{page}/comments",
                data={**hidden_fields(proposal.text, f"{page}/comments"), "body": "Écrit par un hôte"},
                headers=session,
            )
            assert posted.status_code == 303, posted.text
        # Seen through the first host, whose workers had the page in cache, within WITHIN seconds.
        await everywhere(one, page, lambda r: "Écrit par un hôte" in r.text)

        # And the other way: an API write through the first, read through the second.
        comments = f"/api/v1/proposals/{pid}/comments"
        await everywhere(other, comments, lambda r: len(r.json()) == 1)
        async with httpx.AsyncClient(base_url=one.base, headers=member.headers) as api:
            written = await api.post(comments, json={"body": "Par l'API"})
            assert written.status_code == 201, written.text
        started = time.monotonic()
        await everywhere(other, comments, lambda r: len(r.json()) == 2)  # within WITHIN seconds
        seen = time.monotonic() - started
        print(f"\nan API write through one host, read through the other: {seen:.2f} s (bound {WITHIN} s)")
        for host in site.hosts:
            host.assert_clean_log()


# --- a host killed under traffic ------------------------------------------------------------------


@dataclass
class Traffic:
    """What the clients saw."""

    reads: Counter[int] = field(default_factory=Counter)
    read_errors: list[str] = field(default_factory=list)
    comments: set[str] = field(default_factory=set)  # bodies of the comments applied
    comments_unsure: set[str] = field(default_factory=set)  # no final answer: stored once, or not at all
    votes: int = 0  # ballots cast and applied
    ballots: dict[tuple[int, int], str] = field(default_factory=dict)  # (voter, proposal) -> choice
    ballots_unsure: dict[tuple[int, int], str] = field(default_factory=dict)
    retries: Counter[str] = field(default_factory=Counter)
    decision: Outcome | None = None


@dataclass(frozen=True)
class Outcome:
    """The answers a write got, the last one last (none if every try lost its answer)."""

    answers: list[httpx.Response]

    @property
    def applied(self) -> bool | None:
        """True if accepted (2xx), or answered 409 without Retry-After: the app kept the key of a
        try that was applied, and lost its answer (nginx too sends a PUT again, to the next host).
        None if no final answer came: the request died with its host, before or after its commit."""
        if not self.answers or self.answers[-1].status_code in RETRIED or _held(self.answers[-1]):
            return None
        assert self.answers[-1].status_code in (200, 201, 409), self.answers[-1].text
        return True


def _held(answer: httpx.Response) -> bool:
    """The Idempotency-Key is held by a request still running (or dead, until its lease ends)."""
    return answer.status_code == 409 and "Retry-After" in answer.headers


async def write(
    client: httpx.AsyncClient, traffic: Traffic, what: str, method: str, path: str, **kwargs
) -> Outcome:
    """The request, with an Idempotency-Key; sent again with the same key while it has no final
    answer, for RETRY_FOR seconds at most."""
    headers = {**kwargs.pop("headers", {}), "Idempotency-Key": str(uuid.uuid4())}
    answers: list[httpx.Response] = []
    deadline = time.monotonic() + RETRY_FOR
    while True:
        with contextlib.suppress(httpx.TransportError):  # no answer: the host died, or nginx did
            answers.append(await client.request(method, path, headers=headers, **kwargs))
        outcome = Outcome(answers)
        if outcome.applied or time.monotonic() > deadline:
            return outcome
        traffic.retries[what] += 1
        await asyncio.sleep(0.2)


async def read(client: httpx.AsyncClient, traffic: Traffic, paths: list[str], stop: asyncio.Event) -> None:
    for path in itertools.cycle(paths):
        if stop.is_set():
            return
        try:
            response = await client.get(path)
        except httpx.TransportError as error:
            traffic.read_errors.append(f"{path}: {error!r}")
            continue
        traffic.reads[response.status_code] += 1
        if response.status_code != 200:
            traffic.read_errors.append(f"{path}: {response.status_code} {response.text[:200]}")


async def comment(
    client: httpx.AsyncClient, traffic: Traffic, who: Person, pid: int, stop: asyncio.Event
) -> None:
    path = f"/api/v1/proposals/{pid}/comments"
    for number in itertools.count():
        if stop.is_set():
            return
        body = f"Commentaire {who.account.id}-{number}"
        sent = await write(client, traffic, "comment", "POST", path, headers=who.headers, json={"body": body})
        (traffic.comments if sent.applied else traffic.comments_unsure).add(body)


async def vote(
    client: httpx.AsyncClient, traffic: Traffic, who: Person, pids: list[int], stop: asyncio.Event
) -> None:
    choices = itertools.cycle(["for", "against", "abstain"])
    for pid, choice in zip(itertools.cycle(pids), choices, strict=False):
        if stop.is_set():
            return
        path = f"/api/v1/proposals/{pid}/vote"
        # nginx sends a PUT again to the next host by itself (it is idempotent), with its key.
        sent = await write(client, traffic, "vote", "PUT", path, headers=who.headers, json={"choice": choice})
        if not sent.applied:  # this voter stops: a later ballot must not race with this one
            traffic.ballots_unsure[(who.account.id, pid)] = choice
            return
        traffic.ballots[(who.account.id, pid)] = choice
        traffic.votes += 1


async def decide(client: httpx.AsyncClient, traffic: Traffic, steward: Person, pid: int) -> None:
    path = f"/api/v1/proposals/{pid}/decision"
    traffic.decision = await write(client, traffic, "decision", "POST", path, headers=steward.headers)


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {within} s"
        await asyncio.sleep(0.2)


async def test_a_host_killed_under_traffic_loses_no_write_and_no_read(tmp_path):
    # Everyone voted for each proposal: the first is accepted when decided; the voters change
    # their ballots on the others.
    world = await world_in_vote(members=8, indicators=("REC-1", "REC-2", "REC-3"), ballots=8)
    decided, *voted = world.proposals
    commenters, voters = world.members[:3], world.members[3:]
    pages = [
        "/",
        f"/proposals/{decided}",
        f"/proposals/{voted[0]}",
        f"/api/v1/proposals/{voted[0]}/comments",
        "/api/v1/proposals",
        f"/frameworks/{SLUG}/indicators/REC-2",
        f"/api/v1/frameworks/{SLUG}/releases/latest",
    ]
    traffic = Traffic()
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=32)
    async with (
        Site(tmp_path, DATABASE_URL) as site,
        httpx.AsyncClient(base_url=site.proxy.base, timeout=REQUEST_TIMEOUT, limits=limits) as client,
    ):
        killed, survivor = (_address(host) for host in site.hosts)
        clients = [
            *(read(client, traffic, pages[n:] + pages[:n], stop) for n in range(4)),
            *(comment(client, traffic, who, voted[0], stop) for who in commenters),
            *(vote(client, traffic, who, voted, stop) for who in voters),
        ]
        running = [asyncio.create_task(job) for job in clients]
        try:
            await asyncio.sleep(2)
            reads_before = traffic.reads[200]
            site.kill(0)
            running.append(asyncio.create_task(decide(client, traffic, world.steward, decided)))
            await asyncio.sleep(1.5)
            await site.arestart(0)
            reads_while_down = traffic.reads[200] - reads_before
            # nginx tries the restarted host again once its fail_timeout has passed.
            seen = len(site.proxy.log())
            await until(
                lambda: (killed,) in map(_upstreams, site.proxy.log()[seen:]),
                within=30,
                what="the restarted host answers through the proxy",
            )
            stop.set()
            await asyncio.wait_for(asyncio.gather(*running), RETRY_FOR + REQUEST_TIMEOUT)
        finally:
            stop.set()
            for task in running:
                task.cancel()
        served = Counter(map(_upstreams, site.proxy.log()))
        for host in site.hosts:  # the restarted one since its restart
            host.assert_clean_log()

    caught = sum(
        count for upstreams, count in served.items() if upstreams[0] == killed and len(upstreams) > 1
    )
    print(
        f"\nreads {dict(traffic.reads)} ({reads_while_down} while a host was down), "
        f"comments {len(traffic.comments)} (+{len(traffic.comments_unsure)} without a final answer), "
        f"votes {traffic.votes} (+{len(traffic.ballots_unsure)} without a final answer), "
        f"client retries {dict(traffic.retries)}, "
        f"requests nginx sent on after the killed host failed them: {caught}"
    )
    # Readers saw nothing of it: nginx sent their requests to the survivor.
    assert traffic.read_errors == []
    assert reads_while_down > 0
    assert served[(killed, survivor)] > 0, "no request went to the killed host, then to the survivor"

    # Every applied write is there once, and no other write is there twice.
    stored = Counter(body for (body,) in await fetch(DATABASE_URL, "SELECT body FROM comment"))
    print(f"comments without a final answer that are stored: {len(traffic.comments_unsure & set(stored))}")
    assert {body: stored[body] for body in traffic.comments} == dict.fromkeys(traffic.comments, 1)
    assert set(stored) <= traffic.comments | traffic.comments_unsure
    assert max(stored.values()) == 1
    ballots = await fetch(DATABASE_URL, "SELECT voter, proposal, choice FROM ballot")
    assert Counter((voter, pid) for voter, pid, _ in ballots).most_common(1)[0][1] == 1
    for voter, pid, choice in ballots:
        last = traffic.ballots.get((voter, pid), "for")  # everyone voted for before the traffic
        assert choice in {last, traffic.ballots_unsure.get((voter, pid), last)}, (voter, pid, choice)

    # The decision, asked while a host was down, was taken once.
    assert traffic.decision is not None and traffic.decision.applied, traffic.decision
    answer = traffic.decision.answers[-1]
    if answer.status_code == 200:
        assert answer.json()["release"]["version"] == "1.1.0"
    releases = await fetch(DATABASE_URL, "SELECT version FROM framework_release ORDER BY id")
    assert releases == [("1.0.0",), ("1.1.0",)]
    decisions = f"SELECT count(*) FROM audit_log WHERE action = 'proposal.decided' AND target_id = {decided}"
    assert await fetch(DATABASE_URL, decisions) == [(1,)]
    await assert_audit_chain_unbroken()
    verified = run_cli(DATABASE_URL, "verify")
    assert verified.returncode == 0, verified.stderr
    assert "hash chain intact" in verified.stderr


def _address(host: LiveServer) -> str:
    return f"{host.host}:{host.port}"


def _upstreams(line: str) -> tuple[str, ...]:
    """The hosts nginx tried for one request, in order (`upstream=A, B` in deploy/nginx.conf's log)."""
    found = re.search(r"upstream=(.*?) upstream_status=", line)
    return tuple(part.strip() for part in found.group(1).split(",")) if found else ()
