"""Opening a vote and casting ballots: who may, when, and what the database refuses (on both engines).
Decisions are tested in test_decisions.py, races and query counts in test_voting_under_load.py."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, timedelta

import pytest

from proposals.reading import get_proposal
from proposals.roles import Role
from proposals.rules import set_rule
from proposals.tables import AuditEntry, Ballot
from proposals.voting import (
    VoteStatus,
    against_reasons,
    cast_vote,
    my_ballot,
    open_vote,
    vote_status,
)
from tests.constants import SLUG
from tests.proposals.factories import add_proposal, in_vote, make_account, make_group, make_steward
from web.failures import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.usefixtures("db")


async def test_the_author_opens_the_vote_only_after_the_minimum_discussion():
    await make_group()
    author = await make_account()
    proposal = await add_proposal(author)
    earliest = f"{(proposal.created_at + timedelta(days=7)).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    with pytest.raises(Conflict, match=f"discussion time is not over: you may open the vote from {earliest}"):
        await open_vote(author, proposal.id, now=proposal.created_at + timedelta(days=6, hours=23))
    with pytest.raises(Forbidden, match="Only a steward, or the proposal's author"):
        await open_vote(await make_account(role=Role.member), proposal.id)
    later = proposal.created_at + timedelta(days=7)
    opened = await open_vote(author, proposal.id, now=later)
    assert (opened.status, opened.vote_opened_at, opened.closes_at) == (
        "voting",
        later,
        later + timedelta(days=7),
    )
    with pytest.raises(Conflict, match="is being voted on: a vote opens only on a proposal in discussion"):
        await open_vote(author, proposal.id, now=later)


async def test_a_steward_opens_at_any_time_with_the_framework_rule():
    await make_group()
    steward = await make_steward()
    await set_rule(steward, SLUG, voting_days=3)
    proposal = await add_proposal(await make_account())
    opened = await open_vote(steward, proposal.id)
    assert opened.closes_at - opened.vote_opened_at == timedelta(days=3)
    status = await vote_status(proposal.id)
    assert (status.group_size, status.voted, status.quorum_needed) == (3, 0, 2)


async def test_no_vote_without_a_working_group_with_members():
    steward = await make_steward()
    await make_group(("SEL",), size=0)
    for theme in ("REC", "SEL"):
        proposal = await add_proposal(await make_account(), theme=theme)
        with pytest.raises(Conflict, match=f"No working group with members answers for the theme {theme}"):
            await open_vote(steward, proposal.id)
        assert (await get_proposal(proposal.id)).status == "discussion"


async def test_only_members_of_the_responsible_group_vote_and_only_while_open():
    members = await make_group(("REC",))
    others = await make_group(("SEL",), name="Autre")
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    with pytest.raises(Conflict, match="The vote is not open"):
        await cast_vote(members[0], proposal.id, "for")
    now = await in_vote(proposal, steward)
    for outsider in (others[0], steward):
        with pytest.raises(Forbidden, match="Only members of the working group responsible"):
            await cast_vote(outsider, proposal.id, "for", now=now)
    with pytest.raises(InvalidInput, match="Unknown choice 'maybe'"):
        await cast_vote(members[0], proposal.id, "maybe", now=now)
    with pytest.raises(InvalidInput, match="reason for your vote is too long"):
        await cast_vote(members[0], proposal.id, "for", reason="r" * 2001, now=now)
    closes_at = (await get_proposal(proposal.id)).closes_at
    with pytest.raises(Conflict, match="The vote is not open"):
        await cast_vote(members[0], proposal.id, "for", now=closes_at)
    assert await Ballot.count() == 0


async def test_a_second_vote_replaces_the_first_and_the_tally_stays_hidden():
    members = await make_group()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, await make_steward())
    await cast_vote(members[0], proposal.id, "for", now=now)
    second = await cast_vote(
        members[0], proposal.id, "against", reason="Trop vague", now=now + timedelta(hours=1)
    )
    rows = await Ballot.select(Ballot.voter, Ballot.choice, Ballot.reason)
    assert rows == [{"voter": members[0].id, "choice": "against", "reason": "Trop vague"}]
    assert (await my_ballot(proposal.id, members[0].id)) == second
    assert await my_ballot(proposal.id, members[1].id) is None
    status = await vote_status(proposal.id)
    assert {f.name for f in fields(VoteStatus)} == {
        "status",
        "group_size",
        "voted",
        "quorum_needed",
        "vote_opened_at",
        "closes_at",
    }
    assert (status.voted, status.group_size) == (1, 3)
    assert (await get_proposal(proposal.id)).tally is None
    assert await against_reasons(proposal.id) == []
    casts = (
        await AuditEntry.select(AuditEntry.detail)
        .where(AuditEntry.action == "vote.cast")
        .output(load_json=True)
    )
    assert casts == [{"detail": {}}, {"detail": {}}]


async def test_the_database_refuses_a_second_ballot_row():
    members = await make_group()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, await make_steward())
    await cast_vote(members[0], proposal.id, "for", now=now)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await Ballot.insert(Ballot(proposal=proposal.id, voter=members[0].id, choice="against", cast_at=now))
    assert await Ballot.count() == 1
