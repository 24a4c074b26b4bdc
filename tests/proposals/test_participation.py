"""Equity of voice: who took part, by region and kind of territory, with k-anonymity (K = 5).

Crafted people in chosen departments and kinds; the figures through the use cases, the API and the
pages. The rule checked everywhere: a region with one participant reads exactly as one with none.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest

from places.tilemap import FILLS
from programmes.membership import create_programme
from proposals.discussion import add_comment, hide_comment
from proposals.participation import (
    FEW,
    HEARD,
    NOT_SAID,
    cycle_participation,
    proposal_participation,
    unheard_contacts,
)
from proposals.roles import Actor, Role
from proposals.tables import Account
from proposals.topics import TERRITORIES
from proposals.voting import decide_proposal
from tests.constants import SLUG
from tests.proposals.browsing import check_structure, person, sign_in
from tests.proposals.factories import (
    amend_proposal,
    in_vote,
    make_account,
    make_group,
    make_steward,
    vote_all,
    voted,
)
from web.changes import announce
from web.failures import InvalidInput, NotFound

IDF, HDF, ARA, CORSE, BRETAGNE = "11", "32", "84", "94", "53"
ALL_REGIONS = ("01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76")
ALL_REGIONS += ("84", "93", "94")


async def placed(actor: Actor, department: str = "", *kinds: str) -> Actor:
    """Where the account says it is (set directly: the profile forms are another part's)."""
    await Account.update({Account.department: department, Account.territory_kinds: list(kinds)}).where(
        Account.id == actor.id
    )
    return actor


async def some(count: int, department: str = "", *kinds: str, role: Role = Role.practitioner) -> list[Actor]:
    return [await placed(await make_account(role=role), department, *kinds) for _ in range(count)]


async def comment_all(proposal_id: int, people: list[Actor]) -> None:
    for someone in people:
        await add_comment(someone, proposal_id, "Un avis.")


def row(rows, key: str):
    return next(r for r in rows if r.key == key)


# --- use cases -----------------------------------------------------------------------------------


async def test_people_are_counted_once_by_region_and_kind_and_every_count_under_5_is_masked(db) -> None:
    author = await placed(await make_account(), "59", "urban")  # Nord: Hauts-de-France
    proposal = await amend_proposal(author)
    parisians = await some(6, "75", "urban", "qpv")
    await comment_all(proposal.id, [*parisians, parisians[0]])  # two comments, one commenter
    await comment_all(proposal.id, await some(1, "2A", "rural"))  # Corse-du-Sud
    await comment_all(proposal.id, await some(2))  # said nothing
    await comment_all(proposal.id, await some(1, "99x"))  # not a department: not said

    figures = await proposal_participation(proposal.id)

    assert figures.participants == 11
    assert [r.key for r in figures.by_region] == [*ALL_REGIONS, NOT_SAID]  # INSEE order
    paris = row(figures.by_region, IDF)
    assert (paris.authors, paris.commenters, paris.voters, paris.people) == (FEW, 6, FEW, HEARD)
    assert row(figures.by_region, HDF).authors == FEW  # one author: masked
    assert row(figures.by_region, NOT_SAID).commenters == FEW
    assert [r.key for r in figures.by_kind] == ["rural", "qpv", "overseas", "urban", NOT_SAID]
    urban = row(figures.by_kind, "urban")
    assert (urban.authors, urban.commenters, urban.people) == (FEW, 6, HEARD)
    assert row(figures.by_kind, "qpv").commenters == 6
    assert row(figures.by_kind, "rural").people == FEW
    for table in (figures.by_region, figures.by_kind):
        for r in table:
            for value in (r.authors, r.commenters, r.voters):
                assert value == FEW or (isinstance(value, int) and value >= 5)
            assert r.people in (FEW, HEARD) or (isinstance(r.people, int) and r.people >= 5)
    assert figures.unheard_regions == tuple(code for code in ALL_REGIONS if code != IDF)
    assert figures.unheard_kinds == ("rural", "overseas")  # 1 and 0: both "not heard"


async def test_a_region_with_one_participant_reads_as_a_region_with_none(db) -> None:
    proposal = await amend_proposal(await make_account())
    await comment_all(proposal.id, await some(5, "75"))
    lone = (await some(1, "2A"))[0]
    await comment_all(proposal.id, [lone])
    with_corse = await proposal_participation(proposal.id)
    await placed(lone, "29")  # the same person, now in Bretagne
    with_bretagne = await proposal_participation(proposal.id)
    assert with_corse == with_bretagne
    assert CORSE in with_corse.unheard_regions and BRETAGNE in with_corse.unheard_regions


async def test_no_exact_total_of_a_row_beside_a_masked_cell(db) -> None:
    """7 urban people beside 6 urban commenters, before any vote, and an author who did not comment:
    an exact total would say that the author, whose name is public, is urban."""
    author = await placed(await make_account(), "75", "urban")
    proposal = await amend_proposal(author)
    await comment_all(proposal.id, await some(6, "75", "urban"))
    figures = await proposal_participation(proposal.id)
    urban, paris = row(figures.by_kind, "urban"), row(figures.by_region, IDF)
    assert (urban.authors, urban.commenters, urban.voters, urban.people) == (FEW, 6, FEW, HEARD)
    assert (paris.authors, paris.commenters, paris.voters, paris.people) == (FEW, 6, FEW, HEARD)
    assert figures.participants == 7  # exact, over all rows: the page's names say as much


async def test_a_total_is_exact_when_every_cell_of_its_row_is(db) -> None:
    steward = await make_steward()
    members = await make_group(("REC", "EVA"), size=5)
    for member in members:
        await placed(member, "75")
    authors = await some(5, "75")
    for code, author in zip(("REC-1", "REC-2", "REC-3", "REC-4", "EVA-1"), authors, strict=True):
        proposal = await amend_proposal(author, code)
        await comment_all(proposal.id, members)
        await vote_all(proposal.id, members, ["for"] * 5, await in_vote(proposal, steward))
        await decide_proposal(steward, proposal.id)
    figures = await cycle_participation(SLUG, "1.0.0", "latest")
    paris = row(figures.by_region, IDF)
    assert (paris.authors, paris.commenters, paris.voters, paris.people) == (5, 5, 5, 10)


async def test_unheard_means_fewer_than_5_not_zero(db) -> None:
    proposal = await amend_proposal(await make_account())
    await comment_all(proposal.id, await some(4, "35", "rural"))  # Ille-et-Vilaine: Bretagne
    figures = await proposal_participation(proposal.id)
    assert BRETAGNE in figures.unheard_regions and "rural" in figures.unheard_kinds
    await comment_all(proposal.id, await some(1, "29", "rural"))
    figures = await proposal_participation(proposal.id)
    assert BRETAGNE not in figures.unheard_regions and "rural" not in figures.unheard_kinds
    assert row(figures.by_region, BRETAGNE).commenters == 5


async def test_hidden_comments_count_as_taking_part(db) -> None:
    steward = await make_steward()
    proposal = await amend_proposal(await make_account())
    speakers = await some(5, "75")
    await comment_all(proposal.id, speakers)
    first = (await proposal_participation(proposal.id)).by_region
    comment = await add_comment(await placed(await make_account(), "75"), proposal.id, "Hors sujet.")
    await hide_comment(steward, comment.id, "Hors sujet")
    assert row((await proposal_participation(proposal.id)).by_region, IDF).commenters == 6
    assert row(first, IDF).commenters == 5


async def test_unknown_proposal(db) -> None:
    with pytest.raises(NotFound):
        await proposal_participation(999)
    with pytest.raises(InvalidInput):
        await proposal_participation(0)


async def test_the_stewards_contacts_are_the_active_accounts_of_the_unheard_territories(db) -> None:
    proposal = await amend_proposal(await make_account())
    await comment_all(proposal.id, await some(5, "75", "urban"))
    corsican = await placed(await make_account(), "2B")
    rural = await placed(await make_account(), "75", "rural")
    parisian = await placed(await make_account(), "75", "urban")
    away = await placed(await make_account(), "2A")
    await Account.update({Account.is_active: False}).where(Account.id == away.id)
    rows = await Account.select(Account.id, Account.email)
    emails = {r["id"]: r["email"] for r in rows}
    found = await unheard_contacts(await proposal_participation(proposal.id))
    assert emails[corsican.id] in found and emails[rural.id] in found
    assert emails[parisian.id] not in found and emails[away.id] not in found
    assert list(found) == sorted(found)


# --- release cycles ------------------------------------------------------------------------------


async def _accepted(author: Actor, code: str, members: list[Actor], steward: Actor) -> str:
    proposal = await amend_proposal(author, code)
    after = await voted(proposal, members, ["for"] * len(members), steward)
    return (await decide_proposal(None, proposal.id, now=after)).release_version, proposal.id


async def test_the_cycle_counts_each_person_once_over_the_proposals_decided_between_two_releases(db) -> None:
    steward = await make_steward()
    members = await make_group(("REC",), size=5)
    for member in members:
        await placed(member, "69", "rural")  # Rhône: Auvergne-Rhône-Alpes
    first_author = await placed(await make_account(), "2A")
    first = await amend_proposal(first_author, "REC-1")
    commenters = await some(5, "59")
    await comment_all(first.id, commenters)
    after = await voted(first, members, ["for"] * 5, steward)
    v110 = (await decide_proposal(None, first.id, now=after)).release_version
    # A rejected one and an accepted one in the next cycle, the same five commenters on both.
    rejected = await amend_proposal(await placed(await make_account(), "75"), "REC-2")
    await comment_all(rejected.id, commenters)
    await vote_all(rejected.id, members, ["against"] * 5, await in_vote(rejected, steward))
    # Closed by a steward now: rejected ones are placed by the date of their decision.
    assert (await decide_proposal(steward, rejected.id)).status == "rejected"
    second = await amend_proposal(await placed(await make_account(), "75"), "REC-3")
    await comment_all(second.id, commenters)
    after = await voted(second, members, ["for"] * 5, steward)
    v120 = (await decide_proposal(None, second.id, now=after)).release_version
    assert (v110, v120) == ("1.1.0", "1.2.0")
    # Not decided: not counted.
    await comment_all((await amend_proposal(await make_account(), "REC-4")).id, await some(5, "75"))

    one = await cycle_participation(SLUG, "1.0.0", v110)
    assert one.participants == 11
    assert row(one.by_region, HDF).commenters == 5 and row(one.by_region, ARA).voters == 5
    assert row(one.by_region, CORSE).authors == FEW

    two = await cycle_participation(SLUG)  # by default: the release before the current one, to it
    assert two == await cycle_participation(SLUG, v110, v120)
    assert two.participants == 12  # two authors, five commenters, five voters: once each
    assert row(two.by_region, HDF).commenters == 5  # on two proposals: counted once
    assert row(two.by_region, IDF).authors == FEW
    assert row(two.by_kind, "rural").voters == 5

    both = await cycle_participation(SLUG, "1.0.0", v120)
    assert both.participants == 13

    with pytest.raises(InvalidInput):
        await cycle_participation(SLUG, v120, v110)
    with pytest.raises(InvalidInput):
        await cycle_participation(SLUG, v110, v110)
    with pytest.raises(InvalidInput):
        await cycle_participation(SLUG, "one", v110)
    with pytest.raises(NotFound):
        await cycle_participation(SLUG, "1.0.0", "7.0.0")
    with pytest.raises(NotFound):
        await cycle_participation("no-such-framework")


async def test_the_first_cycle_starts_at_the_beginning(db) -> None:
    figures = await cycle_participation(SLUG)  # only release 1.0.0: nothing decided before it
    assert figures.participants == 0
    assert all(r.people == FEW for r in figures.by_region)
    assert len(figures.unheard_regions) == 18 and len(figures.unheard_kinds) == 4


# --- API and pages -------------------------------------------------------------------------------


def section(page: str) -> str:
    """The participation panel of a page, as HTML (it holds the programmes' panel, then a link)."""
    start = page.index('<section id="participation"')
    shares_end = page.index("</section>", page.index('id="programme-shares-title"'))
    return page[start : page.index("</section>", shares_end + 1) + len("</section>")]


def region_row(page: str, name: str) -> str:
    """The cells of a region's row in a table of the page (the first table that has it)."""
    found = re.search(rf'<tr[^>]*><th scope="row">{re.escape(name)}</th>(.*?)</tr>', page)
    assert found, name
    return found.group(1)


def cells(page: str, name: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", region_row(page, name))


def visible(row: str) -> list[str]:
    """What the cells of a row show, without the words said to screen readers only."""
    shown = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", row)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td>(.*?)</td>", shown)]


def tile(page: str, short: str) -> str:
    """A region's tile on the map, as HTML."""
    return next(part for part in page.split('<g class="tile">')[1:] if f">{short}</text>" in part)


def tile_figure(page: str, short: str) -> tuple[str, str]:
    """A tile's colour and the figure written on it."""
    part = tile(page, short)
    return re.search(r'<rect [^>]*fill="(#[0-9a-f]{6})"', part).group(1), re.findall(
        r">([^<]*)</text>", part
    )[1]


def unheard(page: str) -> str:
    return page[page.index('<ul class="unheard-list">') : page.index("</ul>", page.index("unheard-list"))]


async def lone_corsican_voter() -> dict:
    """A decided proposal: its author in Nord, five commenters in Paris, five voters in Rhône and one
    voter, alone, in Corse."""
    steward = await make_steward()
    members = await make_group(("REC",), size=6)
    for member in members[:5]:
        await placed(member, "69", "rural")
    corsican = await placed(members[5], "2A", "overseas")
    proposal = await amend_proposal(await placed(await make_account(), "59"), "REC-1")
    await comment_all(proposal.id, await some(5, "75"))
    now = await in_vote(proposal, steward)
    await vote_all(proposal.id, members, ["for"] * 6, now)
    return {"proposal": proposal.id, "corsican": corsican, "steward": steward, "members": members}


async def views(client: httpx.AsyncClient, proposal_id: int) -> dict[str, object]:
    """Everything a signed-out visitor can read about the participation."""
    client.cookies.clear()
    dashboard = (await client.get(f"/frameworks/{SLUG}/participation")).text
    cycle_map = re.search(r'<img src="([^"]+)"', section(dashboard)).group(1)
    assert cycle_map == f"/frameworks/{SLUG}/participation.svg?from=1.0.0&amp;to=1.1.0"
    return {
        "api": (await client.get(f"/api/v1/proposals/{proposal_id}/participation")).json(),
        "cycle api": (await client.get(f"/api/v1/frameworks/{SLUG}/participation")).json(),
        "page": section((await client.get(f"/proposals/{proposal_id}")).text),
        "dashboard": section(dashboard),
        "map": (await client.get(f"/proposals/{proposal_id}/participation.svg")).text,
        "cycle map": (await client.get(html.unescape(cycle_map))).text,
    }


async def test_a_single_voter_from_a_region_is_never_identifiable(client: httpx.AsyncClient) -> None:
    scene = await lone_corsican_voter()
    await decide_proposal(scene["steward"], scene["proposal"])  # in the cycle 1.0.0 -> 1.1.0
    seen = await views(client, scene["proposal"])

    for answer in (seen["api"], seen["cycle api"]):
        corse = next(r for r in answer["by_region"] if r["region"] == CORSE)
        assert corse == {"region": CORSE, "authors": "<5", "commenters": "<5", "voters": "<5"}
        assert CORSE in answer["unheard_regions"] and "overseas" in answer["unheard_kinds"]
        assert answer["participants"] == 12
        rhone = next(r for r in answer["by_region"] if r["region"] == ARA)
        assert rhone["voters"] == 5
    for shown in (seen["page"], seen["dashboard"]):
        assert visible(region_row(shown, "Corse")) == ["<5"] * 4  # no figure at all
        assert region_row(shown, "Corse") == region_row(shown, "Guadeloupe")  # where nobody is
        assert "Corse" in unheard(shown) and "Guadeloupe" in unheard(shown)
    for picture in (seen["map"], seen["cycle map"]):
        assert "<title>Corse: &lt;5</title>" in tile(picture, "COR")
        assert tile_figure(picture, "COR") == tile_figure(picture, "GP") == (FILLS["few"], "&lt;5")
        assert tile_figure(picture, "ARA") == (FILLS["heard"], "≥5")  # a masked author beside 5 voters

    # The same person in Bretagne instead: nothing anyone can read changes.
    await placed(scene["corsican"], "29", "overseas")
    await announce(TERRITORIES)  # as the profile's use case does
    assert await views(client, scene["proposal"]) == seen
    # ... whereas a Parisian moving there does change the figures (the topic reached every cache).
    parisian = (await Account.select(Account.id).where(Account.department == "75").first())["id"]
    await Account.update({Account.department: "29"}).where(Account.id == parisian)
    await announce(TERRITORIES)
    now = await views(client, scene["proposal"])
    assert next(r for r in now["api"]["by_region"] if r["region"] == IDF)["commenters"] == "<5"
    assert "<title>Île-de-France: &lt;5</title>" in tile(now["map"], "IDF")


async def test_the_api_shapes(client: httpx.AsyncClient) -> None:
    scene = await lone_corsican_voter()
    answer = (await client.get(f"/api/v1/proposals/{scene['proposal']}/participation")).json()
    assert set(answer) == {"participants", "by_region", "by_kind", "unheard_regions", "unheard_kinds"}
    assert [r["region"] for r in answer["by_region"]] == [*ALL_REGIONS, NOT_SAID]
    assert [r["kind"] for r in answer["by_kind"]] == ["rural", "qpv", "overseas", "urban", NOT_SAID]
    for r in answer["by_region"] + answer["by_kind"]:
        assert set(r) - {"region", "kind"} == {"authors", "commenters", "voters"}
        for role in ("authors", "commenters", "voters"):
            assert r[role] == "<5" or (isinstance(r[role], int) and r[role] >= 5)
    paris = next(r for r in answer["by_region"] if r["region"] == IDF)
    assert paris == {"region": IDF, "authors": "<5", "commenters": 5, "voters": "<5"}
    assert (await client.get("/api/v1/proposals/999/participation")).status_code == 404
    cycle = f"/api/v1/frameworks/{SLUG}/participation"
    assert (await client.get(cycle)).json()["participants"] == 0  # nothing decided yet
    assert (await client.get(f"{cycle}?from=1.0.0&to=1.0.0")).status_code == 400
    assert (await client.get(f"{cycle}?from=9.0.0")).status_code == 404
    assert (await client.get(f"{cycle}?since=1.0.0")).status_code == 400
    assert (await client.get("/api/v1/frameworks/nothing/participation")).status_code == 404


def voters_cell(page: str, region: str) -> str:
    return cells(html.unescape(page), region)[3]


async def test_a_new_comment_or_vote_updates_the_page(client: httpx.AsyncClient) -> None:
    steward = await make_steward()
    members = await make_group(("REC",), size=5)
    for member in members:
        await placed(member, "69")
    proposal = await amend_proposal(await make_account(), "REC-1")
    address = f"/proposals/{proposal.id}"
    await person("lecteur@example.org", "Lecteur")
    for signed_in in (False, True):  # the page shared by visitors, and the one shared by accounts
        if signed_in:
            await sign_in(client, "lecteur@example.org")
        assert "<5" in cells(html.unescape((await client.get(address)).text), "Île-de-France")[2]

    await comment_all(proposal.id, await some(5, "75"))
    assert cells(html.unescape((await client.get(address)).text), "Île-de-France")[2] == "5"
    client.cookies.clear()
    assert cells(html.unescape((await client.get(address)).text), "Île-de-France")[2] == "5"

    now = await in_vote(proposal, steward)
    await vote_all(proposal.id, members[:4], ["for"] * 4, now)
    assert "<5" in voters_cell((await client.get(address)).text, "Auvergne-Rhône-Alpes")
    await vote_all(proposal.id, members[4:], ["for"], now)
    assert voters_cell((await client.get(address)).text, "Auvergne-Rhône-Alpes") == "5"
    await sign_in(client, "lecteur@example.org")
    assert voters_cell((await client.get(address)).text, "Auvergne-Rhône-Alpes") == "5"


async def test_only_stewards_see_whom_to_contact(client: httpx.AsyncClient) -> None:
    await person("steward@example.org", "Stéphanie", Role.steward)
    practitioner = await person("praticienne@example.org", "Paula")
    member = await person("membre@example.org", "Marc", Role.member)
    await placed(practitioner, "2A")  # in a region not heard: on the contact list
    await placed(member, "971", "overseas")
    proposal = await amend_proposal(await make_account(), "REC-1")
    await comment_all(proposal.id, await some(5, "75"))
    address = f"/proposals/{proposal.id}"
    contacts = ("praticienne@example.org", "membre@example.org")

    # Whoever comes first, each sees the page of their rights.
    for order in (("steward", "praticienne", "membre", None), (None, "membre", "praticienne", "steward")):
        await announce(TERRITORIES)  # fresh pages for each round
        for who in order:
            client.cookies.clear()
            if who is not None:
                await sign_in(client, f"{who}@example.org")
            page = (await client.get(address)).text
            check_structure(page)
            if who == "steward":
                assert 'id="unheard-contacts"' in page
                assert all(email in page for email in contacts)
                assert "mailto:?bcc=praticienne%40example.org%2C" in page or "mailto:?bcc=membre" in page
            else:
                assert 'id="unheard-contacts"' not in page and "mailto:" not in page
                assert not any(email in page for email in contacts)

    # Once the proposal is decided, there is no vote left to invite anyone to.
    steward = await make_steward()
    members = await make_group(("REC",), size=1)
    after = await voted(proposal, members, ["for"], steward)
    await decide_proposal(None, proposal.id, now=after)
    await sign_in(client, "steward@example.org")
    assert 'id="unheard-contacts"' not in (await client.get(address)).text


async def test_the_dashboard(client: httpx.AsyncClient) -> None:
    scene = await lone_corsican_voter()
    await decide_proposal(scene["steward"], scene["proposal"])
    page = (await client.get(f"/frameworks/{SLUG}/participation")).text
    check_structure(page)
    text = html.unescape(page)
    assert 'id="cycle-from"' in page and 'id="cycle-to"' in page
    assert re.search(r'<option value="1.0.0" selected>', page) and re.search(r'value="1.1.0" selected', page)
    assert "<svg" not in page  # the map is an image of its own
    picture = await client.get(f"/frameworks/{SLUG}/participation.svg?from=1.0.0&to=1.1.0")
    assert picture.headers["content-type"].startswith("image/svg+xml")
    assert 'role="img"' in picture.text and "<title id=" in picture.text
    assert (await client.get(f"/frameworks/{SLUG}/participation.svg?from=2.0.0")).status_code == 404
    assert (await client.get("/proposals/99/participation.svg")).status_code == 404
    assert voters_cell(text, "Auvergne-Rhône-Alpes") == "5"
    chosen = await client.get(f"/frameworks/{SLUG}/participation?from=1.0.0&to=1.1.0")
    assert section(chosen.text) == section(page)
    assert (await client.get(f"/frameworks/{SLUG}/participation?from=1.1.0&to=1.0.0")).status_code == 400
    assert (await client.get(f"/frameworks/{SLUG}/participation?to=4.0.0")).status_code == 404
    assert (await client.get("/frameworks/nothing/participation")).status_code == 404
    # The proposal page leads to it.
    assert (
        f'href="/frameworks/{SLUG}/participation"'
        in (await client.get(f"/proposals/{scene['proposal']}")).text
    )


async def test_the_programmes_registered_beside_the_figures(client: httpx.AsyncClient) -> None:
    admin = await make_account()
    for number in range(5):
        await create_programme(admin, f"Mentorat Nord {number}", "59", ["urban"])
    await create_programme(admin, "Mentorat Ajaccio", "2A", ["rural"])
    proposal = await amend_proposal(await make_account(), "REC-1")
    for address in (f"/proposals/{proposal.id}", f"/frameworks/{SLUG}/participation"):
        text = (await client.get(address)).text
        shares = text[text.index('id="programme-shares-title"') :]
        assert visible(region_row(shares, "Hauts-de-France")) == ["5", "83 %"]
        assert visible(region_row(shares, "Corse")) == ["<5", "—"]  # neither count nor share
    await create_programme(admin, "Mentorat Bastia", "2B", ["rural"])  # announces PROGRAMMES
    text = (await client.get(f"/proposals/{proposal.id}")).text
    shares = text[text.index('id="programme-shares-title"') :]
    assert visible(region_row(shares, "Hauts-de-France")) == ["5", "71 %"]
