"""What the race tests share: requests fired together at `referentiel serve --workers 2` (which
the start_server fixture starts with tests/server/live.py), and the world each test starts from
(accounts, a working group, proposals in vote)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx

from indicators.tables import Release
from proposals.access import create_api_token
from proposals.accounts import AccountView, register_account
from proposals.audit import check_chain
from proposals.proposing import create_proposal
from proposals.roles import Role
from proposals.tables import AuditEntry
from proposals.voting import cast_vote, open_vote
from proposals.working_groups import add_member, create_working_group
from tests.conftest import ON_POSTGRES
from tests.constants import PASSWORD, SLUG
from tests.server.live import LOCKED, LiveServer

ENGINE = "postgresql" if ON_POSTGRES else "sqlite"
REQUEST_TIMEOUT = 60.0  # seconds for one request (the SQLite busy timeout is 30 s)
BURST_TIMEOUT = 120.0  # seconds for a whole burst
DELIBERATE_REFUSALS = {409, 503}


# --- requests fired together ----------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: dict | None = None
    label: str = ""


async def fire(server: LiveServer, calls: list[Call]) -> list[httpx.Response]:
    """Every call at once, each on its own connection (opened beforehand, so that the requests
    themselves leave together)."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=server.base, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in calls))
        burst = asyncio.gather(
            *(
                client.request(call.method, f"/api/v1{call.path}", headers=call.headers, json=call.json)
                for call in calls
            )
        )
        return await asyncio.wait_for(burst, BURST_TIMEOUT)


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def figures(name: str, responses: list[httpx.Response], **stored: int) -> str:
    counts = ", ".join(f"{status}×{n}" for status, n in sorted(statuses(responses).items()))
    rows = ", ".join(f"{what}={n}" for what, n in stored.items())
    line = f"[{ENGINE}] {name}: {len(responses)} requests -> {counts}; stored: {rows}"
    print(f"\n{line}")
    return line


def assert_deliberate(responses: list[httpx.Response], ok: set[int]) -> None:
    """Each response is a success in `ok` or a deliberate refusal (409, or 503 with Retry-After)."""
    for response in responses:
        assert response.status_code < 500 or response.status_code == 503, response.text
        assert response.status_code in ok | DELIBERATE_REFUSALS, response.text
        assert LOCKED not in response.text
        if response.status_code == 503:
            assert response.headers.get("Retry-After"), response.headers


# --- the world each test starts from --------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    account: AccountView
    headers: dict[str, str]


async def person(email: str, role: Role = Role.practitioner) -> Person:
    account = await register_account(email, PASSWORD, email.split("@")[0], role=role)
    token = await create_api_token(account.id)
    return Person(account, {"Authorization": f"Bearer {token}"})


@dataclass(frozen=True)
class World:
    steward: Person
    members: list[Person]
    proposals: list[int]


async def world_in_vote(members: int, indicators: tuple[str, ...] = ("REC-1",), ballots: int = 0) -> World:
    """A steward, a working group of `members` for the theme REC, one amendment per indicator in
    vote, and `ballots` members who voted for each."""
    steward = await person("steward@example.org", Role.steward)
    group = await create_working_group(steward.account.actor, SLUG, "Recrutement", ["REC"])
    people = [await person(f"membre{i}@example.org") for i in range(members)]
    for member in people:
        await add_member(steward.account.actor, group.id, member.account.id)
    proposals = []
    for code in indicators:
        proposal = await create_proposal(
            steward.account.actor,
            SLUG,
            "amend",
            "latest",
            f"Préciser {code}",
            "Plus clair.",
            indicator=code,
            content={"statement": f"Un nouvel énoncé pour {code}."},
        )
        await open_vote(steward.account.actor, proposal.id)
        for member in people[:ballots]:
            await cast_vote(member.account.actor, proposal.id, "for")
        proposals.append(proposal.id)
    return World(steward, people, proposals)


async def releases() -> list[dict]:
    return await Release.select(Release.id, Release.version).order_by(Release.id)


async def audit_actions(action: str, target_id: int) -> int:
    return await AuditEntry.count().where((AuditEntry.action == action) & (AuditEntry.target_id == target_id))


async def assert_audit_chain_unbroken() -> int:
    """Each audit entry follows the one before it in its stream (its number, its hash): concurrent
    writers must not fork a stream. Returns how many entries the log holds."""
    assert await check_chain() is None
    return await AuditEntry.count()
