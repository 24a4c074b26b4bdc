"""Accounts, working groups and proposals made directly, for the co-design loop's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from indicators.queries import find_release, get_framework, load_release
from indicators.tables import Theme
from proposals.proposing import create_proposal
from proposals.reading import ProposalView, get_proposal
from proposals.roles import Actor, Role
from proposals.tables import Account, WorkingGroup, WorkingGroupMember, WorkingGroupTheme
from proposals.voting import cast_vote, open_vote
from tests.constants import SLUG

_numbers = count(1)


async def make_account(
    name: str | None = None, role: Role = Role.practitioner, organisation: str = ""
) -> Actor:
    number = next(_numbers)
    name = name or f"Person {number}"
    account = Account(
        email=f"person{number}@example.org",
        password_hash="not-a-real-hash",
        display_name=name,
        organisation=organisation,
        role=role.value,
        created_at=datetime.now(UTC),
    )
    await Account.insert(account)
    return Actor(id=account.id, role=role, display_name=name)


async def make_steward(name: str = "Stéphanie Steward") -> Actor:
    return await make_account(name, Role.steward)


async def make_group(theme_codes: tuple[str, ...] = ("REC",), size: int = 3, name: str = "GT") -> list[Actor]:
    """A working group answering for the themes, with `size` new members; returns the members."""
    group = WorkingGroup(framework=1, name=name, created_at=datetime.now(UTC))
    await WorkingGroup.insert(group)
    themes = await Theme.select(Theme.id).where(Theme.code.is_in(list(theme_codes)))
    await WorkingGroupTheme.insert(
        *(WorkingGroupTheme(working_group=group.id, theme=t["id"]) for t in themes)
    )
    members = [await make_account(f"{name} member {i}", Role.member) for i in range(1, size + 1)]
    if members:
        await WorkingGroupMember.insert(
            *(WorkingGroupMember(working_group=group.id, account=m.id) for m in members)
        )
    return members


NEW_INDICATOR = {
    "title": "Le binôme se fixe des objectifs",
    "statement": "Le programme aide chaque binôme à se fixer des objectifs partagés.",
    "rationale": "Des objectifs explicites soutiennent l'engagement.",
    "evidence_level": "practice",
}


async def add_proposal(author: Actor, theme: str = "REC", **overrides) -> ProposalView:
    arguments = {
        "kind": "add",
        "base_version": "latest",
        "title": "Ajouter un indicateur sur les objectifs",
        "rationale": "Les *objectifs* manquent.",
        "theme": theme,
        "content": NEW_INDICATOR,
        **overrides,
    }
    return await create_proposal(author, SLUG, **arguments)


async def amend_proposal(author: Actor, indicator: str = "REC-1", **overrides) -> ProposalView:
    arguments = {
        "kind": "amend",
        "base_version": "latest",
        "title": f"Préciser {indicator}",
        "rationale": "Plus clair.",
        "indicator": indicator,
        "content": {"statement": f"Un nouvel énoncé pour {indicator}."},
        **overrides,
    }
    return await create_proposal(author, SLUG, **arguments)


async def retire_proposal(author: Actor, indicator: str = "EVA-5", **overrides) -> ProposalView:
    arguments = {
        "kind": "retire",
        "base_version": "latest",
        "title": f"Retirer {indicator}",
        "rationale": "Redondant.",
        "indicator": indicator,
        **overrides,
    }
    return await create_proposal(author, SLUG, **arguments)


async def in_vote(proposal: ProposalView, steward: Actor) -> datetime:
    """Open the vote on a proposal; returns a moment while it is open."""
    view = await open_vote(steward, proposal.id)
    assert view.closes_at is not None
    return view.vote_opened_at + timedelta(minutes=1)


async def release(version: str = "latest"):
    """The framework's release, by number or 'latest', with its content."""
    framework = await get_framework(SLUG)
    return await load_release(framework, await find_release(framework, version))


async def vote_all(proposal_id, voters, choices, now):
    """Each voter casts the choice beside it."""
    for voter, choice in zip(voters, choices, strict=False):
        await cast_vote(voter, proposal_id, choice, now=now)


async def voted(proposal, members, choices, steward):
    """Open the vote, cast the choices and return a moment after it closed."""
    now = await in_vote(proposal, steward)
    await vote_all(proposal.id, members, choices, now)
    return (await get_proposal(proposal.id)).closes_at + timedelta(seconds=1)
