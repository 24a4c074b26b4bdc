"""Ballots from many voters on several proposals at once, through `referentiel serve --workers 2`:
each accepted ballot is stored once, logged once, and the audit log's streams hold."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from proposals.tables import AuditEntry, Ballot
from tests.concurrency.racing import (
    Call,
    assert_audit_chain_unbroken,
    assert_deliberate,
    figures,
    fire,
    statuses,
    world_in_vote,
)
from tests.server.live import run_cli

pytestmark = pytest.mark.usefixtures("db")

CHOICES = ("for", "against", "abstain")


async def test_90_concurrent_ballots_on_3_proposals_are_each_recorded_once(start_server):
    world = await world_in_vote(members=30, indicators=("REC-1", "REC-2", "REC-3"))
    server = await start_server()
    calls = [
        Call("PUT", f"/proposals/{pid}/vote", member.headers, {"choice": CHOICES[(i + n) % 3]})
        for n, pid in enumerate(world.proposals)
        for i, member in enumerate(world.members)
    ]
    random.Random(15).shuffle(calls)
    responses = await fire(server, calls)

    ballots = await Ballot.select(Ballot.proposal, Ballot.voter, Ballot.choice)
    cast = await AuditEntry.select(AuditEntry.target_id, AuditEntry.actor).where(
        AuditEntry.action == "vote.cast"
    )
    chain = await assert_audit_chain_unbroken()
    figures("30 voters × 3 proposals", responses, ballot_rows=len(ballots), audit_entries=chain)
    assert_deliberate(responses, {200})
    assert statuses(responses) == {200: 90}  # the votes are open and every voter a member
    by_token = {member.headers["Authorization"]: member.account.id for member in world.members}
    accepted = {
        (int(call.path.split("/")[2]), by_token[call.headers["Authorization"]]): call.json["choice"]
        for call, response in zip(calls, responses, strict=True)
        if response.status_code == 200
    }
    assert {(row["proposal"], row["voter"]): row["choice"] for row in ballots} == accepted
    assert Counter((row["target_id"], row["actor"]) for row in cast) == Counter(dict.fromkeys(accepted, 1))
    verified = run_cli(server.database_url, "verify")
    assert verified.returncode == 0 and "hash chain intact" in verified.stderr, verified.stderr
    server.assert_clean_log()
