"""The list of proposals by cursor: every proposal once, newest first, whatever the filters, the ties
of their times and the proposals made while it is read; page numbers agree with it (those of the
list's second half are sought from its end); a cursor it did not give is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from proposals.proposing import withdraw_proposal
from proposals.reading import list_proposals
from proposals.tables import Proposal
from tests.api_client import Api
from tests.constants import SLUG
from tests.proposals.factories import add_proposal, amend_proposal, make_account
from tests.proposals.test_voting_under_load import counting_queries
from web.failures import InvalidInput

pytestmark = pytest.mark.usefixtures("db")

FILTERS = [{}, {"status": "discussion"}, {"theme": "REC"}, {"status": "withdrawn", "theme": "REC"}]


async def _proposals() -> None:
    """13 proposals in two themes, some withdrawn, four of them made at the same moment."""
    author = await make_account()
    made = []
    for number in range(13):
        if number % 3:
            made.append(await add_proposal(author, "REC" if number % 2 else "SEL", title=f"P{number}"))
        else:
            made.append(await amend_proposal(author, "REC-1", title=f"P{number}"))
        if number % 4 == 0:
            await withdraw_proposal(author, made[-1].id)
    tied = [p.id for p in made[3:7]]
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    await Proposal.update({Proposal.created_at: moment}).where(Proposal.id.is_in(tied))


async def _expected(status: str | None = None, theme: str | None = None) -> list[int]:
    query = Proposal.select(Proposal.id).order_by(Proposal.created_at, Proposal.id, ascending=False)
    if status:
        query = query.where(Proposal.status == status)
    if theme:
        query = query.where(Proposal.theme.code == theme)
    return [row["id"] for row in await query]


async def _walk(per_page: int, **filters) -> tuple[list[int], list[int]]:
    """The ids met following next_cursor from the first page, then previous_cursor back from the last."""
    forward, page = [], await list_proposals(SLUG, per_page=per_page, **filters)
    while True:
        forward += [item.id for item in page.items]
        if page.next_cursor is None:
            break
        page = await list_proposals(SLUG, per_page=per_page, cursor=page.next_cursor, **filters)
    backward = []
    while True:
        backward = [item.id for item in page.items] + backward
        if page.previous_cursor is None:
            break
        page = await list_proposals(SLUG, per_page=per_page, cursor=page.previous_cursor, **filters)
    return forward, backward


@pytest.mark.parametrize("filters", FILTERS)
async def test_cursors_walk_every_proposal_once_in_order(filters: dict):
    await _proposals()
    expected = await _expected(**filters)
    assert len(expected) >= 2
    for per_page in (1, 3, 20):
        forward, backward = await _walk(per_page, **filters)
        assert forward == expected and backward == expected


@pytest.mark.parametrize("filters", FILTERS)
async def test_page_numbers_agree_with_the_order(filters: dict):
    await _proposals()
    expected = await _expected(**filters)
    pages = -(-len(expected) // 2)
    for number in range(1, pages + 2):
        page = await list_proposals(SLUG, page=number, per_page=2, **filters)
        assert [item.id for item in page.items] == expected[(number - 1) * 2 : number * 2]
        assert page.total == len(expected) and page.pages == pages and page.page == number
        assert (page.previous_cursor is None) == (number == 1 or number > pages)
        assert (page.next_cursor is None) == (number >= pages)
        if page.next_cursor:  # from a numbered page, its cursor goes on to the next one
            after = await list_proposals(SLUG, per_page=2, cursor=page.next_cursor, **filters)
            assert [item.id for item in after.items] == expected[number * 2 : number * 2 + 2]
            assert after.page is None


async def test_a_page_costs_the_same_queries_first_last_or_by_cursor(monkeypatch):
    await _proposals()
    counts = []
    cursor = (await list_proposals(SLUG, per_page=2)).next_cursor
    for arguments in ({"page": 1}, {"page": 7}, {"page": 4}, {"cursor": cursor}):
        with counting_queries(monkeypatch) as count:
            await list_proposals(SLUG, per_page=2, **arguments)
        counts.append(count[0])
    # The count and the page; the current revisions of the amendments shown, if any (two).
    assert all(2 <= counted <= 4 for counted in counts)


@pytest.mark.parametrize(
    "cursor",
    # Not base64; no "|"; an unknown direction; no time zone; an id no row can have.
    [
        "",
        "nonsense",
        "!!!",
        "bzIwMjYtMDEtMDE",
        "eDIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDB8Mw",
        "bjIwMjYtMDEtMDF8Mw",
        "bzIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDB8OTk5OTk5OTk5OTk",
    ],
)
async def test_a_cursor_the_list_did_not_give_is_refused(cursor: str):
    with pytest.raises(InvalidInput, match="cursor"):
        await list_proposals(SLUG, cursor=cursor)


async def test_the_api_pages_by_cursor_under_new_proposals(client):
    """Following `next` through the API (its answers are cached), with proposals made between two
    pages: each proposal there was at the first page is met once, in order, and the new ones not."""
    api = Api(client)
    await _proposals()
    expected = await _expected(status="discussion")
    author = await make_account()
    address = "/proposals?framework=qualite-mentorat&status=discussion&per_page=2"
    first = (await api.call("GET", address)).json()
    assert first["page"] == 1 and first["total"] == len(expected) and first["previous"] is None
    met, body = [item["id"] for item in first["items"]], first
    while body["next"]:
        assert "framework=qualite-mentorat" in body["next"] and "status=discussion" in body["next"]
        await add_proposal(author, title="Newer")  # newer than every page still to come
        body = (await client.get(body["next"].removeprefix("https://testserver"))).json()
        assert body["page"] is None and body["previous_cursor"]
        met += [item["id"] for item in body["items"]]
    assert met == expected
    again = (await api.call("GET", address)).json()
    assert again["total"] == len(expected) + len(met) // 2 and again["items"][0]["title"] == "Newer"


async def test_the_api_refuses_a_bad_cursor_in_plain_words(client):
    api = Api(client)
    bad = await api.call("GET", "/proposals?cursor=nonsense")
    assert bad.status_code == 400 and "cursor" in bad.json()["detail"]
    both = await api.call("GET", "/proposals?cursor=nonsense&page=2")
    assert both.status_code == 400 and "not both" in both.json()["detail"]
    assert (await api.call("GET", "/proposals?cursor=" + "a" * 300)).status_code == 400


async def test_the_page_links_by_cursor_after_a_page_found_by_cursor(client):
    await _proposals()
    first = await list_proposals(SLUG, theme="REC", per_page=1)
    page = await client.get(f"/proposals?theme=REC&cursor={first.next_cursor}")
    assert page.status_code == 200 and first.items[0].title not in page.text
    links = re.findall(r'href="(/proposals\?[^"]*)" rel="(prev|next)"', page.text)
    assert [rel for _address, rel in links] == ["prev"]  # the rest fits on the page: no next
    back = await client.get(links[0][0].replace("&amp;", "&"))
    assert first.items[0].title in back.text and "theme=REC" in links[0][0]
    assert (await client.get("/proposals?cursor=nonsense")).status_code == 400
    both = await client.get(f"/proposals?page=2&cursor={first.next_cursor}")
    assert both.status_code == 400 and "curseur" in both.text
