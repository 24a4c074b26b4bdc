"""Equity of voice: who took part in a proposal, or over a release cycle, by region and kind of territory.

People, not actions: each account counts once per cell (ten comments are one commenter), once per
role (authors, commenters, voters: someone who comments and votes is in both columns) and once per
row's total. A person's region is the region of the department they declared (accounts.department);
no department, or one that is not a current INSEE code, counts under "not said". A person declares
any number of kinds of territory: they count under each of them, or under "not said" for none.

A hidden comment counts as taking part: its author did speak, and moderation judges what was said,
not who was heard. It also keeps the figures from moving when a steward hides a comment.

k-anonymity, K = 5. Every count under K, zero included, is the string "<5" in every cell, per-row
totals too: a region with one participant reads exactly as a region with none. A region or kind
with fewer than K participants is "unheard", whether it has 0 or 4: "not heard" never means "zero".

Differencing. No exact figure per region or kind is given when one of its parts is masked, so that no
subtraction recovers a masked cell: a row's total (distinct people, `people`) is exact only when its
three cells are; otherwise it reads "<5" under K and "≥5" from K on, which the unheard lists say
already. (An exact total of 7 beside 6 commenters, no vote yet and a public author who did not
comment would say where the author is.) `participants`, the number of distinct people over all
rows, is exact: it says how many took part, which the names on the page say too, and nothing of
where anyone is: the rows it could be compared with are masked alike whether they hold 0 or 4.
Known limits, inherent to publishing any count (README, "Equity of voice"): someone who watches a
figure change the moment a named person comments learns that person's region when the cell was at K
or above, or reaches K with them; and when every commenter of a proposal is in one region, the
figures say so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from indicators.queries import get_framework, list_releases
from indicators.versions import LATEST, parse_version
from places.france import departments, regions
from places.territory_kinds import TERRITORY_KINDS
from proposals.services import positive_id
from proposals.tables import Account, Ballot, Comment, Proposal
from web.failures import InvalidInput, NotFound
from web.messages import Term

K = 5
FEW = "<5"  # what every count under K reads
HEARD = "≥5"  # a row's total of K or more when one of its cells is masked
NOT_SAID = "not_said"  # the row of people who gave no department, or no kind
ROLES = ("authors", "commenters", "voters")

Count = int | str  # a whole number >= K, or FEW


def masked(count: int) -> Count:
    """`count` if it is K or more, else FEW (0 included)."""
    return count if count >= K else FEW


def row_total(people: int, cells: Iterable[Count]) -> Count:
    """A row's number of distinct people: exact only if every cell of the row is (module docstring)."""
    if people < K:
        return FEW
    return people if all(isinstance(cell, int) for cell in cells) else HEARD


@dataclass(frozen=True)
class Row:
    """One region (its INSEE code), kind of territory, or NOT_SAID, with its masked counts."""

    key: str
    authors: Count
    commenters: Count
    voters: Count
    people: Count  # distinct people in the row, whatever their roles: exact, FEW or HEARD


@dataclass(frozen=True)
class Participation:
    participants: int  # distinct people in all: exact
    by_region: tuple[Row, ...]  # the 18 regions in INSEE order, then NOT_SAID
    by_kind: tuple[Row, ...]  # TERRITORY_KINDS in their order, then NOT_SAID
    unheard_regions: tuple[str, ...]  # regions with fewer than K participants (INSEE codes)
    unheard_kinds: tuple[str, ...]  # kinds with fewer than K participants


@dataclass(frozen=True)
class Place:
    """Where a person says they are."""

    region: str  # INSEE code of their department's region, or NOT_SAID
    kinds: tuple[str, ...]  # their declared kinds, or (NOT_SAID,)


@cache
def _region_of_department() -> dict[str, str]:
    return {department.code: department.region.code for department in departments()}


def place_of(department: object, kinds: object) -> Place:
    """A person's Place from their account's columns; anything unknown or malformed is "not said"."""
    region = _region_of_department().get(department) if isinstance(department, str) else None
    if isinstance(kinds, str):  # a JSON column read through a join comes back as its text
        try:
            kinds = json.loads(kinds)
        except ValueError:
            kinds = []
    declared = tuple(kind for kind in TERRITORY_KINDS if isinstance(kinds, list) and kind in kinds)
    return Place(region or NOT_SAID, declared or (NOT_SAID,))


def tally(roles: Mapping[str, Iterable[int]], places: Mapping[int, Place]) -> Participation:
    """The masked figures of the people in each role (`roles`: role -> account ids), placed by `places`."""
    members = {role: set(roles.get(role, ())) for role in ROLES}
    everyone = set().union(*members.values())
    region_keys = (*(region.code for region in regions()), NOT_SAID)
    kind_keys = (*TERRITORY_KINDS, NOT_SAID)

    def by_region(ids: set[int]) -> Counter[str]:
        return Counter(places[i].region for i in ids)

    def by_kind(ids: set[int]) -> Counter[str]:
        return Counter(kind for i in ids for kind in places[i].kinds)

    def rows(keys: tuple[str, ...], count) -> tuple[tuple[Row, ...], Counter[str]]:
        per_role = {role: count(ids) for role, ids in members.items()}
        people = count(everyone)
        made = []
        for key in keys:
            cells = [masked(per_role[role][key]) for role in ROLES]
            made.append(Row(key, *cells, people=row_total(people[key], cells)))
        return tuple(made), people

    region_rows, region_people = rows(region_keys, by_region)
    kind_rows, kind_people = rows(kind_keys, by_kind)
    return Participation(
        participants=len(everyone),
        by_region=region_rows,
        by_kind=kind_rows,
        unheard_regions=tuple(region.code for region in regions() if region_people[region.code] < K),
        unheard_kinds=tuple(kind for kind in TERRITORY_KINDS if kind_people[kind] < K),
    )


async def _people(table: Any, who: Any, where: Any) -> list[dict]:
    """(id, department, kinds) of the account in column `who` of each row of `table` matching `where`:
    one query, joined to the account (a person appears once per row: tally() counts them once)."""
    return await table.select(
        who.as_alias("id"), who.department.as_alias("department"), who.territory_kinds.as_alias("kinds")
    ).where(where)


async def _participation(proposal_in: Any) -> Participation:
    """The figures of the proposals matching `proposal_in(reference)`, a condition on a proposal given
    the way to reach it (the Proposal table, or a comment's or ballot's proposal): three queries."""
    found = {
        "authors": await _people(Proposal, Proposal.author, proposal_in(Proposal)),
        "commenters": await _people(Comment, Comment.author, proposal_in(Comment.proposal)),
        "voters": await _people(Ballot, Ballot.voter, proposal_in(Ballot.proposal)),
    }
    places = {row["id"]: place_of(row["department"], row["kinds"]) for rows in found.values() for row in rows}
    return tally({role: (row["id"] for row in rows) for role, rows in found.items()}, places)


async def proposal_participation(proposal_id: int) -> Participation:
    """Who took part in a proposal so far: its author, commenters (hidden comments included) and voters."""
    positive_id(proposal_id, Term("proposal number"))
    if not await Proposal.exists().where(Proposal.id == proposal_id):
        raise NotFound("There is no proposal number %(number)s.", number=str(proposal_id))
    return await _participation(lambda proposal: _id_of(proposal) == proposal_id)


def _id_of(proposal: Any) -> Any:
    """A proposal's id as a column: the Proposal table's own, or the foreign key reaching it (no join)."""
    return proposal.id if proposal is Proposal else proposal


# --- release cycles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """The proposals of a framework decided after release `since` (None: from the start) and up to
    release `until`: rejected ones by their decision's date, accepted ones by the release they made."""

    framework_id: int
    slug: str
    since: str | None
    until: str
    after: datetime | None  # when `since` was published
    up_to: datetime  # when `until` was published
    release_ids: tuple[int, ...]  # the releases after `since`, up to `until` included
    versions: tuple[str, ...]  # every release of the framework, newest first (to choose a cycle)


async def release_cycle(framework_slug: str, since: str | None = None, until: str | None = None) -> Cycle:
    """The cycle between two releases of the framework. Defaults: `until` the current release, `since`
    the one just before `until` (None when `until` is the first). NotFound for an unknown framework or
    release; InvalidInput for a malformed number or when `since` is not older than `until`."""
    framework = await get_framework(framework_slug)
    releases = await list_releases(framework)  # newest first
    if not releases:
        raise NotFound("The framework %(slug)r has no published release yet.", slug=framework.slug)
    versions = [release.version for release in releases]

    def position(version: str, field: str) -> int:
        if version == LATEST:
            return 0
        try:
            number = str(parse_version(version))
        except InvalidInput as error:
            raise InvalidInput(error.message, field) from None  # said beside the form's field
        if number not in versions:
            raise NotFound(
                "The framework %(slug)r has no release %(version)s.", slug=framework.slug, version=number
            )
        return versions.index(number)

    end = position(until, "to") if until else 0
    start = position(since, "from") if since else end + 1
    if start <= end:
        raise InvalidInput(
            "The release %(since)s must be older than the release %(until)s.",
            "from",
            since=versions[start],
            until=versions[end],
        )
    earlier = releases[start] if start < len(releases) else None
    return Cycle(
        framework_id=framework.id,
        slug=framework.slug,
        since=earlier.version if earlier else None,
        until=releases[end].version,
        after=earlier.published_at if earlier else None,
        up_to=releases[end].published_at,
        release_ids=tuple(release.id for release in releases[end:start]),
        versions=tuple(versions),
    )


def _in_cycle(cycle: Cycle):
    """The condition a proposal (reached through `proposal`) meets when it was decided in the cycle.
    National proposals only: a proposal to a territory's adaptation is decided in its network's own
    rhythm, not by the framework's releases."""

    def condition(proposal: Any) -> Any:
        rejected = (proposal.status == "rejected") & (proposal.decided_at <= cycle.up_to)
        if cycle.after is not None:
            rejected &= proposal.decided_at > cycle.after
        # An accepted proposal belongs to the cycle of the release it made, whatever the clock said.
        decided = rejected
        if cycle.release_ids:
            decided = rejected | (
                (proposal.status == "accepted") & proposal.release.is_in(list(cycle.release_ids))
            )
        return (proposal.framework == cycle.framework_id) & proposal.adaptation.is_null() & decided

    return condition


async def participation_in(cycle: Cycle) -> Participation:
    """Who took part in the proposals decided in the cycle, each person counted once in the cycle."""
    return await _participation(_in_cycle(cycle))


async def cycle_participation(
    framework_slug: str, from_version: str | None = None, to_version: str | None = None
) -> Participation:
    """The participation figures over the proposals decided between two releases (release_cycle)."""
    return await participation_in(await release_cycle(framework_slug, from_version, to_version))


# --- whom a steward may ask ------------------------------------------------------------------------


async def unheard_contacts(figures: Participation) -> tuple[str, ...]:
    """The addresses of the active accounts whose department is in an unheard region, or who declared
    an unheard kind, sorted: for a steward to invite them. Everyone there, participants included:
    leaving out those who took part would let a steward compare two lists and find where they are.
    One query over the active accounts (their kinds are JSON, which the engines filter differently)."""
    regions_unheard, kinds_unheard = set(figures.unheard_regions), set(figures.unheard_kinds)
    if not regions_unheard and not kinds_unheard:
        return ()
    rows = await Account.select(Account.email, Account.department, Account.territory_kinds).where(
        Account.is_active.eq(True)
    )
    found = []
    for row in rows:
        place = place_of(row["department"], row["territory_kinds"])
        if place.region in regions_unheard or kinds_unheard.intersection(place.kinds):
            found.append(row["email"])
    return tuple(sorted(found))
