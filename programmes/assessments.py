"""Self-assessments: started against one release, read by the programme's members (or through a
share link), listed on the programme's page."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from indicators.content import Release, ReleasedTheme
from indicators.queries import FrameworkInfo, ReleaseSummary
from programmes.levels import LEVELS
from programmes.local import LocalReading, adaptation_to_assess, local_reading
from programmes.membership import check_role, require_role, role_in
from programmes.roles import ProgrammeRole
from programmes.tables import Action, Answer, Assessment, ShareLink
from programmes.topics import programme_topic
from proposals.audit import record
from proposals.roles import Actor
from proposals.services import signed_in
from web.changes import announce
from web.failures import Forbidden, NotFound
from web.messages import Term

DRAFT, SUBMITTED = "draft", "submitted"
READING = Term("read this assessment")


class Releases(Protocol):
    """Where use cases read releases (indicators.release_cache.ReleaseCache in the app)."""

    async def framework(self, slug: str) -> tuple[FrameworkInfo, str]: ...

    async def resolve(self, slug: str, version: str) -> tuple[FrameworkInfo, ReleaseSummary, str]: ...

    async def release(self, slug: str, version: str) -> tuple[FrameworkInfo, Release, str]: ...


@dataclass(frozen=True)
class AnswerView:
    indicator: str
    theme: str
    revision: int  # the indicator's revision the answer is about (0: not answered)
    level: str | None
    justification: str = ""
    evidence: str = ""
    evidence_html: str = ""
    links: tuple[str, ...] = ()
    carried: bool = False
    needs_review: bool = False
    version: int = 0  # 0: never saved
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ActionView:
    id: int
    indicator: str
    title: str
    owner: str
    due_on: date | None
    status: str
    carried: bool

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today and self.status != "done"


@dataclass(frozen=True)
class AssessmentView:
    id: int
    programme_id: int
    programme_name: str
    framework: str
    release: Release
    status: str
    content_hash: str | None
    predecessor: int | None
    created_at: datetime
    submitted_at: datetime | None
    answers: tuple[AnswerView, ...]  # one per indicator of the release, in its order
    archived: tuple[AnswerView, ...]  # answers about indicators retired since the predecessor
    actions: tuple[ActionView, ...] = field(default=())
    local: LocalReading | None = None  # made against a territory's adaptation (`release` as it reads it)

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT

    @property
    def progress(self) -> tuple[int, int]:
        return sum(a.level is not None for a in self.answers), len(self.answers)

    @property
    def to_review(self) -> int:
        return sum(a.needs_review for a in self.answers)

    def by_theme(self) -> list[tuple[ReleasedTheme, dict[str, int]]]:
        """Per theme, how many indicators are at each level ("unanswered" for the rest)."""
        found = []
        answers = {a.indicator: a for a in self.answers}
        for theme in self.release.themes:
            counts = dict.fromkeys((*LEVELS, "unanswered"), 0)
            for indicator in theme.indicators:
                counts[answers[indicator.code].level or "unanswered"] += 1
            found.append((theme, counts))
        return found


@dataclass(frozen=True)
class AssessmentSummary:
    id: int
    framework: str
    release: str
    status: str
    answered: int
    created_at: datetime
    submitted_at: datetime | None
    predecessor: int | None


async def start_assessment(
    actor: Actor | None,
    programme_id: int,
    framework_slug: str,
    version: str,
    releases: Releases,
    adaptation: object = None,
) -> int:
    """A new, empty draft against a release of a framework ('latest': the current one), or against
    the latest version of a territory's `adaptation` of it."""
    actor, _role = await require_role(
        actor, programme_id, ProgrammeRole.contributor, Term("start an assessment")
    )
    number = None
    if adaptation is not None:
        number, version = await adaptation_to_assess(adaptation, framework_slug, version)
    framework, summary, _current = await releases.resolve(framework_slug, version)
    async with Assessment._meta.db.transaction():
        assessment = Assessment(
            programme=programme_id,
            framework=framework.id,
            release=summary.id,
            adaptation=adaptation,
            adaptation_version=number,
            created_by=actor.id,
            created_at=datetime.now(UTC),
        )
        await Assessment.insert(assessment)
        detail = {"framework": framework.slug, "release": summary.version, "adaptation": adaptation}
        await record(actor.id, "assessment.started", "assessment", assessment.id, detail)
        await announce(programme_topic(programme_id))
    return assessment.id


_ROW_COLUMNS = (
    Assessment.all_columns(),
    Assessment.framework.slug.as_alias("framework_slug"),
    Assessment.release.version.as_alias("release_version"),
    Assessment.programme.name.as_alias("programme_name"),
)


def assessment_rows():
    """A query of assessments with their framework's slug, release's version and programme's name."""
    return Assessment.select(*_ROW_COLUMNS)


async def assessment_row(assessment_id: int) -> dict:
    row = await assessment_rows().where(Assessment.id == assessment_id).first()
    if row is None:
        raise NotFound("There is no assessment number %(number)s.", number=str(assessment_id))
    return row


def share_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def share_link_expiry(assessment_id: int, token: str) -> datetime | None:
    """When the share link `token` of this assessment expires; None if it has none such."""
    row = (
        await ShareLink.select(ShareLink.expires_at)
        .where((ShareLink.token_hash == share_digest(token)) & (ShareLink.assessment == assessment_id))
        .first()
    )
    return row["expires_at"] if row else None


@dataclass(frozen=True)
class Lookups:
    """Where the access rules read an assessment, a member's role and a share link: the database, or
    the same through a cache whose entries every write to the programme ends (the pages)."""

    row: Callable[[int], Awaitable[dict]] = assessment_row
    role: Callable[[int, int], Awaitable[ProgrammeRole | None]] = role_in
    share_expiry: Callable[[int, str], Awaitable[datetime | None]] = share_link_expiry


async def open_assessment(
    actor: Actor | None,
    assessment_id: int,
    needed: ProgrammeRole,
    doing: Term,
    share: str | None = None,
    lookups: Lookups = Lookups(),
) -> tuple[dict, ProgrammeRole | None]:
    """The assessment's row and the actor's role in its programme, if they may `doing` it: a member
    with at least `needed`, or, to read it only, whoever holds a valid share link of this very
    assessment (role None)."""
    row = await lookups.row(assessment_id)
    if share is not None and needed is ProgrammeRole.viewer:
        expiry = await lookups.share_expiry(assessment_id, share)
        if expiry is not None and expiry > datetime.now(UTC):
            return row, None
        if actor is None:  # a member who follows an old link still reads as a member
            raise Forbidden(
                "This share link does not open this assessment: it may have expired or been revoked."
            )
    actor = signed_in(actor, doing)
    return row, check_role(await lookups.role(row["programme"], actor.id), needed, doing)


async def read_assessment(
    actor: Actor | None, assessment_id: int, releases: Releases, share: str | None = None
) -> AssessmentView:
    row, _role = await open_assessment(actor, assessment_id, ProgrammeRole.viewer, READING, share)
    return await assessment_view(row, releases)


async def assessment_view(row: dict, releases: Releases) -> AssessmentView:
    release, local = await assessed_release(row, releases)
    answers = await Answer.select().where(Answer.assessment == row["id"]).output(load_json=True)
    return build_view(row, release, answers, tuple(await list_actions(row["id"])), local)


async def assessed_release(row: dict, releases: Releases) -> tuple[Release, LocalReading | None]:
    """The release an assessment answers, as its territory's adaptation reads it if it has one."""
    _framework, release, _current = await releases.release(row["framework_slug"], row["release_version"])
    if row["adaptation"] is None:
        return release, None
    return await local_reading(release, row["adaptation"], row["adaptation_version"])


def build_view(
    row: dict,
    release: Release,
    answer_rows: list[dict],
    actions: tuple[ActionView, ...] = (),
    local: LocalReading | None = None,
) -> AssessmentView:
    """The assessment from its row, its release and the rows of its answers."""
    stored = {r["indicator_code"]: r for r in answer_rows}
    answers = tuple(
        _answer(stored.get(indicator.code), indicator.code, theme.code)
        for theme in release.themes
        for indicator in theme.indicators
    )
    archived = tuple(_answer(r, code, "") for code, r in sorted(stored.items()) if r["archived"])
    return AssessmentView(
        id=row["id"],
        programme_id=row["programme"],
        programme_name=row["programme_name"],
        framework=row["framework_slug"],
        release=release,
        status=row["status"],
        content_hash=row["content_hash"],
        predecessor=row["predecessor"],
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        answers=answers,
        archived=archived,
        actions=actions,
        local=local,
    )


def _answer(row: dict | None, code: str, theme: str) -> AnswerView:
    if row is None or (row["archived"] and theme):
        return AnswerView(indicator=code, theme=theme, revision=0, level=None)
    return AnswerView(
        indicator=code,
        theme=theme,
        revision=row["revision"],
        level=row["level"],
        justification=row["justification"],
        evidence=row["evidence"],
        evidence_html=row["evidence_html"],
        links=tuple(row["links"] or ()),
        carried=row["carried"],
        needs_review=row["needs_review"],
        version=row["version"],
        updated_at=row["updated_at"],
    )


async def list_actions(assessment_id: int) -> list[ActionView]:
    rows = await Action.select().where(Action.assessment == assessment_id).order_by(Action.id)
    return [
        ActionView(
            r["id"],
            r["indicator_code"],
            r["title"],
            r["owner"],
            r["due_on"],
            r["status"],
            r["carried_from"] is not None,
        )
        for r in rows
    ]


async def list_assessments(programme_id: int) -> list[AssessmentSummary]:
    """The programme's assessments, newest first, with how many indicators each has answered."""
    rows = (
        await Assessment.select(
            Assessment.id,
            Assessment.framework.slug.as_alias("framework"),
            Assessment.release.version.as_alias("release"),
            Assessment.status,
            Assessment.created_at,
            Assessment.submitted_at,
            Assessment.predecessor,
        )
        .where(Assessment.programme == programme_id)
        .order_by(Assessment.id, ascending=False)
    )
    ids = [r["id"] for r in rows]
    answered: dict[int, int] = dict.fromkeys(ids, 0)
    if ids:
        for r in await Answer.select(Answer.assessment).where(
            Answer.assessment.is_in(ids) & (Answer.archived == False)  # noqa: E712
        ):
            answered[r["assessment"]] += 1
    return [AssessmentSummary(answered=answered[r["id"]], **r) for r in rows]
