"""Indicators due for review: the API's list and the page for working groups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from indicators import urls
from proposals.reviews import ReviewItem, review_schedule
from proposals.rules import get_rule
from proposals.working_groups import list_working_groups
from web.rendering import page
from web.requests import refuse_unknown_query, site_base


async def _schedule(request: Request, slug: str) -> tuple[Any, int, list[ReviewItem]]:
    framework, release, _current = await request.app.state.releases.release(slug, "latest")
    rule = await get_rule(framework.id)
    return framework, rule.review_months, review_schedule(release, rule.review_months, datetime.now(UTC))


@get("/frameworks/{slug:str}/reviews", summary="Indicators with their last review and when the next is due")
async def api_reviews(request: Request, slug: FromPath[str]) -> list[dict[str, Any]]:
    refuse_unknown_query(request, set())
    framework, _months, items = await _schedule(request, slug)
    base = site_base(request)
    return [
        {
            "code": item.code,
            "theme": item.theme,
            "title": item.title,
            "last_reviewed": item.last_reviewed.isoformat(),
            "review_due": item.review_due.isoformat(),
            "overdue": item.overdue,
            "html_url": base + urls.indicator_path(framework.slug, item.code),
        }
        for item in items
    ]


@get("/frameworks/{slug:str}/reviews", name="reviews")
async def reviews_page(request: Request, slug: FromPath[str]) -> Response:
    framework, months, items = await _schedule(request, slug)
    groups = {
        code: group.name for group in await list_working_groups(framework.slug) for code in group.themes
    }
    return page(
        request,
        "proposals/reviews.html",
        framework=framework,
        review_months=months,
        overdue=[item for item in items if item.overdue],
        due=[item for item in items if item.due_soon],
        later=sum(1 for item in items if not item.overdue and not item.due_soon),
        groups=groups,
    )


REVIEW_API = [api_reviews]
REVIEW_PAGES = [reviews_page]
