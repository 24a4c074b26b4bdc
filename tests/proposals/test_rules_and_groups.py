"""Decision rules and working groups."""

from __future__ import annotations

from fractions import Fraction

import pytest

from proposals.roles import Role
from proposals.rules import DEFAULT_RULE, Rule, Tally, decide_outcome, get_rule, quorum_needed, set_rule
from proposals.tables import Account, AuditEntry, WorkingGroup, WorkingGroupMember
from proposals.working_groups import (
    add_member,
    create_working_group,
    group_for_theme,
    list_working_groups,
    remove_member,
    working_groups_of,
)
from tests.constants import SLUG
from tests.proposals.factories import make_account, make_steward
from web.failures import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn

RULE = Rule()


@pytest.mark.parametrize(
    ("kind", "tally", "size", "accepted"),
    [
        ("add", Tally(2, 1, 0), 5, True),  # 3 of 5 voted: quorum; majority for
        ("add", Tally(1, 1, 0), 4, False),  # tie: not a majority
        ("amend", Tally(2, 0, 0), 5, False),  # 2 of 5: no quorum
        ("amend", Tally(1, 0, 1), 4, True),  # 2 of 4 is exactly half: quorum
        ("add", Tally(0, 0, 3), 3, False),  # only abstentions
        ("add", Tally(1, 0, 0), 0, False),  # no group: no quorum
        ("retire", Tally(2, 1, 0), 3, True),  # 2/3 exactly
        ("retire", Tally(1, 1, 0), 3, False),  # 1/2 < 2/3
        ("retire", Tally(3, 1, 1), 6, True),
        ("retire", Tally(0, 0, 3), 3, False),  # abstentions alone retire nothing
    ],
)
def test_decide_outcome(kind, tally, size, accepted):
    assert decide_outcome(kind, tally, size, RULE) is accepted


def test_tally_and_quorum_needed():
    assert Tally(2, 1, 4).voted == 7
    assert [quorum_needed(n, RULE) for n in (0, 1, 2, 3, 5)] == [0, 1, 1, 2, 3]
    assert quorum_needed(3, Rule(quorum=Fraction(2, 3))) == 2


@pytest.mark.usefixtures("db")
async def test_the_default_rule_until_a_steward_sets_one():
    assert await get_rule(1) == DEFAULT_RULE == Rule(7, 7, Fraction(1, 2), Fraction(2, 3))
    steward = await make_steward()
    rule = await set_rule(steward, SLUG, voting_days=10, quorum="0.6")
    assert rule == Rule(7, 10, Fraction(3, 5), Fraction(2, 3))
    rule = await set_rule(steward, SLUG, retire_threshold=Fraction(3, 4))
    assert rule == await get_rule(1) == Rule(7, 10, Fraction(3, 5), Fraction(3, 4))
    actions = await AuditEntry.select(AuditEntry.action, AuditEntry.detail).output(load_json=True)
    assert actions[-1] == {"action": "rule.updated", "detail": {"retire_threshold": "3/4"}}


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "at least one field"),
        ({"speed": 1}, "Unknown field of a decision rule: speed"),
        ({"voting_days": 0}, "voting days must be a whole number from 1 to 365"),
        ({"min_discussion_days": "7"}, "min discussion days must be a whole number"),
        ({"quorum": "2"}, "quorum must be between 0 and 1"),
        ({"quorum": "half"}, "quorum must be a share"),
        ({"retire_threshold": "1/3"}, "between 1/2 and 1"),
    ],
)
async def test_rule_fields_are_validated(fields, message):
    with pytest.raises(InvalidInput, match=message):
        await set_rule(await make_steward(), SLUG, **fields)


@pytest.mark.usefixtures("db")
async def test_only_a_steward_sets_the_rule():
    with pytest.raises(Forbidden, match="Only a steward"):
        await set_rule(await make_account(role=Role.member), SLUG, voting_days=3)
    with pytest.raises(NotSignedIn):
        await set_rule(None, SLUG, voting_days=3)
    assert await get_rule(1) == DEFAULT_RULE


@pytest.mark.usefixtures("db")
async def test_a_steward_creates_a_group_and_adds_members_idempotently():
    steward = await make_steward()
    group = await create_working_group(steward, SLUG, "  Accueil et sélection ", ["SEL", "REC"])
    assert (group.name, group.themes, group.members, group.framework) == (
        "Accueil et sélection",
        ("REC", "SEL"),
        (),
        SLUG,
    )
    ana = await make_account("Ana")
    once = await add_member(steward, group.id, ana.id)
    twice = await add_member(steward, group.id, ana.id)
    assert once == twice and once.members == ((ana.id, "Ana"),)
    assert await WorkingGroupMember.count() == 1
    # A practitioner who joins a group becomes a member; a steward stays a steward.
    assert (await Account.select(Account.role).where(Account.id == ana.id).first())["role"] == "member"
    await add_member(steward, group.id, steward.id)
    assert (await Account.select(Account.role).where(Account.id == steward.id).first())["role"] == "steward"
    assert await working_groups_of(ana.id) == [(group.id, "Accueil et sélection")]
    theme_id = (await WorkingGroup.raw("SELECT id FROM theme WHERE code = 'SEL'"))[0]["id"]
    assert await group_for_theme(theme_id) == (group.id, tuple(sorted((ana.id, steward.id))))
    actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action)]
    assert actions == ["working_group.created", "working_group.member_added", "working_group.member_added"]


@pytest.mark.usefixtures("db")
async def test_removing_the_last_membership_makes_a_practitioner_again():
    steward = await make_steward()
    first = await create_working_group(steward, SLUG, "Un", ["REC"])
    second = await create_working_group(steward, SLUG, "Deux", ["SEL"])
    ana = await make_account("Ana")
    await add_member(steward, first.id, ana.id)
    await add_member(steward, second.id, ana.id)
    assert (await remove_member(steward, first.id, ana.id)).members == ()
    assert (await Account.select(Account.role).where(Account.id == ana.id).first())["role"] == "member"
    await remove_member(steward, second.id, ana.id)
    await remove_member(steward, second.id, ana.id)  # idempotent
    assert (await Account.select(Account.role).where(Account.id == ana.id).first())["role"] == "practitioner"
    listed = await list_working_groups(SLUG)
    assert [(g.name, g.themes, g.members) for g in listed] == [("Deux", ("SEL",), ()), ("Un", ("REC",), ())]


@pytest.mark.usefixtures("db")
async def test_working_group_rules():
    steward = await make_steward()
    member = await make_account(role=Role.member)
    with pytest.raises(Forbidden, match="Only a steward"):
        await create_working_group(member, SLUG, "GT", ["REC"])
    group = await create_working_group(steward, SLUG, "GT", ["REC"])
    with pytest.raises(Conflict, match="theme REC is already answered by the working group 'GT'"):
        await create_working_group(steward, SLUG, "Autre", ["SEL", "REC"])
    with pytest.raises(Conflict, match="already a working group called 'GT'"):
        await create_working_group(steward, SLUG, "GT", ["SEL"])
    with pytest.raises(NotFound, match="has no theme 'ZZZ'"):
        await create_working_group(steward, SLUG, "Autre", ["SEL", "ZZZ"])
    with pytest.raises(NotFound, match="no framework called 'x'"):
        await create_working_group(steward, "x", "Autre", ["SEL"])
    with pytest.raises(InvalidInput, match="name is empty"):
        await create_working_group(steward, SLUG, "   ", ["SEL"])
    with pytest.raises(InvalidInput, match="name is too long"):
        await create_working_group(steward, SLUG, "n" * 201, ["SEL"])
    # No theme: a territorial network, which votes on the proposals to its local adaptation only.
    assert (await create_working_group(steward, SLUG, "Réseau Corse", [])).themes == ()
    with pytest.raises(NotFound, match="no working group number 99"):
        await add_member(steward, 99, member.id)
    with pytest.raises(NotFound, match="no account number 99"):
        await add_member(steward, group.id, 99)
    with pytest.raises(Forbidden):
        await add_member(member, group.id, member.id)
    with pytest.raises(Forbidden):
        await remove_member(member, group.id, member.id)
    assert [g.name for g in await list_working_groups(SLUG)] == ["GT", "Réseau Corse"]
    assert await group_for_theme(9999) is None
