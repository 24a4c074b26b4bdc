"""Local adaptations of a framework: their pages and JSON API (reading).

An adaptation's page is the same for every viewer: it is kept like published content, until a new
version of it (adaptation_topic), a new adaptation (ADAPTATIONS) or a national release (the
framework's release_topic: what changed upstream) makes it stale.
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from indicators.adaptations import adaptations_of_indicator, get_adaptation, list_adaptations
from indicators.routes.pages import _shared_page
from indicators.serialize import (
    adaptation_json,
    adaptation_path,
    adaptations_path,
    indicator_adaptation_json,
)
from indicators.topics import ADAPTATIONS, adaptation_topic
from web.params import RowId
from web.requests import site_base

PATHS = {"adaptation_path": adaptation_path, "adaptations_path": adaptations_path}


@get("/adaptations/{adaptation_id:int}", name="adaptation")
async def adaptation_page(request: Request, state: State, adaptation_id: RowId) -> Response:
    view = await get_adaptation(adaptation_id)
    framework, current = await state.releases.framework(view.framework)
    context = {"framework": framework, "current": current, "adaptation": view, **PATHS}
    topics = (adaptation_topic(adaptation_id),)
    return await _shared_page(request, view.framework, "indicators/adaptation.html", None, topics, **context)


@get("/frameworks/{slug:str}/adaptations", name="adaptations")
async def adaptations_page(request: Request, state: State, slug: FromPath[str]) -> Response:
    framework, current = await state.releases.framework(slug)

    async def load(_language: str) -> dict:
        return {"adaptations": await list_adaptations(slug)}

    context = {"framework": framework, "current": current, **PATHS}
    return await _shared_page(request, slug, "indicators/adaptations.html", load, (ADAPTATIONS,), **context)


@get("/adaptations/{adaptation_id:int}", summary="A local adaptation as a difference from its national base")
async def adaptation(request: Request, adaptation_id: RowId) -> dict:
    return adaptation_json(await get_adaptation(adaptation_id), site_base(request))


@get("/frameworks/{slug:str}/adaptations", summary="The local adaptations of a framework")
async def adaptations(request: Request, state: State, slug: FromPath[str]) -> list[dict]:
    await state.releases.framework(slug)  # 404 for an unknown framework
    base = site_base(request)
    return [adaptation_json(view, base) for view in await list_adaptations(slug)]


@get(
    "/frameworks/{slug:str}/indicators/{code:str}/adaptations",
    summary="The local adaptations that declare an indicator not applicable or reword it",
)
async def indicator_adaptations(
    request: Request, state: State, slug: FromPath[str], code: FromPath[str]
) -> list[dict]:
    await state.releases.framework(slug)
    base = site_base(request)
    return [
        indicator_adaptation_json(view, code, base) for view in await adaptations_of_indicator(slug, code)
    ]


ADAPTATION_PAGES: list = [adaptation_page, adaptations_page]
ADAPTATION_API: list = [adaptation, adaptations, indicator_adaptations]
