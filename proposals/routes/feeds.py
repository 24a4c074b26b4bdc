"""The Atom feed of a framework's proposals (opened, decided), for feed readers."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from proposals.feeds import proposal_events
from proposals.topics import PROPOSALS
from web.rendering import templates_of
from web.requests import site_base
from web.responses import Body, shared_response


@get("/frameworks/{slug:str}/proposals.atom", name="proposals_feed")
async def proposals_feed(request: Request, slug: FromPath[str]) -> Response:
    framework, _current = await request.app.state.releases.framework(slug)
    base = site_base(request)

    async def produce() -> Body:
        entries = await proposal_events(framework.slug)
        xml = templates_of(request).render(
            "proposals/proposals.atom", framework.language, framework=framework, entries=entries, base=base
        )
        return Body.of(xml, "application/atom+xml; charset=utf-8")

    return await shared_response(request, produce, topics=(PROPOSALS,))


FEED_PAGES = [proposals_feed]
