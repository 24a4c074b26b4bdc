"""A write reaches the caches of every worker: a real server with 2 workers, on both engines.

Each check asks a page many times, each time on a new connection, so that both workers answer; it
first warms their caches with the old state, then writes (through the API, or from this process as
another host would), then waits until every answer shows the write. The bound here is generous
(far below the 30-second time to live, so only the announcements can explain a pass); how fast it
really is (the 100 ms target) is measured by bench/propagation.py, not in a timed test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from proposals.access import create_api_token, end_session, start_session
from proposals.accounts import change_password, set_active, set_role
from proposals.discussion import add_comment
from proposals.roles import Role
from tests.concurrency.racing import Person, person, world_in_vote
from tests.constants import PASSWORD, SLUG
from tests.server.live import LiveServer

pytestmark = pytest.mark.usefixtures("db")

SPREAD = 24  # requests on new connections at each look: both workers answer some of them
WITHIN = 5.0  # seconds: far below the caches' 30-second time to live


async def look(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    async def once() -> httpx.Response:
        async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=30) as client:
            return await client.get(path)

    return await asyncio.gather(*(once() for _ in range(SPREAD)))


async def everywhere(
    server: LiveServer, path: str, shows: Callable[[httpx.Response], bool], headers: dict | None = None
) -> None:
    """Every worker answers `path` as `shows` expects, within WITHIN seconds."""
    started = time.monotonic()
    while True:
        answers = await look(server, path, headers)
        if all(shows(answer) for answer in answers):
            return
        wrong = next(answer for answer in answers if not shows(answer))
        assert time.monotonic() - started < WITHIN, f"{path}: still {wrong.status_code} {wrong.text[:300]}"
        await asyncio.sleep(0.05)


async def test_a_comment_through_one_worker_shows_in_every_worker(start_server):
    world = await world_in_vote(members=2)
    pid = world.proposals[0]
    server = await start_server()
    await everywhere(
        server, f"/proposals/{pid}", lambda r: r.status_code == 200 and "Lu partout" not in r.text
    )
    async with httpx.AsyncClient(base_url=f"{server.base}/api/v1", headers=world.steward.headers) as api:
        commented = await api.post(f"/proposals/{pid}/comments", json={"body": "Lu partout"})
        assert commented.status_code == 201, commented.text
    await everywhere(server, f"/proposals/{pid}", lambda r: "Lu partout" in r.text)
    server.assert_clean_log()


async def test_a_write_from_another_host_shows_in_every_worker(start_server):
    """This test process writes to the database as another host would: only the announcement in the
    database (NOTIFY, or a change_event row) can tell the server's workers."""
    world = await world_in_vote(members=2)
    pid = world.proposals[0]
    server = await start_server()
    await everywhere(server, f"/api/v1/proposals/{pid}/comments", lambda r: r.json() == [])
    await add_comment(world.members[0].account.actor, pid, "Écrit ailleurs")
    await everywhere(server, f"/proposals/{pid}", lambda r: "Écrit ailleurs" in r.text)
    await everywhere(server, f"/api/v1/proposals/{pid}/comments", lambda r: len(r.json()) == 1)


async def test_a_publication_shows_in_every_worker(start_server):
    world = await world_in_vote(members=2, ballots=2)
    server = await start_server()
    latest = f"/api/v1/frameworks/{SLUG}/releases/latest"
    await everywhere(server, latest, lambda r: r.json()["version"] == "1.0.0")
    indicator = f"/frameworks/{SLUG}/indicators/REC-1"
    await everywhere(server, "/", lambda r: "1.1.0" not in r.text)
    await everywhere(server, indicator, lambda r: "Un nouvel énoncé pour REC-1" not in r.text)
    async with httpx.AsyncClient(base_url=f"{server.base}/api/v1", headers=world.steward.headers) as api:
        decided = await api.post(f"/proposals/{world.proposals[0]}/decision")
        assert decided.json()["release"]["version"] == "1.1.0", decided.text
    await everywhere(server, latest, lambda r: r.json()["version"] == "1.1.0")
    await everywhere(server, "/", lambda r: "1.1.0" in r.text)
    await everywhere(server, indicator, lambda r: "Un nouvel énoncé pour REC-1" in r.text)
    await everywhere(server, f"/frameworks/{SLUG}/releases/1.0.0", lambda r: "1.1.0" in r.text)
    server.assert_clean_log()


async def _session(account_id: int) -> dict[str, str]:
    return {"Cookie": f"rv_session={await start_session(account_id)}"}


async def _token(account_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {await create_api_token(account_id)}"}


async def _sign_out(steward: Person, who: Person, headers: dict[str, str]) -> None:
    await end_session(headers["Cookie"].removeprefix("rv_session="))


async def _new_password(steward: Person, who: Person, headers: dict[str, str]) -> None:
    await change_password(who.account.actor, PASSWORD, "un tout autre mot de passe")


async def _deactivate(steward: Person, who: Person, headers: dict[str, str]) -> None:
    await set_active(steward.account.actor, who.account.id, False)


async def _demote(steward: Person, who: Person, headers: dict[str, str]) -> None:
    await set_role(steward.account.actor, who.account.id, Role.practitioner.value)


@pytest.mark.parametrize(
    ("what", "credentials", "path", "denied"),
    [
        (_sign_out, _session, "/account", 303),  # sent to sign in
        (_new_password, _session, "/account", 303),
        (_new_password, _token, "/api/v1/accounts/me", 401),
        (_deactivate, _session, "/account", 303),
        (_deactivate, _token, "/api/v1/accounts/me", 401),
        (_demote, _session, "/steward", 403),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
async def test_access_ends_in_every_worker(start_server, what, credentials, path: str, denied: int):
    """Sign-out, a new password, deactivation and a role removed take effect in every worker."""
    steward = await person("steward@example.org", Role.steward)
    who = await person("deux@example.org", Role.steward)
    headers = await credentials(who.account.id)
    server = await start_server()
    await everywhere(server, path, lambda r: r.status_code == 200, headers)
    await what(steward, who, headers)
    await everywhere(server, path, lambda r: r.status_code == denied, headers)
