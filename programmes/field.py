"""Field evidence: how the programmes that submitted an assessment on a release answered each of its
indicators. Counted when an assessment is submitted (one lookup to read), shown only when enough
programmes have answered that no figure points at one of them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from places.territory_kinds import TERRITORY_KINDS
from programmes.levels import LEVELS, NOT_APPLICABLE
from programmes.tables import Answer, Assessment, FieldEvidence
from web.database import lock_key
from web.failures import InvalidInput

ALL = ""  # the territory_kind of the counts over every programme
# The advisory lock's namespace on PostgreSQL (with the release's id): one recount at a time.
FIELD_LOCK = 4


@dataclass(frozen=True)
class FieldFigures:
    """What may be shown of one indicator on one release: the counts when `shown`, else how many
    more programmes must submit (`needed`)."""

    shown: bool
    programmes: int
    needed: int
    counts: dict[str, int]
    reasons: tuple[str, ...]


async def recount(release_id: int) -> None:
    """Count again the latest submitted assessment of each programme on the release, overall and per
    kind of territory. Called inside the transaction of a submission."""
    await lock_key(FIELD_LOCK, release_id)
    submitted = (
        await Assessment.select(
            Assessment.id, Assessment.programme, Assessment.programme.territory_kinds.as_alias("kinds")
        )
        .where((Assessment.release == release_id) & (Assessment.status == "submitted"))
        .order_by(Assessment.id)
        .output(load_json=True)
    )
    latest = {row["programme"]: row for row in submitted}  # a later submission replaces an earlier one
    kinds_of = {row["id"]: (ALL, *(row["kinds"] or ())) for row in latest.values()}
    answers = await Answer.select(
        Answer.assessment, Answer.indicator_code, Answer.level, Answer.justification
    ).where(Answer.assessment.is_in(list(kinds_of) or [0]) & (Answer.archived == False))  # noqa: E712
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    programmes = Counter(kind for kinds in kinds_of.values() for kind in kinds)
    for answer in answers:
        for kind in kinds_of[answer["assessment"]]:
            key = (kind, answer["indicator_code"])
            counts[key][answer["level"]] += 1
            if answer["level"] == NOT_APPLICABLE:
                reasons[key].append(answer["justification"])
    await FieldEvidence.delete().where(FieldEvidence.release == release_id)
    rows = [
        FieldEvidence(
            release=release_id,
            territory_kind=kind,
            indicator_code=code,
            programmes=programmes[kind],
            counts={level: found[level] for level in LEVELS},
            # Sorted, not in the order of submission, which could tell whose reason is whose.
            reasons=sorted(reasons[(kind, code)]),
        )
        for (kind, code), found in counts.items()
    ]
    if rows:
        await FieldEvidence.insert(*rows)


def territory_kind(value: str | None) -> str:
    if value is None or value == "":
        return ALL
    if value not in TERRITORY_KINDS:
        raise InvalidInput(
            "Unknown kind of territory: %(kind)s. The kinds are %(kinds)s.",
            "territory_kind",
            kind=value[:40],
            kinds=", ".join(TERRITORY_KINDS),
        )
    return value


async def field_figures(release_id: int, code: str, kind: str, minimum: int) -> FieldFigures:
    """The figures of one indicator, if at least `minimum` programmes have submitted on the release.

    A kind of territory narrows the count, never below `minimum`; and since the figures of the others
    are the overall ones minus these, a kind is shown only if the programmes outside it are none or
    at least `minimum` too: no subtraction singles anyone out."""
    rows = (
        await FieldEvidence.select()
        .where(
            (FieldEvidence.release == release_id)
            & (FieldEvidence.indicator_code == code)
            & FieldEvidence.territory_kind.is_in(list({ALL, kind}))
        )
        .output(load_json=True)
    )
    by_kind = {row["territory_kind"]: row for row in rows}
    row = by_kind.get(kind)
    found = row["programmes"] if row else 0
    overall = by_kind[ALL]["programmes"] if ALL in by_kind else 0
    others = overall - found
    if found < minimum or 0 < others < minimum:
        needed = max(minimum - found, minimum - others if 0 < others < minimum else 0)
        return FieldFigures(False, found, needed, {}, ())
    return FieldFigures(True, found, 0, dict(row["counts"]), tuple(row["reasons"]))
