"""The debate on a proposal: comments (Markdown, threaded replies, moderation that hides but never
erases), the proposal's earlier revisions and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from proposals.audit import record
from proposals.following import add_follow
from proposals.notifications import about, emit
from proposals.reading import AuthorRef
from proposals.roles import Actor, Role
from proposals.services import (
    OPEN_STATUSES,
    STATUS_NAMES,
    clean_text,
    positive_id,
    proposal_row,
    signed_in,
)
from proposals.tables import AuditEntry, Comment, Proposal, ProposalRevision
from proposals.topics import proposal_topic
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict, NotFound
from web.markdown import render_markdown_off_loop
from web.messages import Term
from web.paging import Paged

# A comment is a contribution to a debate, not a document: its page stays light (tests/hostile).
COMMENT_MAX = 10_000
# Comments shown on one page of a proposal, or returned by one call of the API (which may ask up to
# 100): with COMMENT_MAX, a page's weight is bounded whatever the number of comments.
COMMENTS_PER_PAGE = 50
HIDE_REASON_MAX = 500


@dataclass(frozen=True)
class CommentView:
    """A comment in thread order. A hidden comment keeps its place and shows why it was hidden;
    its body and body_html are None unless asked for (stewards)."""

    id: int
    proposal_id: int
    parent_id: int | None
    depth: int
    author: AuthorRef
    body: str | None
    body_html: str | None
    created_at: datetime
    hidden: bool
    hidden_at: datetime | None
    hidden_by: str | None
    hidden_reason: str | None


@dataclass(frozen=True)
class ProposalRevisionView:
    number: int
    title: str
    rationale: str
    content: dict | None
    created_at: datetime


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    action: str
    actor: str | None
    detail: dict


async def add_comment(
    actor: Actor | None, proposal_id: int, body: str, reply_to: int | None = None
) -> CommentView:
    """Anyone signed in comments on a proposal in discussion or voting, or replies to a comment of it."""
    actor = signed_in(actor, Term("comment on a proposal"))
    positive_id(proposal_id, Term("proposal number"))
    body = clean_text(body, Term("comment"), COMMENT_MAX, field="body", markdown=True)
    if reply_to is not None:
        positive_id(reply_to, Term("comment replied to"), "reply_to")
    body_html = await render_markdown_off_loop(body)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await proposal_row(proposal_id)
        if row["status"] not in OPEN_STATUSES:
            raise Conflict(
                "Proposal %(number)s is %(status)s: "
                "comments are open during the discussion and the vote only.",
                number=str(proposal_id),
                status=STATUS_NAMES[row["status"]],
            )
        if reply_to is not None and not await Comment.exists().where(
            (Comment.id == reply_to) & (Comment.proposal == proposal_id)
        ):
            raise NotFound(
                "There is no comment number %(comment)s on proposal %(proposal)s.",
                comment=str(reply_to),
                proposal=str(proposal_id),
            )
        comment = Comment(
            proposal=proposal_id,
            author=actor.id,
            parent=reply_to,
            body=body,
            body_html=body_html,
            created_at=datetime.now(UTC),
        )
        await Comment.insert(comment)
        await record(
            actor.id, "comment.added", "proposal", proposal_id, {"comment": comment.id, "reply_to": reply_to}
        )
        await add_follow(actor.id, "proposal", str(proposal_id))  # commenters follow what they wrote on
        await emit("comment", actor=actor.id, proposal=proposal_id, data=about(row))
        await announce(proposal_topic(proposal_id))
    return await _comment(proposal_id, comment.id)


async def hide_comment(actor: Actor | None, comment_id: int, reason: str) -> CommentView:
    """A steward hides a comment with a reason; its body is kept."""
    actor = signed_in(actor, Term("hide a comment"))
    actor.require(Role.steward, Term("hide a comment"))
    positive_id(comment_id, Term("comment number"))
    reason = clean_text(reason, Term("reason for hiding the comment"), HIDE_REASON_MAX, field="reason")
    async with Comment._meta.db.transaction():
        await lock_row(Comment, comment_id)
        row = (
            await Comment.select(Comment.proposal, Comment.hidden_at).where(Comment.id == comment_id).first()
        )
        if row is None:
            raise NotFound("There is no comment number %(number)s.", number=str(comment_id))
        if row["hidden_at"] is not None:
            raise Conflict("Comment %(number)s is already hidden.", number=str(comment_id))
        await Comment.update(
            {Comment.hidden_at: datetime.now(UTC), Comment.hidden_by: actor.id, Comment.hidden_reason: reason}
        ).where(Comment.id == comment_id)
        await record(
            actor.id, "comment.hidden", "proposal", row["proposal"], {"comment": comment_id, "reason": reason}
        )
        await announce(proposal_topic(row["proposal"]))
    return await _comment(row["proposal"], comment_id)


# One page of a proposal's comments in thread order.
CommentPage = Paged[CommentView]


async def _thread(proposal_id: int) -> list[tuple[int, int]]:
    """(comment id, depth) of every comment of a proposal, in thread order: each followed by its
    replies (oldest first); depth 0 for a comment on the proposal itself. One query, ids only."""
    rows = (
        await Comment.select(Comment.id, Comment.parent)
        .where(Comment.proposal == proposal_id)
        .order_by(Comment.id)
    )
    ids = {row["id"] for row in rows}
    replies: dict[int | None, list[int]] = {}
    for row in rows:
        replies.setdefault(row["parent"] if row["parent"] in ids else None, []).append(row["id"])
    order: list[tuple[int, int]] = []
    stack = [(comment, 0) for comment in reversed(replies.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        order.append((comment, depth))
        stack.extend((child, depth + 1) for child in reversed(replies.get(comment, [])))
    return order


async def _views(placed: list[tuple[int, int]], include_hidden_bodies: bool) -> list[CommentView]:
    """The comments of `placed` ((id, depth), in order), with their authors. One query."""
    if not placed:
        return []
    rows = await Comment.select(
        *Comment.all_columns(),
        Comment.author.display_name.as_alias("author_name"),
        Comment.author.organisation.as_alias("author_organisation"),
        Comment.hidden_by.display_name.as_alias("hidden_by_name"),
    ).where(Comment.id.is_in([comment for comment, _ in placed]))
    by_id = {row["id"]: row for row in rows}
    return [_view(by_id[comment], depth, include_hidden_bodies) for comment, depth in placed]


async def list_comments(
    proposal_id: int,
    include_hidden_bodies: bool = False,
    page: int = 1,
    per_page: int = COMMENTS_PER_PAGE,
) -> CommentPage:
    """A page of a proposal's comments in thread order (see _thread): a page's weight is bounded,
    whatever the number of comments. Three queries."""
    await proposal_row(proposal_id)
    thread = await _thread(proposal_id)
    start = (page - 1) * per_page
    items = await _views(thread[start : start + per_page], include_hidden_bodies)
    return CommentPage(items, len(thread), page, per_page)


async def comment_page_number(proposal_id: int, comment_id: int, per_page: int = COMMENTS_PER_PAGE) -> int:
    """The page of the proposal's comments that holds this one (1 if it is not among them)."""
    ids = [comment for comment, _ in await _thread(proposal_id)]
    return ids.index(comment_id) // per_page + 1 if comment_id in ids else 1


async def _comment(proposal_id: int, comment_id: int) -> CommentView:
    """One comment, with its depth and hidden body (for its author or a steward)."""
    placed = [item for item in await _thread(proposal_id) if item[0] == comment_id]
    return (await _views(placed, include_hidden_bodies=True))[0]


def _view(row: dict, depth: int, include_hidden_bodies: bool) -> CommentView:
    hidden = row["hidden_at"] is not None
    shown = include_hidden_bodies or not hidden
    return CommentView(
        id=row["id"],
        proposal_id=row["proposal"],
        parent_id=row["parent"],
        depth=depth,
        author=AuthorRef(row["author"], row["author_name"], row["author_organisation"]),
        body=row["body"] if shown else None,
        body_html=row["body_html"] if shown else None,
        created_at=row["created_at"],
        hidden=hidden,
        hidden_at=row["hidden_at"],
        hidden_by=row["hidden_by_name"],
        hidden_reason=row["hidden_reason"],
    )


async def proposal_revisions(proposal_id: int) -> list[ProposalRevisionView]:
    """Every revision of a proposal, oldest first (the first is the proposal as written)."""
    await proposal_row(proposal_id)
    rows = (
        await ProposalRevision.select(
            ProposalRevision.number,
            ProposalRevision.title,
            ProposalRevision.rationale,
            ProposalRevision.content,
            ProposalRevision.created_at,
        )
        .where(ProposalRevision.proposal == proposal_id)
        .order_by(ProposalRevision.number)
        .output(load_json=True)
    )
    return [ProposalRevisionView(**row) for row in rows]


async def proposal_timeline(proposal_id: int) -> list[TimelineEvent]:
    """What happened to a proposal, oldest first, from the audit log."""
    await proposal_row(proposal_id)
    rows = (
        await AuditEntry.select(
            AuditEntry.at,
            AuditEntry.action,
            AuditEntry.actor.display_name.as_alias("actor_name"),
            AuditEntry.detail,
        )
        .where((AuditEntry.target_type == "proposal") & (AuditEntry.target_id == proposal_id))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    return [TimelineEvent(row["at"], row["action"], row["actor_name"], row["detail"]) for row in rows]
