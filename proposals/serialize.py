"""JSON shapes of the co-design API (version 1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from indicators import urls
from indicators.serialize import adaptation_path, timestamp
from indicators.worddiff import as_text
from proposals.discussion import CommentView
from proposals.last_call import ConcernView
from proposals.reading import AdaptationRef, AuthorRef, Page, ProposalSummary, ProposalView
from proposals.voting import Decision, VoteStatus
from proposals.working_groups import WorkingGroupInfo


def _moment(value: Any) -> str | None:
    return timestamp(value) if value is not None else None


def author_json(author: AuthorRef) -> dict[str, Any]:
    return asdict(author)


def release_ref(slug: str, version: str | None, base: str) -> dict[str, str] | None:
    if version is None:
        return None
    return {"version": version, "html_url": base + urls.release_path(slug, version)}


def adaptation_ref(ref: AdaptationRef | None, base: str) -> dict[str, Any] | None:
    """The local adaptation a proposal is made to (None for a proposal to the framework)."""
    if ref is None:
        return None
    return {"id": ref.id, "name": ref.name, "html_url": base + adaptation_path(ref.id)}


def decision_json(decision: Decision, base: str) -> dict[str, Any]:
    """A decision: `release` once a proposal to the framework is published; a proposal to a local
    adaptation has `adaptation` besides, with the version an acceptance published (else None)."""
    result = {
        "status": decision.status,
        "tally": decision.tally,
        "release": release_ref(decision.framework, decision.release_version, base),
    }
    if decision.adaptation_id is not None:
        result["adaptation"] = {
            "id": decision.adaptation_id,
            "version": decision.adaptation_version,
            "html_url": base + adaptation_path(decision.adaptation_id),
        }
    return result


def summary_json(item: ProposalSummary, base: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "framework": item.framework,
        "kind": item.kind,
        "status": item.status,
        "change_class": item.change_class,
        "title": item.title,
        "author": author_json(item.author),
        "base_version": item.base_version,
        "theme": item.theme_code,
        "indicator": item.indicator_code,
        "revision": item.revision,
        "created_at": _moment(item.created_at),
        "updated_at": _moment(item.updated_at),
        "closes_at": _moment(item.closes_at),
        "decided_at": _moment(item.decided_at),
        "release": release_ref(item.framework, item.release_version, base),
        "adaptation": adaptation_ref(item.adaptation, base),
        "stale": item.stale,
        "html_url": base + urls.proposal_path(item.id),
    }


def page_json(page: Page, base: str, at_cursor: Callable[[str], str]) -> dict[str, Any]:
    """`page` is null for a page found by a cursor; `next` and `previous` are the addresses of the
    pages around it (null at the ends), `at_cursor` making one from a cursor."""
    return {
        "items": [summary_json(item, base) for item in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
        "next": at_cursor(page.next_cursor) if page.next_cursor else None,
        "previous": at_cursor(page.previous_cursor) if page.previous_cursor else None,
    }


def vote_json(status: VoteStatus) -> dict[str, Any]:
    """Where the vote stands: numbers only, never the tally before the decision."""
    return {
        "group_size": status.group_size,
        "voted": status.voted,
        "quorum_needed": status.quorum_needed,
        "vote_opened_at": _moment(status.vote_opened_at),
        "closes_at": _moment(status.closes_at),
    }


def concern_json(concern: ConcernView) -> dict[str, Any]:
    return {
        "id": concern.id,
        "proposal": concern.proposal_id,
        "author": concern.author,
        "body": concern.body,
        "body_html": concern.body_html,
        "created_at": _moment(concern.created_at),
        "answer": concern.answer,
        "answer_html": concern.answer_html,
        "answered_by": concern.answered_by,
        "answered_at": _moment(concern.answered_at),
    }


def proposal_json(
    view: ProposalView, base: str, vote: VoteStatus | None = None, concerns: list[ConcernView] | None = None
) -> dict[str, Any]:
    return {
        "id": view.id,
        "framework": view.framework,
        "kind": view.kind,
        "status": view.status,
        "change_class": view.change_class,
        "title": view.title,
        "rationale": view.rationale,
        "rationale_html": view.rationale_html,
        "author": author_json(view.author),
        "base_version": view.base_version,
        "theme": view.theme_code,
        "indicator": view.indicator_code,
        "base_revision": view.base_revision,
        "content": view.content,
        "revision": view.revision,
        "created_at": _moment(view.created_at),
        "updated_at": _moment(view.updated_at),
        "last_call_ends_at": _moment(view.last_call_ends_at),
        "concerns": [concern_json(concern) for concern in concerns or ()],
        "vote_opened_at": _moment(view.vote_opened_at),
        "closes_at": _moment(view.closes_at),
        "decided_at": _moment(view.decided_at),
        "vote": vote_json(vote) if vote is not None else None,
        "tally": view.tally,
        "release": release_ref(view.framework, view.release_version, base),
        "adaptation": adaptation_ref(view.adaptation, base),
        "diff": [
            {
                "field": change.name,
                "before": change.before,
                "after": change.after,
                "diff": as_text(change.diff),
            }
            for change in view.diff
        ],
        "stale": view.stale,
        "html_url": base + urls.proposal_path(view.id),
    }


def comment_json(comment: CommentView, base: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "proposal": comment.proposal_id,
        "reply_to": comment.parent_id,
        "depth": comment.depth,
        "author": author_json(comment.author),
        "body": comment.body,
        "body_html": comment.body_html,
        "created_at": _moment(comment.created_at),
        "hidden": comment.hidden,
        "hidden_reason": comment.hidden_reason,
        "html_url": base + urls.proposal_path(comment.proposal_id) + f"#comment-{comment.id}",
    }


def working_group_json(group: WorkingGroupInfo) -> dict[str, Any]:
    return {
        "id": group.id,
        "framework": group.framework,
        "name": group.name,
        "themes": list(group.themes),
        "members": [{"id": member_id, "display_name": name} for member_id, name in group.members],
    }
