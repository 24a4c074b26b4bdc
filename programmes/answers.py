"""Answering a draft assessment, one indicator or one theme at a time, without silent overwrites:
a save names the version of the answer it was written over, and a save over a newer one is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from indicators.content import ReleasedIndicator
from programmes.assessments import (
    DRAFT,
    AnswerView,
    Releases,
    assessed_release,
    assessment_row,
    assessment_view,
)
from programmes.levels import NOT_APPLICABLE, level
from programmes.membership import require_role
from programmes.roles import ProgrammeRole
from programmes.tables import Answer, Assessment
from programmes.topics import programme_topic
from proposals.roles import Actor
from proposals.services import clean_text
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict, InvalidInput, NotFound
from web.markdown import render_markdown_off_loop
from web.messages import Term

JUSTIFICATION_MAX = 2_000
EVIDENCE_MAX = 10_000
LINKS_MAX = 10
LINK_MAX = 2_000


@dataclass(frozen=True)
class AnswerInput:
    """What a contributor writes about one indicator. `version`: the answer's version they read (0
    for one never saved); None saves whatever is there (the API's choice, as a PUT without If-Match)."""

    indicator: str
    level: object
    justification: object = ""
    evidence: object = ""
    links: object = ()
    version: int | None = None


@dataclass(frozen=True)
class CleanAnswer:
    level: str
    justification: str
    evidence: str
    links: tuple[str, ...]


def clean_answer(given: AnswerInput) -> CleanAnswer:
    chosen = level(given.level)
    justification = clean_text(
        "" if given.justification is None else given.justification,
        Term("justification"),
        JUSTIFICATION_MAX,
        required=chosen == NOT_APPLICABLE,
        field="justification",
        markdown=True,
    )
    evidence = clean_text(
        "" if given.evidence is None else given.evidence,
        Term("evidence"),
        EVIDENCE_MAX,
        required=False,
        field="evidence",
        markdown=True,
    )
    return CleanAnswer(chosen, justification, evidence, _links(given.links))


def _links(value: object) -> tuple[str, ...]:
    """Web addresses (http or https), each once, at most LINKS_MAX."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(link, str) for link in value):
        raise InvalidInput("The links must be a list of web addresses.", "links")
    links = list(dict.fromkeys(link.strip() for link in value if link.strip()))
    if len(links) > LINKS_MAX:
        raise InvalidInput("An answer has at most %(maximum)s links.", "links", maximum=LINKS_MAX)
    for link in links:
        parts = urlsplit(link) if len(link) <= LINK_MAX and link.isprintable() and " " not in link else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(
                "%(link)s is not a web address: links start with https:// or http://.",
                "links",
                link=link[:80],
            )
    return tuple(links)


async def save_answer(
    actor: Actor | None, assessment_id: int, given: AnswerInput, releases: Releases
) -> AnswerView:
    """Save one answer of a draft; returns it as stored."""
    saved = await save_answers(actor, assessment_id, [given], releases)
    return saved[given.indicator]


async def save_answers(
    actor: Actor | None, assessment_id: int, given: list[AnswerInput], releases: Releases
) -> dict[str, AnswerView]:
    """Save answers of a draft together (a theme's form), or none of them: each answer changed since
    its writer read it (another version) is a Conflict. An answer given unchanged is not written,
    except that it is no longer flagged for review: the contributor has seen it beside its change."""
    if not given:
        return {}
    row = await assessment_row(assessment_id)
    actor, _role = await require_role(actor, row["programme"], ProgrammeRole.contributor, Term("answer"))
    release, _local = await assessed_release(row, releases)
    indicators = {code: indicator for code, (_theme, indicator) in release.indicators().items()}
    cleaned = []
    for answer in given:
        if answer.indicator not in indicators:
            raise NotFound(
                "The release %(version)s has no indicator %(code)r.",
                version=release.version,
                code=answer.indicator[:40],
            )
        cleaned.append((answer, clean_answer(answer)))
    rendered = {a.indicator: await render_markdown_off_loop(c.evidence) for a, c in cleaned}
    async with Assessment._meta.db.transaction():
        await lock_row(Assessment, assessment_id)
        await _refuse_unless_draft(assessment_id)
        stored = {
            r["indicator_code"]: r
            for r in await Answer.select()
            .where(
                (Answer.assessment == assessment_id)
                & Answer.indicator_code.is_in([a.indicator for a, _c in cleaned])
            )
            .output(load_json=True)
        }
        for answer, clean in cleaned:
            await _store(
                assessment_id,
                indicators[answer.indicator],
                stored.get(answer.indicator),
                answer.version,
                clean,
                rendered[answer.indicator],
                actor,
            )
        await announce(programme_topic(row["programme"]))
    view = await assessment_view(await assessment_row(assessment_id), releases)
    return {a.indicator: a for a in view.answers if a.indicator in {g.indicator for g in given}}


async def _refuse_unless_draft(assessment_id: int) -> None:
    status = await Assessment.select(Assessment.status).where(Assessment.id == assessment_id).first()
    if status["status"] != DRAFT:
        raise Conflict("This assessment is submitted: it can no longer change. Start a new one from it.")


async def _store(
    assessment_id: int,
    indicator: ReleasedIndicator,
    stored: dict | None,
    version: int | None,
    clean: CleanAnswer,
    evidence_html: str,
    actor: Actor,
) -> None:
    current = stored["version"] if stored else 0
    if version is not None and version != current:
        raise Conflict(
            "The answer to %(code)s was saved by someone else after you read it (version %(current)s, "
            "you read %(yours)s): read it again before saving.",
            code=indicator.code,
            current=current,
            yours=version,
        )
    now = datetime.now(UTC)
    if stored is None:
        await Answer.insert(
            Answer(
                assessment=assessment_id,
                indicator_code=indicator.code,
                revision=indicator.revision,
                level=clean.level,
                justification=clean.justification,
                evidence=clean.evidence,
                evidence_html=evidence_html,
                links=list(clean.links),
                updated_at=now,
                updated_by=actor.id,
            )
        )
        return
    unchanged = (
        stored["level"] == clean.level
        and stored["justification"] == clean.justification
        and stored["evidence"] == clean.evidence
        and tuple(stored["links"] or ()) == clean.links
    )
    if unchanged and not stored["needs_review"]:
        return
    changes = {Answer.needs_review: False, Answer.revision: indicator.revision, Answer.version: current + 1}
    if not unchanged:
        changes |= {
            Answer.level: clean.level,
            Answer.justification: clean.justification,
            Answer.evidence: clean.evidence,
            Answer.evidence_html: evidence_html,
            Answer.links: list(clean.links),
            Answer.carried: False,
            Answer.updated_at: now,
            Answer.updated_by: actor.id,
        }
    await Answer.update(changes).where(Answer.id == stored["id"])
