"""Decisions and the releases accepted proposals become: quorum, thresholds, change classes, stale
amendments, automatic decisions, the audit log (on both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from indicators.tables import Indicator, IndicatorRevision
from indicators.tables import Release as ReleaseRow
from proposals.audit import GENESIS, entry_hash
from proposals.proposing import revise_proposal, withdraw_proposal
from proposals.reading import get_proposal
from proposals.tables import AuditEntry, Ballot, Proposal
from proposals.voting import (
    against_reasons,
    cast_vote,
    decide_due_proposals,
    decide_proposal,
    open_vote,
)
from proposals.working_groups import add_member
from tests.proposals.factories import (
    add_proposal,
    amend_proposal,
    in_vote,
    make_account,
    make_group,
    make_steward,
    release,
    retire_proposal,
    vote_all,
    voted,
)
from web.failures import Conflict, Forbidden

pytestmark = pytest.mark.usefixtures("db")


async def test_no_quorum_rejects_and_publishes_nothing():
    members = await make_group(size=5)
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    after = await voted(proposal, members[:2], ["for", "for"], steward)
    decision = await decide_proposal(None, proposal.id, now=after)
    assert (decision.status, decision.release_version) == ("rejected", None)
    assert decision.tally == {"for": 2, "against": 0, "abstain": 0, "group_size": 5, "quorum_reached": False}
    view = await get_proposal(proposal.id)
    assert (view.status, view.decided_at, view.tally) == ("rejected", after, decision.tally)
    assert await ReleaseRow.count() == 1


async def test_an_accepted_addition_is_published_as_a_minor_release_with_a_new_code():
    members = await make_group()
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    after = await voted(proposal, members, ["for", "for", "against"], steward)
    decision = await decide_proposal(None, proposal.id, now=after)
    assert (decision.status, decision.release_version) == ("accepted", "1.1.0")
    new = await release()
    assert new.version == "1.1.0" and new.proposal_id == proposal.id and new.summary == proposal.title
    theme, indicator = new.indicators()["REC-5"]
    assert theme.code == "REC" and indicator.text.title == "Le binôme se fixe des objectifs"
    assert indicator.revision == 1
    revision = await IndicatorRevision.select(IndicatorRevision.proposal_id).where(
        IndicatorRevision.indicator.code == "REC-5"
    )
    assert revision == [{"proposal_id": proposal.id}]
    view = await get_proposal(proposal.id)
    assert (view.status, view.release_version) == ("accepted", "1.1.0")
    assert view.tally == {"for": 2, "against": 1, "abstain": 0, "group_size": 3, "quorum_reached": True}
    decided = (
        await AuditEntry.select(AuditEntry.detail)
        .where(AuditEntry.action == "proposal.decided")
        .output(load_json=True)
    )
    assert decided[0]["detail"]["release"] == "1.1.0"


async def test_codes_are_never_reused_after_a_retirement():
    members = await make_group()
    steward = await make_steward()
    retire = await retire_proposal(await make_account(), "REC-4")
    after = await voted(retire, members, ["for"] * 3, steward)
    assert (await decide_proposal(None, retire.id, now=after)).release_version == "2.0.0"
    addition = await add_proposal(await make_account(), base_version="2.0.0")
    after = await voted(addition, members, ["for"] * 3, steward)
    assert (await decide_proposal(steward, addition.id, now=after)).release_version == "2.1.0"
    assert sorted(code for code in (await release()).indicators() if code.startswith("REC")) == [
        "REC-1",
        "REC-2",
        "REC-3",
        "REC-5",
    ]


@pytest.mark.parametrize(
    ("choices", "status", "version"),
    [(["for", "for", "against"], "accepted", "2.0.0"), (["for", "against"], "rejected", None)],
)
async def test_a_retirement_needs_two_thirds_and_is_major(choices, status, version):
    members = await make_group(("EVA",))
    proposal = await retire_proposal(await make_account(), "EVA-5")
    after = await voted(proposal, members[: len(choices)], choices, await make_steward())
    decision = await decide_proposal(None, proposal.id, now=after)
    assert (decision.status, decision.release_version) == (status, version)
    assert ("EVA-5" in (await release()).indicators()) is (status == "rejected")


async def test_an_editorial_amendment_is_a_patch_release():
    members = await make_group()
    proposal = await amend_proposal(await make_account(), "REC-2", change_class="patch")
    after = await voted(proposal, members, ["for", "abstain"], await make_steward())
    assert (await decide_proposal(None, proposal.id, now=after)).release_version == "1.0.1"
    _, indicator = (await release()).indicators()["REC-2"]
    assert (indicator.revision, indicator.text.statement) == (2, "Un nouvel énoncé pour REC-2.")


async def test_a_stale_amendment_cannot_be_accepted_and_nothing_changes():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    first = await amend_proposal(author, "REC-1")
    second = await amend_proposal(author, "REC-1", content={"title": "Un autre titre"})
    other = await amend_proposal(author, "REC-3")  # another indicator, also against 1.0.0
    for proposal in (first, second, other):
        await in_vote(proposal, steward)
    now = (await get_proposal(first.id)).vote_opened_at + timedelta(minutes=1)
    for proposal in (first, second, other):
        await vote_all(proposal.id, members, ["for"] * 3, now)
    assert (await decide_proposal(steward, first.id, now=now)).release_version == "1.1.0"
    assert (await get_proposal(second.id)).stale and not (await get_proposal(other.id)).stale
    audit_before = await AuditEntry.count()
    with pytest.raises(Conflict, match="The indicator changed since this proposal was written"):
        await decide_proposal(steward, second.id, now=now)
    view = await get_proposal(second.id)
    assert (view.status, view.decided_at, view.tally, view.release_version) == ("voting", None, None, None)
    assert await AuditEntry.count() == audit_before
    assert (await release()).version == "1.1.0"
    # The amendment of another indicator written against 1.0.0 still applies.
    assert (await decide_proposal(steward, other.id, now=now)).release_version == "1.2.0"
    latest = (await release()).indicators()
    assert latest["REC-1"][1].text.statement == "Un nouvel énoncé pour REC-1."
    assert latest["REC-3"][1].text.statement == "Un nouvel énoncé pour REC-3."
    # Its author brings it onto the current text: back to discussion, ballots on the old text gone.
    rebased = await revise_proposal(author, second.id, view.revision, rebase=True)
    assert (rebased.status, rebased.stale, rebased.closes_at) == ("discussion", False, None)
    assert await Ballot.count().where(Ballot.proposal == second.id) == 0
    with pytest.raises(Conflict, match="only a proposal in discussion"):
        await revise_proposal(author, other.id, 1, title="Trop tard")


async def test_the_author_updates_a_stale_amendment_against_the_current_text():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    first = await amend_proposal(author, "REC-1")
    second = await amend_proposal(author, "REC-1", content={"title": "Un autre titre"})
    after = await voted(first, members, ["for"] * 3, steward)
    await decide_proposal(None, first.id, now=after)
    assert (await get_proposal(second.id)).stale
    rebased = await revise_proposal(author, second.id, 1, rebase=True)
    assert (rebased.base_version, rebased.base_revision, rebased.stale) == ("1.1.0", 2, False)
    # Only its own change is applied to the current text: the first amendment's statement stays.
    assert rebased.proposed.statement == "Un nouvel énoncé pour REC-1."
    assert [c.name for c in rebased.diff] == ["title", "title_en"]
    after = await voted(rebased, members, ["for"] * 3, steward)
    assert (await decide_proposal(None, second.id, now=after)).release_version == "1.2.0"
    _, indicator = (await release()).indicators()["REC-1"]
    assert (indicator.revision, indicator.text.title) == (3, "Un autre titre")


async def test_who_decides_and_when():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    proposal = await add_proposal(author)
    now = await in_vote(proposal, steward)
    await cast_vote(members[0], proposal.id, "for", now=now)
    with pytest.raises(Forbidden, match="Only a steward"):
        await decide_proposal(members[0], proposal.id, now=now)
    with pytest.raises(Conflict, match=r"closes at .* only a steward may close it earlier"):
        await decide_proposal(None, proposal.id, now=now)
    await cast_vote(members[1], proposal.id, "for", now=now)
    assert (await decide_proposal(steward, proposal.id, now=now)).status == "accepted"
    with pytest.raises(Conflict, match="is accepted: only a proposal being voted on is decided"):
        await decide_proposal(steward, proposal.id, now=now)
    with pytest.raises(Conflict, match="The vote is not open"):
        await cast_vote(members[2], proposal.id, "for", now=now)
    with pytest.raises(Conflict, match="is accepted: it can no longer be withdrawn"):
        await withdraw_proposal(author, proposal.id)
    assert await ReleaseRow.count() == 2


async def test_the_group_size_is_the_one_at_decision_time():
    members = await make_group()
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    after = await voted(proposal, members[:2], ["for", "for"], steward)
    group_id = (await Proposal.raw("SELECT id FROM working_group"))[0]["id"]
    for _ in range(3):
        await add_member(steward, group_id, (await make_account()).id)
    decision = await decide_proposal(None, proposal.id, now=after)
    assert decision.tally["group_size"] == 6 and decision.status == "rejected"


async def test_due_proposals_are_decided_automatically_and_stale_ones_wait():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    first = await amend_proposal(author, "REC-1")
    stale = await amend_proposal(author, "REC-1", content={"title": "Autre"})
    rejected = await add_proposal(author)
    later = await add_proposal(author, title="Encore")
    for proposal in (first, stale, rejected):
        now = await in_vote(proposal, steward)
        await vote_all(proposal.id, members, ["for", "for", "against"] if proposal != rejected else [], now)
    closes_at = (await get_proposal(rejected.id)).closes_at
    await open_vote(steward, later.id, now=closes_at)
    assert await decide_due_proposals(now=closes_at - timedelta(minutes=10)) == 0
    assert await decide_due_proposals(now=closes_at + timedelta(seconds=1)) == 2
    statuses = {p.id: (await get_proposal(p.id)).status for p in (first, stale, rejected, later)}
    assert statuses == {first.id: "accepted", stale.id: "voting", rejected.id: "rejected", later.id: "voting"}
    decided = await AuditEntry.select(AuditEntry.actor).where(AuditEntry.action == "proposal.decided")
    assert decided == [{"actor": None}, {"actor": None}]


async def test_reasons_against_are_shown_once_decided():
    members = await make_group()
    proposal = await add_proposal(await make_account())
    now = await in_vote(proposal, await make_steward())
    await cast_vote(members[0], proposal.id, "against", reason="Déjà couvert par REC-2", now=now)
    await cast_vote(members[1], proposal.id, "against", now=now)
    await cast_vote(members[2], proposal.id, "for", reason="Utile", now=now)
    assert await against_reasons(proposal.id) == []
    await decide_proposal(None, proposal.id, now=(await get_proposal(proposal.id)).closes_at)
    assert await against_reasons(proposal.id) == [(members[0].display_name, "Déjà couvert par REC-2")]


async def test_a_failure_inside_the_decision_leaves_nothing_half_written(monkeypatch):
    members = await make_group()
    proposal = await add_proposal(await make_account())
    after = await voted(proposal, members, ["for"] * 3, await make_steward())
    audit_before = await AuditEntry.count()

    async def broken_record(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("proposals.voting.record", broken_record)
    with pytest.raises(RuntimeError, match="disk full"):
        await decide_proposal(None, proposal.id, now=after)
    assert (await get_proposal(proposal.id)).status == "voting"
    assert await ReleaseRow.count() == 1
    assert await Indicator.count().where(Indicator.code == "REC-5") == 0
    assert await IndicatorRevision.count() == 35
    assert await AuditEntry.count() == audit_before
    monkeypatch.undo()
    assert (await decide_proposal(None, proposal.id, now=after)).release_version == "1.1.0"


async def test_every_change_is_in_the_audit_log_with_a_valid_chain():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    proposal = await add_proposal(author)
    await revise_proposal(author, proposal.id, 1, title="Titre revu")
    after = await voted(proposal, members[:2], ["for", "against"], steward)
    await cast_vote(members[2], proposal.id, "for", now=after - timedelta(minutes=5))
    await decide_proposal(None, proposal.id, now=after)
    entries = await AuditEntry.select().order_by(AuditEntry.id).output(load_json=True)
    assert [e["action"] for e in entries] == [
        "proposal.created",
        "proposal.revised",
        "vote.opened",
        "vote.cast",
        "vote.cast",
        "vote.cast",
        "proposal.decided",
    ]
    previous = GENESIS
    for entry in entries:
        assert entry["prev_hash"] == previous
        target = (entry["target_type"], entry["target_id"])
        assert entry["entry_hash"] == entry_hash(
            previous, entry["at"], entry["actor"], entry["action"], target, entry["detail"]
        )
        previous = entry["entry_hash"]
    assert entries[-1]["detail"] == {
        "status": "accepted",
        "tally": {"for": 2, "against": 1, "abstain": 0, "group_size": 3, "quorum_reached": True},
        "eligible": sorted(member.id for member in members),
        "release": "1.1.0",
        "automatic": True,
    }


async def test_an_accepted_amendment_is_not_stale_once_published():
    members = await make_group()
    proposal = await amend_proposal(await make_account(), "REC-1")
    after = await voted(proposal, members, ["for"] * 3, await make_steward())
    await decide_proposal(None, proposal.id, now=after)
    view = await get_proposal(proposal.id)
    assert (view.status, view.stale, view.release_version) == ("accepted", False, "1.1.0")
    assert [c.name for c in view.diff] == ["statement", "statement_en"]
