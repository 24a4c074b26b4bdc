"""The list of proposals, filtered by status and theme, a page at a time: the same for everyone,
read once for many requests."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.params import QueryParameter

from indicators.queries import FrameworkInfo, list_themes
from indicators.topics import ADAPTATIONS, release_topic
from proposals.reading import Page, list_proposals
from proposals.routes.authentication import actor_of
from proposals.routes.proposal_forms import Filter, framework_slug
from proposals.services import STATUSES, refuse_unknown_theme
from proposals.topics import PROPOSALS
from web.cache import Cache
from web.failures import InvalidInput
from web.params import PageText, read_page
from web.rendering import page, page_for_many, shared_page
from web.requests import said

PER_PAGE = 20


@get("/proposals", name="proposals")
async def proposals_list(
    request: Request,
    status: Filter = None,
    theme: Filter = None,
    page_text: PageText = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> Response:
    page_number = read_page(page_text)
    slug = framework_slug(request)
    framework, _current = await request.app.state.releases.framework(slug)
    filters = {name: value for name, value in (("status", status), ("theme", theme)) if value}
    # The list shows which proposals are outrun by a release or an adaptation's new base: it changes
    # with them too.
    topics = (PROPOSALS, ADAPTATIONS, release_topic(slug))
    reads = request.app.state.reads
    try:
        # The same list for everyone: read once for many requests.
        result, themes = await reads.get(
            ("proposals", slug, status, theme, page_number, cursor),
            lambda: _list_data(framework, status, theme, page_number, cursor, reads),
            topics=topics,
        )
    except InvalidInput as failure:
        empty = Page(items=[], total=0, page=1, per_page=PER_PAGE)
        context = _list_context(framework, await list_themes(framework), filters, empty)
        return page(request, "proposals/list.html", 400, error=said(request, failure.message), **context)
    context = _list_context(framework, themes, filters, result)
    query = request.scope["query_string"]
    if actor_of(request) is None and not query:
        return await shared_page(request, "proposals/list.html", topics, error=None, **context)
    # Rendered once for every viewer alike at this address (filters and page included).
    key = ("proposals", slug, query)
    return await page_for_many(
        request, key, "proposals/list.html", topics, keep_query=True, error=None, **context
    )


async def _list_data(
    framework: FrameworkInfo,
    status: str | None,
    theme: str | None,
    number: int,
    cursor: str | None,
    reads: Cache,
) -> tuple:
    themes = await list_themes(framework)
    codes = [t["code"] for t in themes]
    refuse_unknown_theme(theme or None, codes)
    return await list_proposals(
        framework.slug, status, theme, number, PER_PAGE, cursor=cursor, counts=reads
    ), themes


def _list_context(framework: FrameworkInfo, themes: list, filters: dict, result: Page) -> dict:
    """Links to the pages around this one: by number when it has one (the addresses people share),
    by cursor after a page found by cursor."""

    def url(**query: str) -> str:
        query = {**filters, **query}
        return "/proposals" + (f"?{urlencode(query)}" if query else "")

    def by_number(n: int) -> str:
        return url(**({"page": str(n)} if n > 1 else {}))

    if result.page is None:
        previous = url(cursor=result.previous_cursor) if result.previous_cursor else None
        following = url(cursor=result.next_cursor) if result.next_cursor else None
    else:
        previous = by_number(result.page - 1) if result.page > 1 else None
        following = by_number(result.page + 1) if result.page < result.pages else None
    return {
        "framework": framework,
        "themes": themes,
        "statuses": STATUSES,
        "filters": filters,
        "result": result,
        "prev_url": previous,
        "next_url": following,
        "first_url": url(),
    }


LIST_PAGES = [proposals_list]
