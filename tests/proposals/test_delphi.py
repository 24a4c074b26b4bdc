"""Delphi rating rounds through the use cases: opening, rating, closing, re-rating, concluding (on both
engines). Statistics: test_delphi_statistics.py; pages and API: test_delphi_web.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from indicators.queries import find_release, get_framework, indicator_history
from proposals.delphi import close_due_rounds, close_round, next_round, open_process, rate_item
from proposals.delphi_conclusion import conclude_process
from proposals.delphi_reading import get_process, my_ratings, panel_comments, round_progress
from proposals.last_call import open_last_call
from proposals.proposing import revise_proposal, withdraw_proposal
from proposals.reading import get_proposal
from proposals.rules import set_rule
from proposals.tables import AuditEntry, DelphiRating, WorkingGroup
from proposals.voting import open_vote
from tests.constants import SLUG
from tests.proposals.factories import add_proposal, amend_proposal, make_account, make_group, make_steward
from web.failures import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn

pytestmark = pytest.mark.usefixtures("db")

SOON = timedelta(days=7)


async def group_id() -> int:
    return (await WorkingGroup.select(WorkingGroup.id).order_by(WorkingGroup.id, ascending=False).first())[
        "id"
    ]


async def start(size: int = 5, proposals: int = 2, **options):
    """A steward, a group of `size` members answering for REC, `proposals` proposals in discussion and
    a process open on them."""
    members = await make_group(("REC",), size=size)
    steward = await make_steward()
    author = await make_account()
    items = [await add_proposal(author, title=f"Proposition {n}") for n in range(proposals)]
    process = await open_process(
        steward,
        await group_id(),
        "Sélection 2027",
        [p.id for p in items],
        datetime.now(UTC) + SOON,
        **options,
    )
    return steward, members, author, [p.id for p in items], process


async def rate_all(process, members, proposal_id, values, criterion_values=None):
    for member, value in zip(members, values, strict=True):
        ratings = criterion_values(value) if criterion_values else {"relevance": value, "feasibility": value}
        await rate_item(member, process, proposal_id, ratings)


async def test_a_steward_opens_a_process_on_proposals_of_the_group():
    steward, members, _author, ids, process = await start(instructions="Notez **chaque** item.")
    view = await get_process(process)
    assert (view.title, view.criteria, view.status, view.working_group) == (
        "Sélection 2027",
        ("relevance", "feasibility"),
        "rating",
        "GT",
    )
    assert "<strong>chaque</strong>" in view.instructions_html
    assert [i.proposal_id for i in view.rounds[0].items] == ids
    with pytest.raises(Forbidden, match="Only a steward"):
        await open_process(members[0], await group_id(), "Autre", ids, datetime.now(UTC) + SOON)
    with pytest.raises(NotSignedIn):
        await open_process(None, await group_id(), "Autre", ids, datetime.now(UTC) + SOON)
    with pytest.raises(Conflict, match=f"Proposal {ids[0]} is already rated in another Delphi process"):
        await open_process(steward, await group_id(), "Autre", ids, datetime.now(UTC) + SOON)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"title": " "}, "title is empty"),
        ({"proposals": []}, "Choose at least one proposal"),
        ({"proposals": [1, 1]}, "listed once only"),
        ({"proposals": ["1"]}, "positive whole number"),
        ({"closes_at": datetime(2020, 1, 1, tzinfo=UTC)}, "must be in the future"),
        ({"closes_at": datetime(2099, 1, 1)}, "with its time zone"),
        ({"closes_at": datetime.now(UTC) + timedelta(days=91)}, "at most 90 days"),
        ({"criteria": []}, "list of one to 5 names"),
        ({"criteria": ["a", "a"]}, "named once only"),
        ({"criteria": list("abcdef")}, "At most 5 criteria"),
    ],
)
async def test_what_a_process_may_not_be(arguments, message):
    await make_group(("REC",), size=3)
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    given = {"title": "T", "proposals": [proposal.id], "closes_at": datetime.now(UTC) + SOON, **arguments}
    with pytest.raises(InvalidInput, match=message):
        await open_process(steward, await group_id(), **given)


async def test_only_proposals_in_discussion_of_the_group_themes_and_a_panel_of_three():
    await make_group(("REC",), size=3)
    other = await make_group(("SEL",), size=2, name="Petit")
    steward = await make_steward()
    author = await make_account()
    rec, sel = await add_proposal(author), await add_proposal(author, theme="SEL")
    closes = datetime.now(UTC) + SOON
    with pytest.raises(Conflict, match=f"Proposal {sel.id} is in the theme SEL"):
        await open_process(steward, await group_id() - 1, "T", [rec.id, sel.id], closes)
    with pytest.raises(Conflict, match="needs 3 members who may vote at least"):
        await open_process(steward, await group_id(), "T", [sel.id], closes)
    with pytest.raises(NotFound, match="no proposal number 999"):
        await open_process(steward, await group_id() - 1, "T", [999], closes)
    await withdraw_proposal(author, rec.id)
    with pytest.raises(Conflict, match=f"Proposal {rec.id} is withdrawn"):
        await open_process(steward, await group_id() - 1, "T", [rec.id], closes)
    assert other


async def test_a_rated_proposal_is_not_voted_revised_or_withdrawn_until_the_conclusion():
    steward, _members, author, ids, process = await start(proposals=1)
    held = f"Proposal {ids[0]} is being rated by its working group \\(Delphi process {process}\\)"
    with pytest.raises(Conflict, match=held):
        await open_vote(steward, ids[0])
    with pytest.raises(Conflict, match=held):
        await revise_proposal(author, ids[0], 1, title="Nouveau titre")
    with pytest.raises(Conflict, match=held):
        await withdraw_proposal(author, ids[0])


async def test_members_rate_change_their_rating_and_see_only_their_own():
    _steward, members, _author, ids, process = await start()
    await rate_item(members[0], process, ids[0], {"relevance": 8, "feasibility": 3}, "Utile mais coûteux")
    await rate_item(members[0], process, ids[0], {"relevance": 9})  # again: replaces, comment included
    mine = await my_ratings(members[0].id, process)
    assert [(m.round, m.proposal_id, m.ratings, m.comment) for m in mine] == [
        (1, ids[0], {"relevance": 9}, "")
    ]
    assert await my_ratings(members[1].id, process) == []
    assert await DelphiRating.count() == 1


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ({}, "Rate the item on its criteria"),
        ({"beauty": 5}, "Unknown criterion 'beauty'"),
        ({"relevance": 0}, "whole number from 1 to 9"),
        ({"relevance": 10}, "whole number from 1 to 9"),
        ({"relevance": 7.5}, "whole number from 1 to 9"),
        ({"relevance": True}, "whole number from 1 to 9"),
        ([7, 7], "Rate the item on its criteria"),
    ],
)
async def test_ratings_are_whole_numbers_from_one_to_nine_on_the_process_criteria(ratings, message):
    _steward, members, _author, ids, process = await start(proposals=1)
    with pytest.raises(InvalidInput, match=message):
        await rate_item(members[0], process, ids[0], ratings)


async def test_only_the_panel_rates_only_the_items_and_only_while_the_round_is_open():
    steward, members, _author, ids, process = await start(proposals=1)
    for outsider in (steward, await make_account()):
        with pytest.raises(Forbidden, match="Only members of the working group may rate"):
            await rate_item(outsider, process, ids[0], {"relevance": 5})
    other = await add_proposal(await make_account())
    with pytest.raises(NotFound, match=f"Proposal {other.id} is not rated in round 1"):
        await rate_item(members[0], process, other.id, {"relevance": 5})
    with pytest.raises(Conflict, match="closed at its closing time"):
        await rate_item(members[0], process, ids[0], {"relevance": 5}, now=datetime.now(UTC) + SOON)
    await close_round(steward, process)
    with pytest.raises(Conflict, match="No round of this Delphi process is open"):
        await rate_item(members[0], process, ids[0], {"relevance": 5})


async def test_the_close_classifies_each_item_from_the_panel_ratings():
    steward, members, _author, ids, process = await start(size=5, proposals=3)
    await rate_all(process, members, ids[0], [7, 8, 8, 9, 9])  # appropriate on both
    await rate_all(process, members, ids[1], [1, 2, 2, 3, 5])  # inappropriate
    await rate_all(process, members[:4], ids[2], [1, 9, 1, 9])  # disagreement
    progress = await round_progress(await get_process(process))
    assert (progress.panel_size, progress.completed) == (5, 4)
    assert [name for _id, name in progress.pending] == ["GT member 5"]
    with pytest.raises(Forbidden, match="Only a steward"):
        await close_round(members[0], process)
    assert await close_round(steward, process) == 1
    view = await get_process(process)
    first = view.rounds[0]
    assert (first.panel_size, first.respondents, first.completed, first.response_rate) == (5, 5, 4, 0.8)
    outcomes = {item.proposal_id: item.outcome for item in first.items}
    assert outcomes == {ids[0]: "retained", ids[1]: "rejected", ids[2]: "re_rate"}
    relevance = first.items[0].figures["relevance"]
    assert relevance == {
        "ratings": 5,
        "counts": [0, 0, 0, 0, 0, 0, 1, 2, 2],
        "median": 8,
        "p30": 8,
        "p70": 8.8,
        "ipr": 0.8,
        "ipras": 7.45,
        "disagreement": False,
        "classification": "appropriate",
    }
    assert first.items[2].figures["relevance"]["disagreement"] is True
    assert view.status == "between_rounds" and view.items_to_re_rate == (ids[2],)


async def test_fewer_than_three_ratings_show_no_figures():
    steward, members, _author, ids, process = await start(size=5, proposals=1)
    await rate_all(process, members[:2], ids[0], [9, 9])
    await close_round(steward, process)
    item = (await get_process(process)).rounds[0].items[0]
    assert item.figures == {
        "relevance": {"ratings": 2, "too_few": True},
        "feasibility": {"ratings": 2, "too_few": True},
    }
    assert item.outcome == "re_rate"


async def test_only_the_panel_at_the_close_counts():
    steward, members, _author, ids, process = await start(size=4, proposals=1)
    await rate_all(process, members, ids[0], [1, 1, 1, 9])
    from proposals.working_groups import remove_member

    await remove_member(steward, await group_id(), members[0].id)
    await close_round(steward, process)
    first = (await get_process(process)).rounds[0]
    assert first.panel_size == 3
    assert first.items[0].figures["relevance"]["counts"] == [2, 0, 0, 0, 0, 0, 0, 0, 1]


async def test_the_next_round_re_rates_the_uncertain_items_with_the_panel_feedback():
    steward, members, _author, ids, process = await start(size=4, proposals=2)
    await rate_all(process, members, ids[0], [8, 8, 9, 9])
    for member, value, remark in zip(members, [1, 9, 1, 9], ["Zèle", "avis B", "Avis A", ""], strict=True):
        await rate_item(member, process, ids[1], {"relevance": value, "feasibility": 7}, remark)
    with pytest.raises(Conflict, match="Round 1 is still open: close it first"):
        await next_round(steward, process)
    await close_round(steward, process)
    with pytest.raises(Forbidden, match="Only a steward"):
        await next_round(members[0], process)
    assert await next_round(steward, process) == 2
    view = await get_process(process)
    assert [i.proposal_id for i in view.rounds[1].items] == [ids[1]]
    assert view.rounds[1].closes_at - view.rounds[1].opened_at == pytest.approx(
        SOON, abs=timedelta(seconds=5)
    )
    # Anonymous comments, in an order that says nothing of who wrote first.
    assert await panel_comments(process, 1) == {ids[1]: ["Avis A", "avis B", "Zèle"]}
    assert await panel_comments(process, 2) == {}
    with pytest.raises(NotFound, match=f"Proposal {ids[0]} is not rated in round 2"):
        await rate_item(members[0], process, ids[0], {"relevance": 9})
    await rate_item(members[0], process, ids[1], {"relevance": 8, "feasibility": 8})
    mine = await my_ratings(members[0].id, process)
    assert [(m.round, m.proposal_id) for m in mine] == [(1, ids[0]), (1, ids[1]), (2, ids[1])]


async def test_rounds_close_by_themselves_at_their_closing_time():
    _steward, members, _author, ids, process = await start(proposals=1)
    await rate_all(process, members, ids[0], [7, 7, 8, 8, 9])
    assert await close_due_rounds() == 0
    with pytest.raises(Conflict, match="not due to close yet"):
        await close_round(None, process)
    assert await close_due_rounds(datetime.now(UTC) + SOON) == 1
    assert (await get_process(process)).rounds[0].items[0].outcome == "retained"
    assert await close_due_rounds(datetime.now(UTC) + SOON) == 0


async def test_the_conclusion_publishes_the_retained_in_one_release_and_closes_the_rejected():
    members = await make_group(("REC",), size=3)
    steward = await make_steward()
    author = await make_account()
    added = await add_proposal(author, title="Ajouter")
    amended = await amend_proposal(author, "REC-1")
    patched = await amend_proposal(author, "REC-2", change_class="patch")
    refused = await amend_proposal(author, "REC-3")
    unsure = await add_proposal(author, title="Incertain")
    ids = [added.id, amended.id, patched.id, refused.id, unsure.id]
    process = await open_process(steward, await group_id(), "Lot 2027", ids, datetime.now(UTC) + SOON)
    for proposal_id in ids[:3]:
        await rate_all(process, members, proposal_id, [8, 8, 9])
    await rate_all(process, members, refused.id, [2, 2, 3])
    await rate_all(process, members, unsure.id, [5, 5, 5])
    with pytest.raises(Conflict, match="Round 1 is still open: close it before concluding"):
        await conclude_process(steward, process)
    await close_round(steward, process)
    with pytest.raises(Forbidden, match="Only a steward"):
        await conclude_process(members[0], process)
    conclusion = await conclude_process(steward, process)
    assert (conclusion.retained, conclusion.rejected, conclusion.returned) == (
        (added.id, amended.id, patched.id),
        (refused.id,),
        (unsure.id,),
    )
    assert conclusion.release_version == "1.1.0"  # the largest change class of the batch
    framework = await get_framework(SLUG)
    release = await find_release(framework, "latest")
    assert (release.version, release.summary, release.proposal_id) == ("1.1.0", "Lot 2027", None)
    history = await indicator_history(framework, "REC-1")
    assert history[-1].proposal_id == amended.id
    for proposal_id, status in ((added.id, "accepted"), (refused.id, "rejected"), (unsure.id, "discussion")):
        view = await get_proposal(proposal_id)
        assert view.status == status
    accepted = await get_proposal(added.id)
    assert accepted.tally["method"] == "delphi"
    assert (accepted.tally["process"], accepted.tally["round"]) == (process, 1)
    assert accepted.tally["figures"]["relevance"]["counts"] == [0, 0, 0, 0, 0, 0, 0, 2, 1]
    assert (await get_process(process)).status == "concluded"
    # Returned to discussion: free again.
    await revise_proposal(author, unsure.id, 1, title="Incertain, précisé")
    with pytest.raises(Conflict, match="already concluded"):
        await conclude_process(steward, process)


async def test_a_retained_proposal_outrun_since_its_base_returns_to_discussion():
    members = await make_group(("REC",), size=3)
    steward = await make_steward()
    author = await make_account()
    first = await amend_proposal(author, "REC-1")
    second = await amend_proposal(author, "REC-1", title="Autre préciser")
    process = await open_process(
        steward, await group_id(), "Lot", [first.id, second.id], datetime.now(UTC) + SOON
    )
    for proposal_id in (first.id, second.id):
        await rate_all(process, members, proposal_id, [9, 9, 9])
    await close_round(steward, process)
    conclusion = await conclude_process(steward, process)
    assert (conclusion.retained, conclusion.returned, conclusion.outrun) == (
        (first.id,),
        (second.id,),
        (second.id,),
    )
    assert (await get_proposal(second.id)).stale


async def test_the_audit_log_says_who_rated_never_what():
    steward, members, _author, ids, process = await start(proposals=1)
    await rate_item(members[0], process, ids[0], {"relevance": 7, "feasibility": 2}, "Secret")
    entry = (
        await AuditEntry.select().where(AuditEntry.action == "delphi.rated").output(load_json=True).first()
    )
    assert (entry["actor"], entry["target_type"], entry["target_id"]) == (
        members[0].id,
        "delphi_process",
        process,
    )
    assert entry["detail"] == {"round": 1}
    assert steward


async def test_a_proposal_in_last_call_held_by_a_process_is_not_put_to_a_vote():
    members = await make_group(("REC",), size=3)
    steward = await make_steward()
    await set_rule(steward, SLUG, last_call_days=3)
    proposal = await add_proposal(await make_account())
    await open_last_call(steward, proposal.id)
    process = await open_process(steward, await group_id(), "Lot", [proposal.id], datetime.now(UTC) + SOON)
    with pytest.raises(Conflict, match=f"being rated by its working group \\(Delphi process {process}\\)"):
        await open_vote(steward, proposal.id)
    assert members
