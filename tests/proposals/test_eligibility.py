"""Who may vote, and whose ballot counts: only active accounts with the member role (or above) that
belong to the responsible working group when the vote closes. Losing any of these takes effect on
open votes at once: the account can no longer vote, its ballot stops counting and it leaves the
quorum's denominator; getting it back before the close makes the ballot count again."""

from __future__ import annotations

import httpx
import pytest

from proposals.accounts import set_active, set_role
from proposals.roles import Actor, Role
from proposals.tables import AuditEntry
from proposals.voting import cast_vote, decide_proposal, vote_status
from proposals.working_groups import remove_member
from tests.proposals.factories import add_proposal, in_vote, make_account, make_group, make_steward, vote_all
from tests.server.live import as_dict
from web.failures import Forbidden

pytestmark = pytest.mark.usefixtures("db")


async def demote(steward: Actor, member: Actor) -> None:
    await set_role(steward, member.id, Role.practitioner.value)


async def deactivate(steward: Actor, member: Actor) -> None:
    await set_active(steward, member.id, False)


async def leave(steward: Actor, member: Actor) -> None:
    await remove_member(steward, 1, member.id)


LOSSES = [demote, deactivate, leave]


@pytest.mark.parametrize("lose", LOSSES, ids=lambda f: f.__name__)
async def test_losing_eligibility_stops_voting_and_counting_at_once(lose):
    members = await make_group(size=3)
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, steward)
    await vote_all(proposal.id, members, ["for", "against", "against"], now)
    assert (await vote_status(proposal.id)).group_size == 3
    await lose(steward, members[1])
    await lose(steward, members[2])
    status = await vote_status(proposal.id)
    assert (status.group_size, status.voted) == (1, 1)  # out of the denominator and of the count
    with pytest.raises(Forbidden):
        await cast_vote(members[1], proposal.id, "for", now=now)
    decision = await decide_proposal(steward, proposal.id)
    # Their two "against" no longer count: one "for" out of one voter.
    assert decision.status == "accepted"
    assert decision.tally == {"for": 1, "against": 0, "abstain": 0, "group_size": 1, "quorum_reached": True}
    record = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "proposal.decided").first()
    assert as_dict(record["detail"])["eligible"] == [members[0].id]


async def test_a_ballot_counts_again_when_eligibility_comes_back_before_the_close():
    members = await make_group(size=2)
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, steward)
    await vote_all(proposal.id, members, ["for", "against"], now)
    await deactivate(steward, members[1])
    assert (await vote_status(proposal.id)).voted == 1
    await set_active(steward, members[1].id, True)
    status = await vote_status(proposal.id)
    assert (status.group_size, status.voted) == (2, 2)
    decision = await decide_proposal(steward, proposal.id)
    assert decision.tally["against"] == 1 and decision.status == "rejected"


async def test_a_steward_in_the_group_votes():
    members = await make_group(size=1)
    steward = await make_steward()
    await set_role(steward, members[0].id, Role.steward.value)
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, steward)
    await cast_vote(members[0], proposal.id, "for", now=now)
    assert (await vote_status(proposal.id)).voted == 1


async def test_a_demotion_through_the_api_takes_effect_on_the_open_vote(client: httpx.AsyncClient):
    from proposals.access import create_api_token

    members = await make_group(size=2)
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    await in_vote(proposal, steward)

    async def bearer(actor: Actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {await create_api_token(actor.id)}"}

    member, boss = await bearer(members[0]), await bearer(steward)
    assert (
        await client.put(f"/api/v1/proposals/{proposal.id}/vote", json={"choice": "for"}, headers=member)
    ).status_code == 200
    before = (await client.get(f"/api/v1/proposals/{proposal.id}")).json()["vote"]
    assert (before["group_size"], before["voted"]) == (2, 1)
    demoted = await client.patch(
        f"/api/v1/accounts/{members[0].id}", json={"role": "practitioner"}, headers=boss
    )
    assert demoted.status_code == 200, demoted.text
    refused = await client.put(
        f"/api/v1/proposals/{proposal.id}/vote", json={"choice": "against"}, headers=member
    )
    assert refused.status_code == 403
    after = (await client.get(f"/api/v1/proposals/{proposal.id}")).json()["vote"]
    assert (after["group_size"], after["voted"]) == (1, 0)
