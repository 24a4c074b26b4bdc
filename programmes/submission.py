"""Submitting an assessment (frozen, hashed, counted in the field evidence), and starting the next
one from it against a later release, with its answers and actions carried over."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from indicators.content import Release
from indicators.queries import ReleaseSummary
from indicators.versions import parse_version
from programmes.assessments import (
    DRAFT,
    SUBMITTED,
    AssessmentView,
    Releases,
    assessed_release,
    assessment_row,
    assessment_view,
    open_assessment,
)
from programmes.field import recount
from programmes.local import adaptation_to_assess
from programmes.roles import ProgrammeRole
from programmes.tables import Action, Answer, Assessment
from programmes.topics import field_topic, programme_topic
from proposals.audit import record
from proposals.roles import Actor
from proposals.services import signed_in
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict
from web.messages import Term


def canonical_form(view: AssessmentView) -> dict:
    """What an assessment says: its programme, release and answers, not when or where it was stored."""

    def answer(a) -> dict:
        return {
            "indicator": a.indicator,
            "revision": a.revision,
            "level": a.level,
            "justification": a.justification,
            "evidence": a.evidence,
            "links": list(a.links),
        }

    return {
        "assessment": view.id,
        "programme": view.programme_id,
        "framework": view.framework,
        "release": view.release.version,
        "release_hash": view.release.content_hash,
        "answers": [answer(a) for a in sorted(view.answers, key=lambda a: a.indicator)],
        "archived": [answer(a) for a in view.archived],
        # Against a territory's adaptation: which version, and its own hash.
        "adaptation": None
        if view.local is None
        else {"id": view.local.adaptation, "version": view.local.version, "hash": view.local.content_hash},
    }


def assessment_hash(view: AssessmentView) -> str:
    canonical = json.dumps(canonical_form(view), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def submit_assessment(
    actor: Actor | None, assessment_id: int, releases: Releases, aggregate_min: int
) -> AssessmentView:
    """Freeze a complete draft (every indicator answered, none left to review) with its hash, and
    count it in the field evidence (published from `aggregate_min` voices on: programmes/field.py)."""
    doing = Term("submit this assessment")
    actor = signed_in(actor, doing)
    row, _role = await open_assessment(actor, assessment_id, ProgrammeRole.admin, doing)
    async with Assessment._meta.db.transaction():
        await lock_row(Assessment, assessment_id)
        row = await assessment_row(assessment_id)
        if row["status"] != DRAFT:
            raise Conflict("This assessment is submitted already.")
        view = await assessment_view(row, releases)
        answered, total = view.progress
        if answered < total:
            raise Conflict(
                "%(missing)s indicators are still unanswered: answer every indicator before submitting.",
                missing=total - answered,
            )
        if view.to_review:
            raise Conflict(
                "%(count)s carried answers are still to review: save their themes before submitting.",
                count=view.to_review,
            )
        content_hash = assessment_hash(view)
        now = datetime.now(UTC)
        await Assessment.update(
            {
                Assessment.status: SUBMITTED,
                Assessment.content_hash: content_hash,
                Assessment.submitted_at: now,
                Assessment.submitted_by: actor.id,
            }
        ).where(Assessment.id == assessment_id)
        await recount(row["release"], aggregate_min)
        detail = {"release": view.release.version, "content_hash": content_hash}
        await record(actor.id, "assessment.submitted", "assessment", assessment_id, detail)
        await announce(programme_topic(row["programme"]), field_topic(row["framework_slug"]))
    return await assessment_view(await assessment_row(assessment_id), releases)


async def start_successor(actor: Actor | None, assessment_id: int, version: str, releases: Releases) -> int:
    """A draft against `version` (this release or a later one), started from a submitted assessment:
    answers about an unchanged indicator are carried over; about a revised one, carried over and
    flagged for review; about a retired one, kept in an archived section. Actions follow their
    indicator when it still exists."""
    doing = Term("start an assessment")
    actor = signed_in(actor, doing)
    source, _role = await open_assessment(actor, assessment_id, ProgrammeRole.contributor, doing)
    if source["status"] != SUBMITTED:
        raise Conflict("Only a submitted assessment can be carried over: submit this one first.")
    summary, number, target = await _carried_to(source, version, releases)
    revisions = {code: indicator.revision for code, (_t, indicator) in target.indicators().items()}
    answers = (
        await Answer.select()
        .where(
            (Answer.assessment == assessment_id) & (Answer.archived == False)  # noqa: E712
        )
        .output(load_json=True)
    )
    actions = await Action.select().where(Action.assessment == assessment_id).order_by(Action.id)
    now = datetime.now(UTC)
    async with Assessment._meta.db.transaction():
        successor = Assessment(
            programme=source["programme"],
            framework=source["framework"],
            release=summary.id,
            adaptation=source["adaptation"],
            adaptation_version=number,
            predecessor=assessment_id,
            created_by=actor.id,
            created_at=now,
        )
        await Assessment.insert(successor)
        carried = [
            _carried(answer, successor.id, revisions.get(answer["indicator_code"]), now) for answer in answers
        ]
        if carried:
            await Answer.insert(*carried)
        followed = [
            _followed(action, successor.id, now)
            for action in actions
            if action["indicator_code"] in revisions
        ]
        if followed:
            await Action.insert(*followed)
        detail = {"from": assessment_id, "release": summary.version}
        await record(actor.id, "assessment.started", "assessment", successor.id, detail)
        await announce(programme_topic(source["programme"]))
    return successor.id


async def _carried_to(
    source: dict, version: str, releases: Releases
) -> tuple[ReleaseSummary, int | None, Release]:
    """The release a successor of `source` answers (its summary, the adaptation's version if any, its
    content): `version`, or for an adapted assessment the adaptation's latest version and its base."""
    number = None
    if source["adaptation"] is not None:
        number, version = await adaptation_to_assess(source["adaptation"], source["framework_slug"], version)
    _framework, summary, _current = await releases.resolve(source["framework_slug"], version)
    if parse_version(summary.version) < parse_version(source["release_version"]):
        raise Conflict(
            "The release %(version)s is older than this assessment's (%(base)s): carry it over to "
            "the same release or a later one.",
            version=summary.version,
            base=source["release_version"],
        )
    target, _local = await assessed_release(
        {**source, "release_version": summary.version, "adaptation_version": number}, releases
    )
    return summary, number, target


def _followed(action: dict, successor_id: int, now: datetime) -> Action:
    """The action in the successor, as it stood, noting the one it continues."""
    return Action(
        assessment=successor_id,
        indicator_code=action["indicator_code"],
        title=action["title"],
        owner=action["owner"],
        due_on=action["due_on"],
        status=action["status"],
        carried_from=action["id"],
        created_at=now,
        updated_at=now,
    )


def _carried(answer: dict, successor_id: int, revision: int | None, now: datetime) -> Answer:
    """The answer in the successor: the same, flagged when its indicator was revised, archived when
    it was retired. Its revision stays the one it was given about until it is saved again."""
    return Answer(
        assessment=successor_id,
        indicator_code=answer["indicator_code"],
        revision=answer["revision"],
        level=answer["level"],
        justification=answer["justification"],
        evidence=answer["evidence"],
        evidence_html=answer["evidence_html"],
        links=answer["links"],
        carried=True,
        needs_review=revision is not None and revision != answer["revision"],
        archived=revision is None,
        updated_at=now,
        updated_by=answer["updated_by"],
    )
