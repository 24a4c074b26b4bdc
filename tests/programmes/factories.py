"""Programmes and assessments made through the use cases, for the programmes' tests."""

from __future__ import annotations

from indicators.release_cache import ReleaseCache
from programmes.answers import AnswerInput, save_answers
from programmes.assessments import read_assessment, start_assessment
from programmes.membership import create_programme
from programmes.submission import submit_assessment
from proposals.roles import Actor
from proposals.voting import decide_proposal
from tests.constants import SLUG
from tests.proposals.factories import (
    add_proposal,
    amend_proposal,
    make_account,
    make_group,
    make_steward,
    retire_proposal,
    voted,
)
from web.cache import Cache, Generations


def releases() -> ReleaseCache:
    """A release cache of the test's own (the app's is in its state)."""
    return ReleaseCache(Cache(Generations(), max_entries=64, max_bytes=16 * 1024 * 1024, ttl=0))


async def make_programme(admin: Actor, name: str = "Mentorat Nord", kinds=("urban",), department="59") -> int:
    view = await create_programme(admin, name, department, list(kinds))
    return view.id


async def answer_all(actor: Actor, assessment_id: int, level: str = "in_place", **per_code: str) -> None:
    """Answer every indicator of the assessment at `level` (or per_code[code])."""
    view = await read_assessment(actor, assessment_id, releases())
    given = []
    for answer in view.answers:
        chosen = per_code.get(answer.indicator.replace("-", "_"), level)
        justification = "Pas de mentors bénévoles ici." if chosen == "not_applicable" else ""
        given.append(AnswerInput(answer.indicator, chosen, justification, version=answer.version))
    await save_answers(actor, assessment_id, given, releases())


async def submitted_assessment(
    admin: Actor, programme_id: int, level: str = "in_place", aggregate_min: int = 1, **per_code: str
) -> int:
    """Submitted, and counted in the field evidence at once (aggregate_min 1: every count published)."""
    assessment_id = await start_assessment(admin, programme_id, SLUG, "latest", releases())
    await answer_all(admin, assessment_id, level, **per_code)
    await submit_assessment(admin, assessment_id, releases(), aggregate_min)
    return assessment_id


async def publish_changes() -> str:
    """Publish, through the co-design loop, a release that amends REC-1, retires REC-4 and adds REC-5
    (the group answers for every theme touched). Returns the new current version."""
    members = await make_group(("REC",))
    steward = await make_steward()
    version = ""
    for proposal in (
        await amend_proposal(await make_account(), "REC-1"),
        await retire_proposal(await make_account(), "REC-4"),
        await add_proposal(await make_account()),
    ):
        after = await voted(proposal, members, ["for"] * 3, steward)
        version = (await decide_proposal(None, proposal.id, now=after)).release_version
    return version
