"""Comments a page at a time, on the proposal page and in the API: a page's weight is bounded whatever
the number and size of the comments (one person once posted 1,000 comments of 19 KB)."""

from __future__ import annotations

import re

import httpx
import pytest

from proposals.discussion import COMMENT_MAX, COMMENTS_PER_PAGE, add_comment
from proposals.proposing import create_proposal
from proposals.tables import Comment
from tests.constants import SLUG
from tests.proposals.browsing import person, post, sign_in

pytestmark = pytest.mark.usefixtures("db")
COMMENTS = 2 * COMMENTS_PER_PAGE + 10


@pytest.fixture
async def busy() -> int:
    """A proposal with COMMENTS comments of the largest size (written directly: fast)."""
    author = await person("autrice@example.org", "Autrice")
    proposal = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-4", "R.", indicator="REC-4"
    )
    first = await add_comment(author, proposal.id, "Le premier")
    body = "Un avis. " * (COMMENT_MAX // 9)
    await Comment.insert(
        *(
            Comment(
                proposal=proposal.id,
                author=author.id,
                body=body,
                body_html=f"<p>Avis {n}</p>",
                created_at=first.created_at,
            )
            for n in range(COMMENTS - 1)
        )
    )
    return proposal.id


async def test_the_api_gives_a_page_of_comments_with_its_total_and_links(
    client: httpx.AsyncClient, busy: int
):
    first = await client.get(f"/api/v1/proposals/{busy}/comments")
    assert first.status_code == 200
    assert len(first.json()) == COMMENTS_PER_PAGE and first.json()[0]["body"] == "Le premier"
    assert first.headers["x-total-count"] == str(COMMENTS)
    links = dict(re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["link"]))
    assert set(links.values()) == {"first", "next", "last"}
    assert f"https://testserver/api/v1/proposals/{busy}/comments?page=2&per_page={COMMENTS_PER_PAGE}" in links
    last = await client.get(f"/api/v1/proposals/{busy}/comments?page=3")
    assert len(last.json()) == 10 and 'rel="prev"' in last.headers["link"]
    hundred = await client.get(f"/api/v1/proposals/{busy}/comments?per_page=100")
    assert len(hundred.json()) == 100
    beyond = await client.get(f"/api/v1/proposals/{busy}/comments?page=99")
    assert beyond.status_code == 200 and beyond.json() == []
    for query in ("per_page=101", "per_page=0", "page=0", "page=1e1", "sort=new"):
        assert (await client.get(f"/api/v1/proposals/{busy}/comments?{query}")).status_code == 400, query


async def test_the_proposal_page_shows_one_page_of_comments_and_weighs_little(
    client: httpx.AsyncClient, busy: int
):
    page = await client.get(f"/proposals/{busy}")
    assert page.text.count('class="comment depth-') == COMMENTS_PER_PAGE
    assert f"({COMMENTS} commentaires)" in page.text and f"/proposals/{busy}?page=2#comments" in page.text
    assert len(page.content) < 1_500_000  # 50 comments at most, each of at most 10,000 characters
    second = await client.get(f"/proposals/{busy}?page=2")
    assert second.text.count('class="comment depth-') == COMMENTS_PER_PAGE and "Le premier" not in second.text
    assert "Avis 99" in (await client.get(f"/proposals/{busy}?page=3")).text


async def test_a_new_comment_leads_to_its_page(client: httpx.AsyncClient, busy: int):
    await person("lectrice@example.org", "Lectrice")
    await sign_in(client, "lectrice@example.org")
    posted = await post(client, f"/proposals/{busy}/comments", {"body": "Le dernier mot"})
    assert posted.status_code == 303
    assert re.fullmatch(rf"/proposals/{busy}\?page=3#comment-\d+", posted.headers["location"])
    assert "Le dernier mot" in (await client.get(posted.headers["location"].split("#")[0])).text


async def test_comments_longer_than_the_cap_are_refused(client: httpx.AsyncClient, busy: int):
    await person("lectrice@example.org", "Lectrice")
    await sign_in(client, "lectrice@example.org")
    refused = await post(client, f"/proposals/{busy}/comments", {"body": "x" * (COMMENT_MAX + 1)})
    assert refused.status_code == 400
