"""Who took part, by region and kind of territory: on each proposal, and over a release cycle.

The JSON API (contract.md, "Territories"), the participation panel of the proposal page (its data:
pages.py shows it) and the dashboard of a release cycle. The figures are the same for every viewer
and are read once for many requests: a proposal's until it changes (a comment, a ballot: its topic)
or someone's territory changes (TERRITORIES), a cycle's until a decision or a release. Only stewards
get the contact list of the unheard territories, and only on an open proposal.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from indicators.topics import release_topic
from places.france import regions
from places.territory_kinds import KIND_NAMES
from places.tilemap import HEIGHT, WIDTH, tile_map_svg
from proposals.participation import (
    HEARD,
    NOT_SAID,
    Cycle,
    K,
    Participation,
    Row,
    participation_in,
    proposal_participation,
    release_cycle,
    unheard_contacts,
)
from proposals.routes.authentication import actor_of
from proposals.topics import GROUPS, PROPOSALS, TERRITORIES, proposal_topic
from web.messages import Message
from web.panels import PARTICIPATION, panel_topics, render_panels
from web.params import RowId
from web.rendering import page_for_many, shared_page
from web.requests import language_of, refuse_unknown_query, said
from web.responses import PAGE_HEADERS, REVALIDATE, Body, shared_response

Since = Annotated[str | None, QueryParameter(name="from", max_length=40)]
Until = Annotated[str | None, QueryParameter(name="to", max_length=40)]

# What the tile map says of itself (its <title> and <desc>) and of its colours.
MAP_TITLE = Message("Who took part, by region")
MAP_DESCRIPTION = Message(
    "One square per region, the five overseas regions in the row below; each gives the number of "
    "people who took part from there, “fewer than 5”, or “5 or more” when the exact number is not "
    "shown. The table gives the same figures."
)
LEGEND = {"few": Message("fewer than 5 people: not heard"), "heard": Message("5 people or more")}
REGION_NAMES = {region.code: region.name for region in regions()}


# --- the figures, read once for many ---------------------------------------------------------------


def proposal_figures_topics(proposal_id: int) -> tuple[str, ...]:
    """A proposal's figures change with its debate (comments, ballots) and with people's territories."""
    return (proposal_topic(proposal_id), TERRITORIES)


async def proposal_figures(request: Request, proposal_id: int) -> Participation:
    return await request.app.state.reads.get(
        ("participation", proposal_id),
        lambda: proposal_participation(proposal_id),
        topics=proposal_figures_topics(proposal_id),
    )


def cycle_topics(slug: str) -> tuple[str, ...]:
    """A cycle's figures change when a proposal is decided (PROPOSALS), a release is published (which
    one is current, the default cycle) or people's territories change."""
    return (release_topic(slug), PROPOSALS, TERRITORIES)


async def cycle_figures(
    request: Request, slug: str, since: str | None, until: str | None
) -> tuple[Cycle, Participation]:
    async def read() -> tuple[Cycle, Participation]:
        cycle = await release_cycle(slug, since, until)
        return cycle, await participation_in(cycle)

    return await request.app.state.reads.get(
        ("participation-cycle", slug, since, until), read, topics=cycle_topics(slug)
    )


# --- JSON -----------------------------------------------------------------------------------------


def _rows(rows: tuple[Row, ...], name: str) -> list[dict[str, Any]]:
    return [
        {name: row.key, "authors": row.authors, "commenters": row.commenters, "voters": row.voters}
        for row in rows
    ]


def participation_json(figures: Participation) -> dict[str, Any]:
    """The contract's shape: rows by region ("not_said" last) and by kind, counts >= 5 or "<5"."""
    return {
        "participants": figures.participants,
        "by_region": _rows(figures.by_region, "region"),
        "by_kind": _rows(figures.by_kind, "kind"),
        "unheard_regions": list(figures.unheard_regions),
        "unheard_kinds": list(figures.unheard_kinds),
    }


@get("/proposals/{proposal_id:int}/participation", summary="Who took part in a proposal, by territory")
async def api_proposal_participation(request: Request, proposal_id: RowId) -> dict[str, Any]:
    return participation_json(await proposal_figures(request, proposal_id))


@get("/frameworks/{slug:str}/participation", summary="Who took part over a release cycle, by territory")
async def api_cycle_participation(
    request: Request, slug: FromPath[str], since: Since = None, until: Until = None
) -> dict[str, Any]:
    """From the release before the current one (or before `to`) to the current one by default."""
    refuse_unknown_query(request, {"from", "to"})
    _cycle, figures = await cycle_figures(request, slug, since or None, until or None)
    return participation_json(figures)


# --- pages ----------------------------------------------------------------------------------------


# --- the tile map ---------------------------------------------------------------------------------
# An image of its own (<img>), not markup inside the page: a page that shows what people wrote then
# holds no <svg> element at all, which the hostile-input tests check, and the picture, even opened on
# its own, runs nothing. It says the same as the table beside it, and its alt text says so.

SVG = "image/svg+xml"


def _tile_map(request: Request, figures: Participation) -> str:
    language = language_of(request)
    people = {row.key: row.people for row in figures.by_region if row.key != NOT_SAID}
    return tile_map_svg(
        people,
        REGION_NAMES,
        said(request, MAP_TITLE),
        said(request, MAP_DESCRIPTION),
        {band: said(request, text) for band, text in LEGEND.items()},
        threshold=K,
        heard_labels=(HEARD,),
        number=lambda count: format_decimal(count, locale=language),
        id_prefix="participation-map",
    )


@get("/proposals/{proposal_id:int}/participation.svg", name="proposal_participation_map")
async def proposal_map(request: Request, proposal_id: RowId) -> Response:
    """The tile map of who took part in a proposal, in the viewer's language."""

    async def produce() -> Body:
        return Body.of(_tile_map(request, await proposal_figures(request, proposal_id)), SVG)

    topics = proposal_figures_topics(proposal_id)
    return await shared_response(request, produce, topics=topics, per_viewer=True)


@get("/frameworks/{slug:str}/participation.svg", name="cycle_participation_map")
async def cycle_map(
    request: Request, slug: FromPath[str], since: Since = None, until: Until = None
) -> Response:
    """The tile map of who took part over a release cycle (the figures are cached, the picture cheap)."""
    refuse_unknown_query(request, {"from", "to"})
    _cycle, figures = await cycle_figures(request, slug, since or None, until or None)
    headers = {"Cache-Control": REVALIDATE, **PAGE_HEADERS, "Content-Language": language_of(request)}
    return Response(_tile_map(request, figures), media_type=SVG, headers=headers)


def _cycle_map_path(cycle: Cycle) -> str:
    query = {"from": cycle.since, "to": cycle.until} if cycle.since else {"to": cycle.until}
    return f"/frameworks/{cycle.slug}/participation.svg?{urlencode(query)}"


async def _panel(request: Request, figures: Participation, slug: str, map_path: str) -> dict[str, object]:
    """What templates/proposals/_participation.html shows, the same for every viewer."""
    return {
        "participation": figures,
        "map_path": map_path,
        "map_alt": said(request, MAP_DESCRIPTION),
        "map_size": (WIDTH, HEIGHT),
        "region_names": REGION_NAMES,
        "kind_names": KIND_NAMES,
        "not_said": NOT_SAID,
        "heard": HEARD,
        "minimum": K,
        "dashboard_path": f"/frameworks/{slug}/participation",
        "participation_panels": await render_panels(
            request, PARTICIPATION, language=language_of(request), framework=slug
        ),
        "unheard_contacts": None,
    }


async def proposal_panel(
    request: Request, proposal_id: int, slug: str, *, steward: bool
) -> dict[str, object]:
    """The proposal page's participation panel; `steward`: with whom to contact in the unheard
    territories (the page's cache key must then tell stewards apart: pages.py keys it by is_steward)."""
    figures = await proposal_figures(request, proposal_id)
    context = await _panel(request, figures, slug, f"/proposals/{proposal_id}/participation.svg")
    context["participation_scope"] = "proposal"
    if steward:
        context["unheard_contacts"] = await request.app.state.reads.get(
            ("unheard-contacts", proposal_id),
            lambda: unheard_contacts(figures),
            # Who is active changes with GROUPS (set_active announces it), where people are with TERRITORIES.
            topics=(*proposal_figures_topics(proposal_id), GROUPS),
        )
    return context


def proposal_panel_topics(request: Request, proposal_id: int, slug: str) -> tuple[str, ...]:
    panels = panel_topics(request, PARTICIPATION, framework=slug)
    return (*proposal_figures_topics(proposal_id), GROUPS, *panels)


@get("/frameworks/{slug:str}/participation", name="participation_dashboard")
async def participation_dashboard(
    request: Request, slug: FromPath[str], since: Since = None, until: Until = None
) -> Response:
    """Who took part in the proposals decided in a release cycle, with the territories not heard."""
    refuse_unknown_query(request, {"from", "to"})
    framework, current = await request.app.state.releases.framework(slug)
    cycle, figures = await cycle_figures(request, slug, since or None, until or None)
    context = {
        **await _panel(request, figures, framework.slug, _cycle_map_path(cycle)),
        "participation_scope": "cycle",
        "framework": framework,
        "current": current,
        "cycle": cycle,
    }
    template = "proposals/participation.html"
    topics = (*cycle_topics(slug), *panel_topics(request, PARTICIPATION, framework=slug))
    query = request.scope["query_string"]
    if actor_of(request) is None and not query:
        return await shared_page(request, template, topics, **context)
    # The query's values are checked (known releases only), so the keys stay few.
    key = ("participation", slug, cycle.since, cycle.until, query)
    return await page_for_many(request, key, template, topics, keep_query=True, **context)


PARTICIPATION_PAGES: list = [participation_dashboard, proposal_map, cycle_map]
PARTICIPATION_API: list = [api_proposal_participation, api_cycle_participation]
