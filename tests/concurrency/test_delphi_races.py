"""Delphi ratings under concurrency: 30 members rating at once on `referentiel serve --workers 2`
lose nothing, and one member rating the same item several times at once keeps one rating per
criterion (the database's unique index, delphi_rating_once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proposals.delphi import open_process
from proposals.proposing import create_proposal
from proposals.roles import Role
from proposals.tables import AuditEntry, DelphiRating
from proposals.working_groups import add_member, create_working_group
from tests.concurrency.racing import (
    Call,
    assert_audit_chain_unbroken,
    assert_deliberate,
    figures,
    fire,
    person,
)
from tests.constants import SLUG


async def rating_world(members: int):
    steward = await person("steward@example.org", Role.steward)
    group = await create_working_group(steward.account.actor, SLUG, "Recrutement", ["REC"])
    people = [await person(f"membre{i}@example.org") for i in range(members)]
    for member in people:
        await add_member(steward.account.actor, group.id, member.account.id)
    ids = []
    for code in ("REC-1", "REC-2"):
        proposal = await create_proposal(
            steward.account.actor,
            SLUG,
            "amend",
            "latest",
            f"Préciser {code}",
            "Plus clair.",
            indicator=code,
            content={"statement": f"Un nouvel énoncé pour {code}."},
        )
        ids.append(proposal.id)
    closes = datetime.now(UTC) + timedelta(days=7)
    process = await open_process(steward.account.actor, group.id, "Lot", ids, closes)
    return process, people, ids


async def test_30_members_rating_at_once_lose_nothing(start_server):
    process, people, ids = await rating_world(30)
    server = await start_server()
    calls = [
        Call(
            "PUT",
            f"/delphi/{process}/ratings/{pid}",
            member.headers,
            {"ratings": {"relevance": 1 + (i + n) % 9, "feasibility": 1 + i % 9}, "comment": f"avis {i}"},
        )
        for i, member in enumerate(people)
        for n, pid in enumerate(ids)
    ]
    # And the first member rates the first item five more times at once, each time otherwise.
    calls += [
        Call(
            "PUT",
            f"/delphi/{process}/ratings/{ids[0]}",
            people[0].headers,
            {"ratings": {"relevance": v, "feasibility": v}},
        )
        for v in range(5, 10)
    ]
    responses = await fire(server, calls)

    rows = await DelphiRating.select(
        DelphiRating.rater,
        DelphiRating.item.proposal.as_alias("proposal"),
        DelphiRating.criterion,
        DelphiRating.value,
    )
    rated = await AuditEntry.count().where(AuditEntry.action == "delphi.rated")
    chain = await assert_audit_chain_unbroken()
    figures(
        "30 members, 65 ratings",
        responses,
        rating_rows=len(rows),
        rated_audit_entries=rated,
        audit_entries=chain,
    )
    assert_deliberate(responses, {200})
    assert all(response.status_code == 200 for response in responses)
    assert rated == len(calls)
    # One rating per member, item and criterion: 30 x 2 x 2.
    assert len(rows) == 120
    assert len({(r["rater"], r["proposal"], r["criterion"]) for r in rows}) == 120
    stored = {(r["rater"], r["proposal"], r["criterion"]): r["value"] for r in rows}
    for i, member in enumerate(people[1:], start=1):
        for n, pid in enumerate(ids):
            assert stored[(member.account.id, pid, "relevance")] == 1 + (i + n) % 9
            assert stored[(member.account.id, pid, "feasibility")] == 1 + i % 9
    first = people[0].account.id
    # The first member's answer on the first item is one of theirs, whole (both criteria from one call).
    mine = (stored[(first, ids[0], "relevance")], stored[(first, ids[0], "feasibility")])
    assert mine in {(1, 1)} | {(v, v) for v in range(5, 10)}
    server.assert_clean_log()
