"""Races, with real concurrent HTTP requests against `referentiel serve --workers 2`.

The server runs as a subprocess on 127.0.0.1 and on the test database (the SQLite file of the run,
or PostgreSQL when REFERENTIEL_TEST_DATABASE_URL is set). Each test builds its accounts, working
group and proposals with the domain functions before the server starts, fires its requests
together, then counts the rows. `pytest -s` shows the figures of each test.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from indicators.verification import check_release_hashes
from proposals.discussion import add_comment
from proposals.tables import Account, AuditEntry, Ballot, Comment, Proposal
from tests.concurrency.racing import (
    ENGINE,
    REQUEST_TIMEOUT,
    Call,
    assert_audit_chain_unbroken,
    assert_deliberate,
    audit_actions,
    figures,
    fire,
    releases,
    statuses,
    world_in_vote,
)
from tests.conftest import DATABASE_URL, ON_POSTGRES, sqlite_file
from tests.constants import PASSWORD, SLUG

# --- the races ------------------------------------------------------------------------------------


async def test_40_simultaneous_ballots_of_one_member_leave_one_ballot(start_server):
    world = await world_in_vote(members=3)
    [pid] = world.proposals
    voter = world.members[0]
    server = await start_server()
    choices = ("for", "against", "abstain")
    calls = [
        Call("PUT", f"/proposals/{pid}/vote", voter.headers, {"choice": choices[i % 3], "reason": f"n°{i}"})
        for i in range(40)
    ]
    responses = await fire(server, calls)

    rows = await Ballot.select().where((Ballot.proposal == pid) & (Ballot.voter == voter.account.id))
    cast = await audit_actions("vote.cast", pid)
    figures("one member, 40 ballots", responses, ballot_rows=len(rows), vote_cast_audit_entries=cast)
    assert_deliberate(responses, {200})
    assert len(rows) == 1
    accepted = [r.json() for r in responses if r.status_code == 200]
    assert (rows[0]["choice"], rows[0]["reason"]) in {(b["choice"], b["reason"]) for b in accepted}
    assert cast == len(accepted)  # every accepted ballot was written (and replaced the one before)
    assert await Ballot.count().where(Ballot.proposal == pid) == 1
    server.assert_clean_log()


async def test_10_simultaneous_decisions_publish_one_release(start_server):
    world = await world_in_vote(members=3, ballots=3)
    [pid] = world.proposals
    server = await start_server()
    calls = [Call("POST", f"/proposals/{pid}/decision", world.steward.headers) for _ in range(10)]
    responses = await fire(server, calls)

    after = await releases()
    decided = await audit_actions("proposal.decided", pid)
    figures("one proposal, 10 decisions", responses, releases=len(after), decided_audit_entries=decided)
    assert_deliberate(responses, {200})
    assert statuses(responses) == {200: 1, 409: 9}
    assert [r["version"] for r in after] == ["1.0.0", "1.1.0"]
    [winner] = [r.json() for r in responses if r.status_code == 200]
    assert winner["status"] == "accepted" and winner["release"]["version"] == "1.1.0"
    proposal = await Proposal.select(Proposal.status, Proposal.release).where(Proposal.id == pid).first()
    assert proposal == {"status": "accepted", "release": after[1]["id"]}
    assert decided == 1
    assert all(check.ok for check in [c async for c in check_release_hashes()])
    server.assert_clean_log()


async def test_two_proposals_decided_together_get_consecutive_releases(start_server):
    world = await world_in_vote(members=3, indicators=("REC-1", "REC-2"), ballots=3)
    server = await start_server()
    calls = [Call("POST", f"/proposals/{pid}/decision", world.steward.headers) for pid in world.proposals]
    responses = await fire(server, calls)

    after = await releases()
    figures("two proposals decided together", responses, releases=len(after))
    assert_deliberate(responses, {200})
    assert statuses(responses) == {200: 2}
    assert sorted(r["version"] for r in after) == ["1.0.0", "1.1.0", "1.2.0"]
    published = {r.json()["release"]["version"] for r in responses}
    assert published == {"1.1.0", "1.2.0"}
    linked = await Proposal.select(Proposal.release).where(Proposal.id.is_in(world.proposals))
    assert sorted(row["release"] for row in linked) == [r["id"] for r in after[1:]]
    checks = [check async for check in check_release_hashes()]
    assert [c.version for c in checks] == ["1.0.0", "1.1.0", "1.2.0"] and all(c.ok for c in checks)
    # The second release holds both amendments: the later one was applied on top of the earlier.
    async with httpx.AsyncClient(base_url=server.base, timeout=REQUEST_TIMEOUT) as client:
        latest = (await client.get(f"/api/v1/frameworks/{SLUG}/releases/latest")).json()
    statements = {i["code"]: i["statement"] for t in latest["themes"] for i in t["indicators"]}
    assert statements["REC-1"] == "Un nouvel énoncé pour REC-1."
    assert statements["REC-2"] == "Un nouvel énoncé pour REC-2."
    verify = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", "verify"],
        env={**os.environ, "REFERENTIEL_DATABASE_URL": DATABASE_URL},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0 and "3 release(s) checked, 0 mismatch(es)." in verify.stderr, verify.stderr
    server.assert_clean_log()


async def test_20_simultaneous_registrations_with_one_email_make_one_account(start_server):
    server = await start_server()
    # The same address, written differently: it is normalised before it is compared.
    emails = ["meme@example.org", "Meme@Example.org", "MEME@EXAMPLE.ORG", " meme@example.org "]
    calls = [
        Call(
            "POST",
            "/accounts",
            json={"email": emails[i % len(emails)], "password": PASSWORD, "display_name": f"Même {i}"},
        )
        for i in range(20)
    ]
    responses = await fire(server, calls)

    accounts = await Account.select(Account.id).where(Account.email == "meme@example.org")
    registered = await AuditEntry.count().where(AuditEntry.action == "account.registered")
    figures("20 registrations, one email", responses, account_rows=len(accounts), audit_entries=registered)
    assert_deliberate(responses, {201})
    # Every caller gets the same answer (nobody learns the address was taken); one account is made.
    assert statuses(responses) == {201: 20}
    assert len(accounts) == 1 and registered == 1
    assert {r.json()["email"] for r in responses} == {"meme@example.org"}
    await assert_audit_chain_unbroken()
    server.assert_clean_log()


async def test_50_concurrent_comments_and_votes_from_25_people(start_server):
    world = await world_in_vote(members=25)
    [pid] = world.proposals
    server = await start_server()
    calls = []
    for i, member in enumerate(world.members):
        body = {"body": f"Commentaire n°{i} : *d'accord* sur le fond."}
        calls.append(Call("POST", f"/proposals/{pid}/comments", member.headers, body, label="comment"))
        choice = {"choice": ("for", "against", "abstain")[i % 3]}
        calls.append(Call("PUT", f"/proposals/{pid}/vote", member.headers, choice, label="vote"))
    random.Random(2026).shuffle(calls)
    responses = await fire(server, calls)

    by_kind: dict[str, list[tuple[Call, httpx.Response]]] = {"comment": [], "vote": []}
    for call, response in zip(calls, responses, strict=True):
        by_kind[call.label].append((call, response))
    comments = await Comment.select(Comment.author, Comment.body).where(Comment.proposal == pid)
    ballots = await Ballot.select(Ballot.voter, Ballot.choice).where(Ballot.proposal == pid)
    chain = await assert_audit_chain_unbroken()
    figures(
        "25 people, 50 comments and votes",
        responses,
        comment_rows=len(comments),
        ballot_rows=len(ballots),
        audit_entries=chain,
    )
    assert_deliberate(responses, {200, 201})
    for kind, expected in (("comment", 201), ("vote", 200)):
        refused = Counter(r.status_code for _, r in by_kind[kind] if r.status_code != expected)
        print(f"[{ENGINE}]   {kind}s: {len(by_kind[kind])} sent, refused {dict(refused) or 'none'}")
    stored_comments = {row["body"] for row in comments}
    accepted_comments = {call.json["body"] for call, r in by_kind["comment"] if r.status_code == 201}
    assert stored_comments == accepted_comments
    assert len(comments) == len(accepted_comments)
    by_token = {member.headers["Authorization"]: member.account.id for member in world.members}
    accepted_votes = {
        by_token[call.headers["Authorization"]]: call.json["choice"]
        for call, r in by_kind["vote"]
        if r.status_code == 200
    }
    assert {row["voter"]: row["choice"] for row in ballots} == accepted_votes
    # Nothing is refused here: the vote is open and every writer is a member.
    assert statuses(responses) == {200: 25, 201: 25}
    assert await audit_actions("comment.added", pid) == 25 and await audit_actions("vote.cast", pid) == 25
    server.assert_clean_log()


async def test_comments_from_the_test_process_and_the_server_do_not_collide(start_server):
    """A writer outside the server (the domain function, as a script would call it) during a burst:
    neither side sees a lock error."""
    world = await world_in_vote(members=10)
    [pid] = world.proposals
    server = await start_server()
    calls = [
        Call("POST", f"/proposals/{pid}/comments", member.headers, {"body": f"Par HTTP {i}"})
        for i, member in enumerate(world.members)
    ]
    steward = world.steward.account.actor
    outside = [add_comment(steward, pid, f"Hors serveur {i}") for i in range(10)]
    responses, *direct = await asyncio.gather(fire(server, calls), *outside)

    stored = await Comment.count().where(Comment.proposal == pid)
    figures("10 HTTP comments + 10 direct ones", responses, comment_rows=stored, direct_writes=len(direct))
    assert_deliberate(responses, {201})
    assert statuses(responses) == {201: 10}
    assert stored == 20
    await assert_audit_chain_unbroken()
    server.assert_clean_log()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's whole-file write lock")
async def test_a_long_sqlite_write_lock_makes_requests_wait_not_fail(start_server):
    """Another process holds the write lock for 2 s during a burst: the server's writers wait their
    turn (busy timeout), then every one of them succeeds."""
    world = await world_in_vote(members=10)
    [pid] = world.proposals
    server = await start_server()
    calls = [
        Call("POST", f"/proposals/{pid}/comments", member.headers, {"body": f"Après l'attente {i}"})
        for i, member in enumerate(world.members)
    ]
    holder = sqlite3.connect(sqlite_file(), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        burst = asyncio.ensure_future(fire(server, calls))
        await asyncio.sleep(2)
        assert not burst.done()
        holder.execute("COMMIT")
        responses = await burst
        waited = time.monotonic() - started
    finally:
        holder.close()

    stored = await Comment.count().where(Comment.proposal == pid)
    figures(f"10 comments behind a 2 s lock (done after {waited:.1f} s)", responses, comment_rows=stored)
    assert_deliberate(responses, {201})
    assert statuses(responses) == {201: 10} and stored == 10
    server.assert_clean_log()
