"""Field evidence: how the programmes that submitted an assessment on a release answered each of its
indicators. Counted when an assessment is submitted (one lookup to read), shown only when no figure,
alone or beside others, points at one programme:

- a threshold of `minimum` voices: programmes counted by the distinct accounts that submitted them
  (one person making several programmes counts once toward it);
- figures move in steps: a new count is published only once `minimum` submissions have arrived since
  the last one, so comparing the figures before and after one submission tells nothing;
- a kind of territory is shown only if every group of programmes declaring the same kinds holds none
  or at least `minimum` of them (kinds overlap: rural + urban − all would isolate a programme that
  declared both), and the kind itself at least `minimum`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from indicators.queries import entry_rows
from places.territory_kinds import TERRITORY_KINDS
from programmes.levels import LEVELS, NOT_APPLICABLE
from programmes.tables import Answer, Assessment, FieldEvidence
from web.database import lock_key
from web.failures import InvalidInput

ALL = ""  # the territory_kind of the counts over every programme
# The row (territory_kind STATE, indicator_code "") keeping where a release's counting stands.
STATE = "*"
# The advisory lock's namespace on PostgreSQL (with the release's id): one recount at a time.
FIELD_LOCK = 4


@dataclass(frozen=True)
class FieldFigures:
    """What may be shown of one indicator on one release: the counts when `shown`, else how many
    more voices are needed (`needed`)."""

    shown: bool
    programmes: int
    needed: int
    counts: dict[str, int]
    reasons: tuple[str, ...]


@dataclass
class Count:
    """A fresh count of a release: rows per (kind, indicator), programmes per kind, voices."""

    rows: list[FieldEvidence]
    voices: int  # distinct accounts that submitted the programmes counted
    kinds_safe: bool


async def _count(release_id: int, minimum: int) -> Count:
    submitted = (
        await Assessment.select(
            Assessment.id,
            Assessment.programme,
            Assessment.submitted_by,
            Assessment.programme.territory_kinds.as_alias("kinds"),
        )
        .where((Assessment.release == release_id) & (Assessment.status == "submitted"))
        .order_by(Assessment.submitted_at, Assessment.id)
        .output(load_json=True)
    )
    latest = {row["programme"]: row for row in submitted}  # a later submission replaces an earlier one
    kinds_of = {row["id"]: tuple(row["kinds"] or ()) for row in latest.values()}
    groups = Counter(frozenset(kinds) for kinds in kinds_of.values())
    answers = await Answer.select(
        Answer.assessment, Answer.indicator_code, Answer.level, Answer.justification
    ).where(Answer.assessment.is_in(list(kinds_of) or [0]) & (Answer.archived == False))  # noqa: E712
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    programmes = Counter(kind for kinds in kinds_of.values() for kind in (ALL, *kinds))
    # Per national indicator: an indicator a territory's adaptation added locally is not counted.
    national = {row["code"] for row in await entry_rows(release_id)}
    for answer in (a for a in answers if a["indicator_code"] in national):
        for kind in (ALL, *kinds_of[answer["assessment"]]):
            key = (kind, answer["indicator_code"])
            counts[key][answer["level"]] += 1
            if answer["level"] == NOT_APPLICABLE:
                reasons[key].append(answer["justification"])
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
    voices = len({row["submitted_by"] for row in latest.values()})
    return Count(rows, voices, kinds_safe=all(size >= minimum for size in groups.values()))


async def recount(release_id: int, minimum: int) -> None:
    """After a submission on the release (inside its transaction): count again, and publish the new
    count if it is the first to reach `minimum` voices or if `minimum` submissions arrived since the
    last one published."""
    await lock_key(FIELD_LOCK, release_id)
    state = await _state(release_id)
    fresh = await _count(release_id, minimum)
    pending = state.counts.get("pending", 0) + 1
    published = state.counts.get("published_voices", 0)
    if (published == 0 and fresh.voices >= minimum) or (published > 0 and pending >= minimum):
        await FieldEvidence.delete().where(FieldEvidence.release == release_id)
        rows = [r for r in fresh.rows if r.territory_kind == ALL or fresh.kinds_safe]
        counts = {"published_voices": fresh.voices, "voices": fresh.voices, "pending": 0}
        await FieldEvidence.insert(*rows, _new_state(release_id, counts))
        return
    state.counts = {"published_voices": published, "voices": fresh.voices, "pending": pending}
    if state._exists_in_db:
        await state.save()
    else:
        await FieldEvidence.insert(state)


async def _state(release_id: int) -> FieldEvidence:
    found = (
        await FieldEvidence.objects()
        .where(
            (FieldEvidence.release == release_id)
            & (FieldEvidence.territory_kind == STATE)
            & (FieldEvidence.indicator_code == "")
        )
        .output(load_json=True)
        .first()
    )
    return found or _new_state(release_id, {})


def _new_state(release_id: int, counts: dict) -> FieldEvidence:
    return FieldEvidence(
        release=release_id, territory_kind=STATE, indicator_code="", programmes=0, counts=counts, reasons=[]
    )


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
    """The published figures of one indicator, if they rest on at least `minimum` voices (and, for a
    kind of territory, if that kind was safe to show when they were counted)."""
    rows = (
        await FieldEvidence.select()
        .where(
            (FieldEvidence.release == release_id)
            & (
                (
                    (FieldEvidence.indicator_code == code)
                    & FieldEvidence.territory_kind.is_in(list({ALL, kind}))
                )
                | (FieldEvidence.territory_kind == STATE)
            )
        )
        .output(load_json=True)
    )
    by_kind = {row["territory_kind"]: row for row in rows}
    state = by_kind[STATE]["counts"] if STATE in by_kind else {}
    published, voices = state.get("published_voices", 0), state.get("voices", 0)
    row = by_kind.get(kind)
    found = row["programmes"] if row else 0
    others = (by_kind[ALL]["programmes"] if ALL in by_kind else 0) - found
    if published < minimum or row is None or found < minimum or 0 < others < minimum:
        return FieldFigures(False, found, max(1, minimum - max(voices, found)), {}, ())
    return FieldFigures(True, found, 0, dict(row["counts"]), tuple(row["reasons"]))
