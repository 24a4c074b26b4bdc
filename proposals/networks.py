"""Territorial networks: a steward makes a local adaptation of a framework for a region or a department,
kept by one of the framework's working groups (its network); the network, or a steward, adopts a later
national release for it. Proposals to an adaptation go through proposals.proposing and proposals.voting
like any other: the network votes on them, and each accepted one publishes a new version."""

from __future__ import annotations

from indicators.adaptations import AdaptationView, adopt_base, create_adaptation, get_adaptation
from indicators.queries import get_framework
from proposals.audit import record
from proposals.roles import Actor, Role
from proposals.services import OPEN_STATUSES, signed_in
from proposals.tables import Proposal
from proposals.topics import PROPOSALS, proposal_topic
from proposals.voting import group_voters
from proposals.working_groups import get_working_group
from web.changes import announce
from web.failures import Conflict, Forbidden, InvalidInput
from web.messages import Term


async def create_local_adaptation(
    actor: Actor | None,
    framework_slug: str,
    name: str,
    base_version: str,
    working_group_id: int,
    *,
    region: str | None = None,
    department: str | None = None,
) -> AdaptationView:
    """A steward makes a local adaptation of a release for one territory (a region or a department),
    kept by a working group of the same framework."""
    actor = signed_in(actor, Term("create a local adaptation"))
    actor.require(Role.steward, Term("create a local adaptation"))
    region, department = _one_territory(region, department)
    framework = await get_framework(framework_slug)
    group = await get_working_group(working_group_id)
    if group.framework != framework.slug:
        raise Conflict(
            "The working group %(group)r belongs to the framework %(other)r, not %(slug)r: "
            "a territorial network adapts its own framework.",
            group=group.name,
            other=group.framework,
            slug=framework.slug,
        )
    async with Proposal._meta.db.transaction():
        view = await create_adaptation(
            framework.slug, name, base_version, group.id, region=region, department=department
        )
        detail = {
            "framework": framework.slug,
            "name": view.name,
            "region": view.region,
            "department": view.department,
            "base_version": view.base_version,
            "working_group": group.id,
        }
        await record(actor.id, "adaptation.created", "adaptation", view.id, detail)
    return view


def _one_territory(region: str | None, department: str | None) -> tuple[str, str]:
    """(region, department): exactly one of them given (the adaptation's checks say if it is a code)."""
    given = {
        field: value
        for field, value in (("region", region), ("department", department))
        if value not in (None, "")
    }
    if len(given) != 1:
        raise InvalidInput(
            "A local adaptation is made for one territory: give either a department or a region.",
            "region" if "region" in given else "department",
        )
    return given.get("region", ""), given.get("department", "")


async def adopt_release(actor: Actor | None, adaptation_id: int, version: str) -> AdaptationView:
    """A steward or a member of its network moves an adaptation onto a later national release (a new
    version of the adaptation). Its open proposals, written against the old release, are outrun."""
    actor = signed_in(actor, Term("adopt a national release"))
    adaptation = await get_adaptation(adaptation_id)
    if not actor.role.at_least(Role.steward) and actor.id not in await group_voters(adaptation.working_group):
        raise Forbidden(
            "Only a steward or a member of the territorial network keeping this adaptation may "
            "adopt a national release for it."
        )
    async with Proposal._meta.db.transaction():
        view = await adopt_base(adaptation_id, version, proposal_id=None)
        detail = {"from": adaptation.base_version, "to": view.base_version, "version": view.version}
        await record(actor.id, "adaptation.base_adopted", "adaptation", adaptation_id, detail)
        # Whether they are outrun shows on their pages and in the lists (services.is_stale).
        outrun = await Proposal.select(Proposal.id).where(
            (Proposal.adaptation == adaptation_id) & Proposal.status.is_in(list(OPEN_STATUSES))
        )
        await announce(PROPOSALS, *(proposal_topic(row["id"]) for row in outrun))
    return view
