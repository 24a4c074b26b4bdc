"""Votes and decisions under concurrency (one decision, distinct codes, one ballot) and reading
proposals in a fixed number of queries."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from indicators.tables import Release as ReleaseRow
from proposals.discussion import list_comments, proposal_timeline
from proposals.reading import get_proposal, list_proposals
from proposals.tables import AuditEntry, Ballot, Proposal
from proposals.voting import (
    cast_vote,
    decide_proposal,
)
from tests.constants import SLUG
from tests.proposals.factories import (
    add_proposal,
    amend_proposal,
    in_vote,
    make_account,
    make_group,
    make_steward,
    release,
    vote_all,
    voted,
)

pytestmark = pytest.mark.usefixtures("db")


async def test_two_concurrent_decisions_of_one_proposal_decide_it_once():
    members = await make_group()
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    after = await voted(proposal, members, ["for"] * 3, steward)
    results = await asyncio.gather(
        decide_proposal(steward, proposal.id, now=after),
        decide_proposal(None, proposal.id, now=after),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Decision"]
    assert await ReleaseRow.count() == 2
    assert await AuditEntry.count().where(AuditEntry.action == "proposal.decided") == 1


async def test_concurrent_additions_to_one_theme_get_distinct_codes():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    proposals = [await add_proposal(author, title=f"Ajout {i}") for i in range(3)]
    now = None
    for proposal in proposals:
        now = await in_vote(proposal, steward)
    for proposal in proposals:
        await vote_all(proposal.id, members, ["for"] * 3, now)
    decisions = await asyncio.gather(*(decide_proposal(steward, p.id, now=now) for p in proposals))
    assert sorted(d.release_version for d in decisions) == ["1.1.0", "1.2.0", "1.3.0"]
    codes = {code for code in (await release()).indicators() if code.startswith("REC")}
    assert {"REC-5", "REC-6", "REC-7"} <= codes


async def test_concurrent_votes_of_one_member_leave_one_ballot():
    members = await make_group()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, await make_steward())
    await asyncio.gather(
        *(cast_vote(members[0], proposal.id, c, now=now) for c in ("for", "against", "abstain"))
    )
    assert await Ballot.count() == 1


@contextlib.contextmanager
def counting_queries(monkeypatch):
    engine_class = type(Proposal._meta.db)
    run = engine_class.run_querystring
    count = [0]

    async def counted(self, *args, **kwargs):
        count[0] += 1
        return await run(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(engine_class, "run_querystring", counted)
        yield count


async def test_reading_proposals_takes_a_fixed_number_of_queries(monkeypatch):
    author = await make_account()
    for i in range(2):
        await add_proposal(author, title=f"Ajout {i}")
        await amend_proposal(author, f"SEL-{i + 1}")
    few = []
    with counting_queries(monkeypatch) as count:
        await list_proposals(SLUG)
        few.append(count[0])
    for i in range(6):
        await add_proposal(author, title=f"Encore {i}")
        await amend_proposal(author, f"FOR-{i % 4 + 1}")
    with counting_queries(monkeypatch) as count:
        page = await list_proposals(SLUG)
        few.append(count[0])
        proposal = page.items[0].id
        before = count[0]
        await get_proposal(proposal)
        await list_comments(proposal)
        await proposal_timeline(proposal)
        reading_one = count[0] - before
    assert page.total == 16 and 2 <= few[0] == few[1] <= 4
    assert 3 <= reading_one <= 8
