"""Writing proposals: create, preview, revise, withdraw; reading them back (on both engines)."""

from __future__ import annotations

import pytest

from proposals.discussion import proposal_revisions
from proposals.proposing import create_proposal, preview_change, revise_proposal, withdraw_proposal
from proposals.reading import get_proposal, list_proposals
from proposals.tables import AuditEntry, Proposal, ProposalRevision
from tests.constants import SLUG
from tests.proposals.factories import (
    NEW_INDICATOR,
    add_proposal,
    amend_proposal,
    make_account,
    retire_proposal,
)
from web.failures import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn

pytestmark = pytest.mark.usefixtures("db")


async def test_an_addition_is_stored_with_its_base_and_first_revision():
    author = await make_account("Awa", organisation="Association A")
    view = await add_proposal(author)
    assert (view.kind, view.status, view.change_class, view.revision) == ("add", "discussion", "minor", 1)
    assert view.framework == SLUG and view.base_version == "1.0.0"
    assert (view.theme_code, view.indicator_code, view.base_revision) == ("REC", None, None)
    assert (view.author.id, view.author.display_name, view.author.organisation) == (
        author.id,
        "Awa",
        "Association A",
    )
    assert view.rationale_html == "<p>Les <em>objectifs</em> manquent.</p>\n"
    assert view.content == {**NEW_INDICATOR}
    assert view.tally is None and view.release_version is None and not view.stale
    # Every field of the new indicator is an insertion.
    assert {c.name for c in view.diff} == set(NEW_INDICATOR)
    assert all(c.before is None and c.diff == [("insert", c.after)] for c in view.diff)
    revisions = await proposal_revisions(view.id)
    assert [(r.number, r.title, r.content) for r in revisions] == [(1, view.title, view.content)]
    audit = await AuditEntry.select().where(AuditEntry.target_id == view.id)
    assert [(a["action"], a["actor"], a["target_type"]) for a in audit] == [
        ("proposal.created", author.id, "proposal")
    ]


async def test_an_amendment_takes_missing_fields_from_the_base_and_diffs_field_by_field():
    author = await make_account()
    view = await amend_proposal(
        author, "SEL-2", content={"title": "Nouveau titre", "measurement": "Un taux."}
    )
    assert (view.indicator_code, view.theme_code, view.base_revision) == ("SEL-2", "SEL", 1)
    assert view.content == {"title": "Nouveau titre", "measurement": "Un taux."}
    assert view.proposed.title == "Nouveau titre"
    assert view.proposed.statement == view.base_text.statement
    # The English title no longer translates the new French one: it goes with the change.
    assert view.proposed.title_en is None
    assert [c.name for c in view.diff] == ["title", "measurement", "title_en"]
    title = view.diff[0]
    assert (title.before, title.after) == ("Vérification des antécédents avant tout contact", "Nouveau titre")
    assert title.diff[:2] == [("delete", "Vérification"), ("insert", "Nouveau")]
    assert view.diff[2].after is None


async def test_a_retirement_removes_every_field_and_is_major():
    view = await retire_proposal(await make_account(), "CLO-2")
    assert (view.change_class, view.content, view.proposed) == ("major", None, None)
    assert view.diff and all(c.after is None for c in view.diff)


async def test_an_editorial_amendment_is_a_patch_and_only_an_amendment_may_be_one():
    author = await make_account()
    view = await amend_proposal(author, change_class="patch")
    assert view.change_class == "patch"
    with pytest.raises(InvalidInput, match="only an amendment can be an editorial fix"):
        await add_proposal(author, change_class="patch")
    with pytest.raises(InvalidInput, match="is major, not 'minor'"):
        await retire_proposal(author, change_class="minor")


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"title": " "}, InvalidInput, "proposal's title is empty"),
        ({"title": "x" * 201}, InvalidInput, "title is too long: 201 characters"),
        ({"rationale": "a\x00b"}, InvalidInput, "NUL character"),
        ({"rationale": "r" * 50_001}, InvalidInput, "rationale is too long"),
        ({"kind": "merge"}, InvalidInput, "Unknown kind of proposal 'merge'"),
        ({"base_version": "9.9.9"}, NotFound, "no release 9.9.9"),
        ({"base_version": "one"}, InvalidInput, "is not a release number"),
        ({"theme": None}, InvalidInput, "needs the code of the theme"),
        ({"theme": "XYZ"}, NotFound, "has no theme 'XYZ'"),
        ({"indicator": "REC-1"}, InvalidInput, "An addition names no indicator"),
        ({"content": {"title": "t"}}, InvalidInput, "needs its statement, rationale, evidence level"),
        ({"content": {**NEW_INDICATOR, "colour": "x", "size": 1}}, InvalidInput, "fields: colour, size"),
        ({"content": {**NEW_INDICATOR, "evidence_level": "hunch"}}, InvalidInput, "Unknown evidence level"),
        ({"content": {**NEW_INDICATOR, "title": "t" * 201}}, InvalidInput, "indicator's title is too long"),
        ({"content": {**NEW_INDICATOR, "statement": "s" * 50_001}}, InvalidInput, "statement is too long"),
        ({"content": "text"}, InvalidInput, "content must be an object"),
    ],
)
async def test_an_addition_is_validated(overrides, error, message):
    with pytest.raises(error, match=message):
        await add_proposal(await make_account(), **overrides)
    assert await Proposal.count() == 0


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"indicator": None}, InvalidInput, "An amendment needs the code of its indicator"),
        ({"indicator": "REC-99"}, NotFound, "'REC-99' is not in release 1.0.0"),
        ({"content": None}, InvalidInput, "changes nothing"),
        ({"theme": "SEL"}, InvalidInput, "Only an addition names a theme"),
    ],
)
async def test_an_amendment_is_validated(overrides, error, message):
    with pytest.raises(error, match=message):
        await amend_proposal(await make_account(), **overrides)


async def test_an_amendment_equal_to_the_base_text_changes_nothing():
    author = await make_account()
    base = await amend_proposal(author, "REC-2", content={"title": "Autre"})
    with pytest.raises(InvalidInput, match="changes nothing"):
        await amend_proposal(author, "REC-2", content={"title": f"  {base.base_text.title} "})


async def test_a_retirement_carries_no_content_and_needs_an_indicator():
    author = await make_account()
    with pytest.raises(InvalidInput, match="A retirement carries no content"):
        await retire_proposal(author, content={"title": "x"})
    with pytest.raises(InvalidInput, match="A retirement needs the code of its indicator"):
        await retire_proposal(author, indicator=None)


async def test_unknown_framework_and_anonymous_author_are_refused():
    with pytest.raises(NotFound, match="no framework called 'nope'"):
        await create_proposal(await make_account(), "nope", "add", "latest", "T", "R", theme="REC")
    with pytest.raises(NotSignedIn):
        await add_proposal(None)


async def test_preview_shows_the_diff_and_writes_nothing():
    diff = await preview_change(SLUG, "amend", "1.0.0", indicator="REC-1", content={"statement": "Neuf."})
    assert [c.name for c in diff] == ["statement", "statement_en"]
    assert diff[0].after == "Neuf."
    with pytest.raises(InvalidInput, match="changes nothing"):
        await preview_change(SLUG, "amend", "1.0.0", indicator="REC-1", content={})
    assert await Proposal.count() == 0 and await AuditEntry.count() == 0


async def test_the_author_revises_and_earlier_revisions_stay_visible():
    author = await make_account()
    view = await amend_proposal(author, "REC-3", content={"statement": "Premier jet."})
    revised = await revise_proposal(
        author, view.id, 1, rationale="Mieux **dit**.", content={"measurement": "Un indicateur."}
    )
    assert revised.revision == 2
    assert revised.rationale_html == "<p>Mieux <strong>dit</strong>.</p>\n"
    assert revised.content == {"statement": "Premier jet.", "measurement": "Un indicateur."}
    revisions = await proposal_revisions(view.id)
    assert [(r.number, r.rationale) for r in revisions] == [(1, "Plus clair."), (2, "Mieux **dit**.")]
    assert revisions[0].content == {"statement": "Premier jet."}
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.target_id == view.id)
    assert [a["action"] for a in actions] == ["proposal.created", "proposal.revised"]


async def test_a_stale_revision_is_a_conflict_and_changes_nothing():
    author = await make_account()
    view = await add_proposal(author)
    await revise_proposal(author, view.id, 1, title="Deuxième titre")
    with pytest.raises(Conflict, match=r"was revised since \(now revision 2\); reload it"):
        await revise_proposal(author, view.id, 1, title="Troisième titre")
    assert (await get_proposal(view.id)).title == "Deuxième titre"
    assert await ProposalRevision.count().where(ProposalRevision.proposal == view.id) == 2


async def test_only_the_author_revises_only_in_discussion_and_only_with_a_change():
    author, other = await make_account(), await make_account()
    view = await add_proposal(author)
    with pytest.raises(Forbidden, match="Only the author"):
        await revise_proposal(other, view.id, 1, title="Mine now")
    with pytest.raises(InvalidInput, match="changes nothing"):
        await revise_proposal(author, view.id, 1, title=view.title)
    with pytest.raises(InvalidInput, match="Unknown content field: colour"):
        await revise_proposal(author, view.id, 1, content={"colour": "blue"})
    await withdraw_proposal(author, view.id)
    with pytest.raises(Conflict, match="is withdrawn: only a proposal in discussion can be revised"):
        await revise_proposal(author, view.id, 1, title="Too late")


async def test_withdrawal_by_the_author_only_and_only_before_the_decision():
    author, other = await make_account(), await make_account()
    view = await add_proposal(author)
    with pytest.raises(Forbidden, match="Only the author"):
        await withdraw_proposal(other, view.id)
    withdrawn = await withdraw_proposal(author, view.id)
    assert withdrawn.status == "withdrawn"
    with pytest.raises(Conflict, match="is withdrawn: it can no longer be withdrawn"):
        await withdraw_proposal(author, view.id)
    with pytest.raises(NotFound, match="no proposal number 999"):
        await withdraw_proposal(author, 999)
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.target_id == view.id)
    assert [a["action"] for a in actions] == ["proposal.created", "proposal.withdrawn"]


async def test_list_is_paginated_newest_first_and_filtered():
    author = await make_account()
    made = [await add_proposal(author, title=f"Ajout {i}") for i in range(5)]
    made.append(await amend_proposal(author, "SEL-1"))
    await withdraw_proposal(author, made[0].id)
    page = await list_proposals(SLUG, page=1, per_page=4)
    assert (page.total, page.pages, len(page.items)) == (6, 2, 4)
    assert [p.id for p in page.items] == [p.id for p in reversed(made)][:4]
    page2 = await list_proposals(SLUG, page=2, per_page=4)
    assert [p.id for p in page2.items] == [made[1].id, made[0].id]
    assert (await list_proposals(status="withdrawn")).total == 1
    assert [p.id for p in (await list_proposals(theme="SEL")).items] == [made[5].id]
    assert (await list_proposals("other-framework")).total == 0
    assert (await list_proposals(status="discussion", theme="REC")).total == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"status": "pending"}, "Unknown status 'pending'"),
        ({"page": 0}, "page number"),
        ({"per_page": 101}, "between 1 and 100"),
        ({"per_page": 0}, "between 1 and 100"),
    ],
)
async def test_list_arguments_are_validated(arguments, message):
    with pytest.raises(InvalidInput, match=message):
        await list_proposals(**arguments)


async def test_get_unknown_proposal():
    with pytest.raises(NotFound, match="no proposal number 42"):
        await get_proposal(42)
    with pytest.raises(InvalidInput):
        await get_proposal(0)


async def test_an_empty_territorial_note_removes_it_and_none_means_not_given():
    author = await make_account()
    view = await amend_proposal(author, "REC-2", content={"territorial_note": " ", "statement": None})
    assert view.base_text.territorial_note and view.proposed.territorial_note is None
    assert view.content == {"territorial_note": ""}
    assert [(c.name, c.after) for c in view.diff] == [("territorial_note", None)]
    with pytest.raises(InvalidInput, match="changes nothing"):
        await amend_proposal(author, "REC-1", content={"territorial_note": ""})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"rationale": "\x00"}, "rationale"),
        ({"kind": "merge"}, "kind"),
        ({"base_version": "1.0"}, "base_version"),
        ({"theme": None}, "theme"),
        ({"change_class": "patch"}, "change_class"),
        ({"content": {**NEW_INDICATOR, "statement": ""}}, "content.statement"),
        ({"content": {"title": "Seul"}}, "content.statement"),
        ({"content": {"colour": "x"}}, "content"),
    ],
)
async def test_bad_input_names_the_field_at_fault(overrides, field):
    with pytest.raises(InvalidInput) as caught:
        await add_proposal(await make_account(), **overrides)
    assert caught.value.field == field
