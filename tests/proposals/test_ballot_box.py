"""Ballots cast at once are written together (proposals/ballot_box.py), and each request still gets
its own answer: the refusals of one ballot leave the others written, on both engines."""

from __future__ import annotations

import asyncio

import pytest

from proposals.audit import check_chain
from proposals.tables import Account, AuditEntry, Ballot
from proposals.voting import cast_vote
from tests.proposals.factories import add_proposal, in_vote, make_account, make_group, make_steward
from web.database import before_commit, reading, write_turn
from web.failures import Conflict, Forbidden, NotFound

pytestmark = pytest.mark.usefixtures("db")


async def ballots() -> dict[tuple[int, int], str]:
    rows = await Ballot.select(Ballot.proposal, Ballot.voter, Ballot.choice)
    return {(row["proposal"], row["voter"]): row["choice"] for row in rows}


async def casts() -> int:
    return await AuditEntry.count().where(AuditEntry.action == "vote.cast")


async def test_ballots_cast_at_once_are_each_written_or_refused_on_their_own():
    *members, gone = await make_group(size=9)
    await Account.update({Account.is_active: False}).where(Account.id == gone.id)
    outsider = (await make_group(("SEL",), name="Autre"))[0]
    voting = await add_proposal(await make_account())
    closed = await add_proposal(await make_account())  # still in discussion: its vote is not open
    now = await in_vote(voting, await make_steward())
    pid = voting.id
    answers = await asyncio.gather(
        *(cast_vote(member, pid, ("for", "against")[i % 2], now=now) for i, member in enumerate(members)),
        cast_vote(outsider, pid, "for", now=now),
        cast_vote(gone, pid, "for", now=now),
        cast_vote(members[0], closed.id, "for", now=now),
        cast_vote(members[1], 999_999, "for", now=now),
        return_exceptions=True,
    )
    assert [type(answer).__name__ for answer in answers] == ["BallotView"] * 8 + [
        Forbidden.__name__,
        Forbidden.__name__,
        Conflict.__name__,
        NotFound.__name__,
    ]
    assert await ballots() == {(pid, m.id): ("for", "against")[i % 2] for i, m in enumerate(members)}
    assert await casts() == 8
    assert await check_chain() is None


async def test_the_same_voter_twice_at_once_keeps_the_ballot_sent_last():
    members = await make_group()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, await make_steward())
    await asyncio.gather(
        cast_vote(members[0], proposal.id, "for", now=now),
        cast_vote(members[0], proposal.id, "against", now=now),
        cast_vote(members[0], proposal.id, "abstain", now=now),
        cast_vote(members[1], proposal.id, "for", now=now),
    )
    assert await ballots() == {(proposal.id, members[0].id): "abstain", (proposal.id, members[1].id): "for"}
    assert await casts() == 4


async def test_a_ballot_its_request_refuses_before_commit_is_left_out_and_the_others_written():
    """The hook of `before_commit` (an Idempotency-Key marked applied) runs in the transaction that
    writes the request's ballot; one that raises (its key was taken over) keeps its ballot out."""
    members = await make_group(size=4)
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, await make_steward())
    ran: list[int] = []

    async def vote(member, refuse: bool = False):
        async def hook() -> None:
            if refuse:
                raise Conflict("This request was taken over by a retry.")
            ran.append(member.id)

        with before_commit(hook):
            return await cast_vote(member, proposal.id, "for", now=now)

    answers = await asyncio.gather(
        vote(members[0]), vote(members[2], refuse=True), vote(members[1]), vote(members[3]),
        return_exceptions=True,
    )
    assert isinstance(answers[1], Conflict)
    kept = [members[0].id, members[1].id, members[3].id]
    assert set(await ballots()) == {(proposal.id, voter) for voter in kept}
    assert set(ran) == set(kept)
    assert await casts() == 3
    assert await check_chain() is None


async def test_reads_and_counters_on_their_own_do_not_run_the_hook_of_the_request():
    """On SQLite `reading` and `write_turn` are transactions; the request's change is elsewhere."""
    ran: list[str] = []

    async def hook() -> None:
        ran.append("hook")

    with before_commit(hook):
        async with reading():
            await Ballot.count()
        async with write_turn():
            await Ballot.delete().where(Ballot.id < 0)
        assert ran == []
        async with Ballot._meta.db.transaction():
            await Ballot.delete().where(Ballot.id < 0)
    assert ran == ["hook"]
