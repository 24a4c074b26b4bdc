"""What a later release changes for a programme: its indicators unchanged, revised (with the word
diff), added and retired, beside the programme's own answers about them."""

from __future__ import annotations

from dataclasses import dataclass

from indicators.compare import ChangedIndicator, IndicatorRef, compare_releases
from indicators.queries import FrameworkInfo, list_releases
from indicators.versions import LATEST, parse_version
from programmes.assessments import AnswerView, Releases, assessment_row, assessment_view
from programmes.membership import require_role
from programmes.roles import ProgrammeRole
from programmes.tables import Assessment
from proposals.roles import Actor
from web.failures import InvalidInput
from web.messages import Term


@dataclass(frozen=True)
class ProgrammeChanges:
    framework: str
    from_version: str
    to_version: str
    unchanged: list[IndicatorRef]
    changed: list[ChangedIndicator]
    added: list[IndicatorRef]
    retired: list[IndicatorRef]
    answers: dict[str, AnswerView]  # the programme's answers on `from_version`, by indicator
    assessment_id: int | None  # the assessment they come from
    can_carry_over: bool  # it is submitted, and `to_version` later: the next assessment may start


async def programme_changes(
    actor: Actor | None,
    programme_id: int,
    framework_slug: str,
    releases: Releases,
    from_version: str | None = None,
    to_version: str = LATEST,
) -> ProgrammeChanges:
    """From the release of the programme's latest submitted assessment (unless `from_version` is
    given; without any assessment, the release before the current one) to `to_version`."""
    await require_role(actor, programme_id, ProgrammeRole.viewer, Term("see this programme"))
    framework, _current = await releases.framework(framework_slug)  # NotFound for an unknown one
    if from_version is not None:
        _framework, summary, _current = await releases.resolve(framework_slug, from_version)
        from_version = summary.version
    source = await _latest_assessment(programme_id, framework_slug, from_version)
    if from_version is None:
        from_version = source["release_version"] if source else await _previous_release(framework)
    _framework, before, _current = await releases.release(framework_slug, from_version)
    _framework, after, _current = await releases.release(framework_slug, to_version)
    if parse_version(before.version) > parse_version(after.version):
        raise InvalidInput(
            "The release to compare from (%(before)s) is later than the one to compare to (%(after)s).",
            "from",
            before=before.version,
            after=after.version,
        )
    comparison = compare_releases(before, after)
    changed = {c.code for c in comparison.changed}
    unchanged = [
        IndicatorRef(code, indicator.text.title, theme.code, indicator.revision)
        for code, (theme, indicator) in after.indicators().items()
        if code in before.indicators() and code not in changed
    ]
    view = await assessment_view(await assessment_row(source["id"]), releases) if source else None
    return ProgrammeChanges(
        framework=framework_slug,
        from_version=before.version,
        to_version=after.version,
        unchanged=unchanged,
        changed=comparison.changed,
        added=comparison.added,
        retired=comparison.removed,
        answers={a.indicator: a for a in view.answers if a.level is not None} if view else {},
        assessment_id=view.id if view else None,
        # The next assessment starts from a submitted one, against a later release.
        can_carry_over=view is not None and not view.is_draft and after.version != before.version,
    )


async def _previous_release(framework: FrameworkInfo) -> str:
    """The release before the current one (the current one when it is the first)."""
    versions = [release.version for release in await list_releases(framework)]  # newest first
    return versions[1] if len(versions) > 1 else versions[0]


async def _latest_assessment(programme_id: int, framework_slug: str, version: str | None) -> dict | None:
    """The programme's latest assessment of the framework (on `version` if given), a submitted one
    before any draft."""
    query = Assessment.select(
        Assessment.id,
        Assessment.status,
        Assessment.release.version.as_alias("release_version"),
    ).where((Assessment.programme == programme_id) & (Assessment.framework.slug == framework_slug))
    rows = await query.order_by(Assessment.id, ascending=False)
    if version is not None:
        rows = [r for r in rows if r["release_version"] == version]
    return next((r for r in rows if r["status"] == "submitted"), rows[0] if rows else None)
