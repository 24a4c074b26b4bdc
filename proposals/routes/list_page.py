"""The list of proposals, filtered by status and theme, a page at a time: the same for everyone,
read once for many requests."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get

from indicators.queries import FrameworkInfo, list_themes
from indicators.topics import release_topic
from proposals.reading import Page, list_proposals
from proposals.routes.authentication import actor_of
from proposals.routes.proposal_forms import Filter, framework_slug
from proposals.services import STATUSES, refuse_unknown_theme
from proposals.topics import PROPOSALS
from web.failures import InvalidInput
from web.params import PageText, read_page
from web.rendering import page, page_for_many, shared_page
from web.requests import said

PER_PAGE = 20


@get("/proposals", name="proposals")
async def proposals_list(
    request: Request, status: Filter = None, theme: Filter = None, page_text: PageText = None
) -> Response:
    page_number = read_page(page_text)
    slug = framework_slug(request)
    framework, _current = await request.app.state.releases.framework(slug)
    filters = {name: value for name, value in (("status", status), ("theme", theme)) if value}
    key = ("proposals", slug, status, theme, page_number)
    # The list shows which proposals are outrun by a release: it changes with them too.
    topics = (PROPOSALS, release_topic(slug))
    try:
        # The same list for everyone: read once for many requests.
        result, themes = await request.app.state.reads.get(
            key, lambda: _list_data(framework, status, theme, page_number), topics=topics
        )
    except InvalidInput as failure:
        empty = Page(items=[], total=0, page=1, per_page=PER_PAGE)
        context = _list_context(framework, await list_themes(framework), filters, empty, page_number)
        return page(request, "proposals/list.html", 400, error=said(request, failure.message), **context)
    context = _list_context(framework, themes, filters, result, page_number)
    if actor_of(request) is None:
        return await shared_page(request, "proposals/list.html", topics, error=None, **context)
    return await page_for_many(request, key, "proposals/list.html", topics, error=None, **context)


async def _list_data(framework: FrameworkInfo, status: str | None, theme: str | None, number: int) -> tuple:
    themes = await list_themes(framework)
    codes = [t["code"] for t in themes]
    refuse_unknown_theme(theme or None, codes)
    return await list_proposals(framework.slug, status, theme, number, PER_PAGE), themes


def _list_context(framework: FrameworkInfo, themes: list, filters: dict, result: Page, number: int) -> dict:
    def url(n: int) -> str:
        query = {**filters, **({"page": str(n)} if n > 1 else {})}
        return "/proposals" + (f"?{urlencode(query)}" if query else "")

    return {
        "framework": framework,
        "themes": themes,
        "statuses": STATUSES,
        "filters": filters,
        "result": result,
        "prev_url": url(number - 1) if number > 1 else None,
        "next_url": url(number + 1) if number < result.pages else None,
        "first_url": url(1),
    }


LIST_PAGES = [proposals_list]
