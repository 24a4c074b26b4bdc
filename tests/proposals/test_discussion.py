"""Comments (threaded, Markdown, hidden but never erased) and a proposal's timeline."""

from __future__ import annotations

import pytest

from proposals.discussion import add_comment, hide_comment, list_comments, proposal_timeline
from proposals.proposing import withdraw_proposal
from proposals.roles import Role
from proposals.tables import Comment
from tests.proposals.factories import add_proposal, make_account, make_steward
from web.failures import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn

pytestmark = pytest.mark.usefixtures("db")


async def test_comments_are_listed_in_thread_order_with_their_depth():
    author, ana, bob = await make_account("Author"), await make_account("Ana"), await make_account("Bob")
    proposal = await add_proposal(author)
    first = await add_comment(ana, proposal.id, "Premier **avis**")
    second = await add_comment(bob, proposal.id, "Second avis")
    reply = await add_comment(bob, proposal.id, "Réponse à Ana", reply_to=first.id)
    nested = await add_comment(ana, proposal.id, "Réponse à Bob", reply_to=reply.id)
    late = await add_comment(author, proposal.id, "Autre réponse à Ana", reply_to=first.id)
    comments = await list_comments(proposal.id)
    assert [(c.id, c.depth, c.parent_id) for c in comments] == [
        (first.id, 0, None),
        (reply.id, 1, first.id),
        (nested.id, 2, reply.id),
        (late.id, 1, first.id),
        (second.id, 0, None),
    ]
    assert comments[0].body_html == "<p>Premier <strong>avis</strong></p>\n"
    assert comments[0].author.display_name == "Ana"
    assert nested.depth == 2


async def test_markdown_is_rendered_safely_once():
    proposal = await add_proposal(await make_account())
    comment = await add_comment(
        await make_account(), proposal.id, "<script>alert(1)</script> [x](javascript:y)"
    )
    assert "<script>" not in comment.body_html and 'href="javascript' not in comment.body_html
    stored = await Comment.select(Comment.body_html).first()
    assert stored["body_html"] == comment.body_html


async def test_comment_rules():
    author = await make_account()
    proposal = await add_proposal(author)
    other = await add_proposal(author, title="Une autre")
    elsewhere = await add_comment(author, other.id, "Ailleurs")
    with pytest.raises(NotSignedIn):
        await add_comment(None, proposal.id, "Anonyme")
    with pytest.raises(InvalidInput, match="comment is empty"):
        await add_comment(author, proposal.id, "  \n ")
    with pytest.raises(InvalidInput, match="comment is too long: 20,001"):
        await add_comment(author, proposal.id, "x" * 20_001)
    with pytest.raises(InvalidInput, match="NUL"):
        await add_comment(author, proposal.id, "a\x00")
    with pytest.raises(NotFound, match=f"no comment number {elsewhere.id} on proposal {proposal.id}"):
        await add_comment(author, proposal.id, "Réponse", reply_to=elsewhere.id)
    with pytest.raises(NotFound, match="no proposal number 999"):
        await add_comment(author, 999, "Perdu")
    await withdraw_proposal(author, proposal.id)
    with pytest.raises(Conflict, match="is withdrawn: comments are open during the discussion and the vote"):
        await add_comment(author, proposal.id, "Trop tard")
    assert await Comment.count() == 1


async def test_a_steward_hides_a_comment_which_keeps_its_place_and_body():
    author, steward = await make_account(), await make_steward()
    proposal = await add_proposal(author)
    rude = await add_comment(author, proposal.id, "Propos déplacés")
    reply = await add_comment(steward, proposal.id, "Merci de rester courtois", reply_to=rude.id)
    with pytest.raises(Forbidden, match="Only a steward"):
        await hide_comment(await make_account(role=Role.member), rude.id, "Non")
    with pytest.raises(InvalidInput, match="reason for hiding the comment is empty"):
        await hide_comment(steward, rude.id, " ")
    with pytest.raises(InvalidInput, match="too long"):
        await hide_comment(steward, rude.id, "r" * 501)
    hidden = await hide_comment(steward, rude.id, "Attaque personnelle")
    assert hidden.hidden and hidden.hidden_by == steward.display_name and hidden.body == "Propos déplacés"
    public = await list_comments(proposal.id)
    assert [(c.id, c.depth) for c in public] == [(rude.id, 0), (reply.id, 1)]
    assert (public[0].body, public[0].body_html, public[0].hidden_reason) == (
        None,
        None,
        "Attaque personnelle",
    )
    assert public[1].body == "Merci de rester courtois"
    moderated = await list_comments(proposal.id, include_hidden_bodies=True)
    assert moderated[0].body == "Propos déplacés"
    with pytest.raises(Conflict, match="already hidden"):
        await hide_comment(steward, rude.id, "Encore")
    with pytest.raises(NotFound, match="no comment number 999"):
        await hide_comment(steward, 999, "Rien")


async def test_the_timeline_tells_what_happened_with_who_did_it():
    author, steward = await make_account("Awa"), await make_steward("Sam")
    proposal = await add_proposal(author)
    comment = await add_comment(author, proposal.id, "Précision")
    await hide_comment(steward, comment.id, "Doublon")
    await withdraw_proposal(author, proposal.id)
    events = await proposal_timeline(proposal.id)
    assert [(e.action, e.actor) for e in events] == [
        ("proposal.created", "Awa"),
        ("comment.added", "Awa"),
        ("comment.hidden", "Sam"),
        ("proposal.withdrawn", "Awa"),
    ]
    assert events[2].detail == {"comment": comment.id, "reason": "Doublon"}
    assert events[0].at <= events[-1].at
