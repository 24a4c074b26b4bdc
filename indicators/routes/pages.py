"""HTML pages of the living framework. Thin: resolve, render once, serve bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from indicators import urls
from indicators.adaptation_queries import adaptations_of_indicator
from indicators.citation import reference
from indicators.compare import compare_releases
from indicators.downloads import DOWNLOADS, split_download
from indicators.queries import indicator_history, list_releases
from indicators.serialize import adaptation_path
from indicators.topics import ADAPTATIONS, release_topic
from web.failures import NotFound
from web.panels import INDICATOR, RELEASE, panel_topics, render_panels
from web.rendering import templates_of
from web.requests import site_base, viewer_of
from web.responses import HTML, IMMUTABLE, REVALIDATE, UNREAD_SLOT, Body, shared_response


async def _shared_page(
    request: Request,
    slug: str,
    template: str,
    load: Callable[[str], Awaitable[dict]] | None = None,
    topics: tuple[str, ...] = (),
    **context: object,
) -> Response:
    """A page made of published content: rendered once per worker, address and viewer kind, then
    served as bytes until a publication in the framework (or another of `topics`) changes it. `load`
    reads what the page needs beyond `context` (given the viewer's language), only when rendering.
    Signed-in viewers each see their unread count in its header (web/responses.py UNREAD_SLOT)."""
    viewer = viewer_of(request)
    path = request.scope["path"]

    async def produce() -> Body:
        loaded = await load(viewer.language) if load is not None else {}
        # Off the event loop: an indicator's texts are Markdown, rendered with its page, and a
        # pathological text (capped at 50,000 characters) takes seconds in pure Python.
        values = {"signed_in": viewer.signed_in, "request_path": path, **context, **loaded}
        if viewer.signed_in:
            values["unread"] = UNREAD_SLOT
        html = await asyncio.to_thread(templates_of(request).render, template, viewer.language, **values)
        return Body.of(html, HTML)

    topics = (release_topic(slug), *topics)
    return await shared_response(request, produce, topics=topics, per_viewer=True, personal=viewer.signed_in)


@get("/", name="home")
async def home(request: Request, state: State) -> Response:
    return await _release_page(request, state, state.settings.default_framework, "latest")


@get("/frameworks/{slug:str}", name="framework")
async def framework_page(request: Request, state: State, slug: FromPath[str]) -> Response:
    return await _release_page(request, state, slug, "latest")


@get("/frameworks/{slug:str}/releases/{version:str}", name="release")
async def release_page(
    request: Request, state: State, slug: FromPath[str], version: FromPath[str]
) -> Response:
    version, fmt = split_download(version)
    if fmt is not None:
        return await _download(request, state, slug, version, fmt)
    return await _release_page(request, state, slug, version)


async def _release_page(request: Request, state: State, slug: str, version: str) -> Response:
    framework, release, current = await state.releases.release(slug, version)
    citation = reference(framework, release, site_base(request))
    context = {"framework": framework, "release": release, "current": current, "citation": citation}
    about = {"framework": slug, "version": release.version}

    async def load(language: str) -> dict:
        return {"panels": await render_panels(request, RELEASE, language=language, **about)}

    topics = panel_topics(request, RELEASE, **about)
    return await _shared_page(request, slug, "indicators/release.html", load, topics, **context)


async def _download(request: Request, state: State, slug: str, version: str, fmt: str) -> Response:
    framework, release, _current = await state.releases.release(slug, version)
    base = site_base(request)
    media_type, make = DOWNLOADS[fmt]

    async def produce() -> Body:
        return Body.of(make(framework, release, base), media_type)

    filename = f"{slug}-{release.version}.{fmt}"
    return await shared_response(
        request,
        produce,
        topics=(release_topic(slug),),
        # A numbered release never changes; 'latest' does.
        cache_control=IMMUTABLE if version == release.version else REVALIDATE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@get("/frameworks/{slug:str}/releases", name="releases")
async def releases_page(request: Request, state: State, slug: FromPath[str]) -> Response:
    framework, current = await state.releases.framework(slug)

    async def load(_language: str) -> dict:
        return {"releases": await list_releases(framework)}

    return await _shared_page(
        request, slug, "indicators/releases.html", load, framework=framework, current=current
    )


@get("/frameworks/{slug:str}/releases/{version:str}/indicators/{code:str}", name="indicator")
async def indicator_page(
    request: Request, state: State, slug: FromPath[str], version: FromPath[str], code: FromPath[str]
) -> Response:
    return await _indicator_page(request, state, slug, version, code)


async def _indicator_page(request: Request, state: State, slug: str, version: str, code: str) -> Response:
    framework, release, current = await state.releases.release(slug, version)
    placed = release.indicators().get(code)
    if placed is None:
        raise NotFound(
            "The release %(version)s of %(slug)r has no indicator %(code)r.",
            version=release.version,
            slug=slug,
            code=code,
        )
    theme, indicator = placed

    # What higher domains add (programmes' field evidence), the same for every viewer of a kind.
    about = {"framework": slug, "version": release.version, "code": code, "reviewer": False}

    async def load(language: str) -> dict:
        history = await indicator_history(framework, code)
        return {
            "history": [item for item in history if item.number <= indicator.revision],
            "panels": await render_panels(request, INDICATOR, language=language, **about),
            # The territories that adapted this national indicator ("adapted in N territories").
            "adaptations": await adaptations_of_indicator(slug, code),
            "adaptation_path": adaptation_path,
        }

    context = {"framework": framework, "release": release, "current": current, "theme": theme}
    topics = (*panel_topics(request, INDICATOR, **about), ADAPTATIONS)
    return await _shared_page(
        request, slug, "indicators/indicator.html", load, topics, indicator=indicator, code=code, **context
    )


@get("/frameworks/{slug:str}/indicators/{code:str}", name="current_indicator")
async def current_indicator_page(
    request: Request, state: State, slug: FromPath[str], code: FromPath[str]
) -> Response:
    if code.endswith(".atom"):
        return await _indicator_feed(request, state, slug, code.removesuffix(".atom"))
    framework, release, current = await state.releases.release(slug, "latest")
    if code in release.indicators():
        return await _indicator_page(request, state, slug, current, code)
    # Not in the current release: a retired indicator keeps its page and its history.
    history = await indicator_history(framework, code)
    context = {"framework": framework, "current": current, "code": code, "history": history}
    return await _shared_page(request, slug, "indicators/retired.html", **context)


async def _indicator_feed(request: Request, state: State, slug: str, code: str) -> Response:
    """One indicator's revisions as an Atom feed (/frameworks/{slug}/indicators/{code}.atom)."""
    framework, _current = await state.releases.framework(slug)
    history = await indicator_history(framework, code)  # NotFound for an unknown code
    base = site_base(request)

    async def produce() -> Body:
        xml = templates_of(request).render(
            "indicators/indicator.atom",
            framework.language,
            framework=framework,
            code=code,
            history=history,
            base=base,
        )
        return Body.of(xml, "application/atom+xml; charset=utf-8")

    return await shared_response(request, produce, topics=(release_topic(slug),))


@get("/frameworks/{slug:str}/compare", name="compare_form")
async def compare_form(
    slug: FromPath[str],
    before: Annotated[str, QueryParameter(name="from", max_length=40)] = "latest",
    after: Annotated[str, QueryParameter(name="to", max_length=40)] = "latest",
) -> Redirect:
    """The releases page's form asks for two versions; the comparison has a permanent address."""
    return Redirect(urls.compare_path(slug, before, after), status_code=303)


@get("/frameworks/{slug:str}/compare/{spec:str}", name="compare")
async def compare_page(request: Request, state: State, slug: FromPath[str], spec: FromPath[str]) -> Response:
    before_version, after_version = urls.split_comparison(spec)
    framework, before, current = await state.releases.release(slug, before_version)
    _framework, after, _current = await state.releases.release(slug, after_version)

    async def load(_language: str) -> dict:
        return {"comparison": compare_releases(before, after)}

    context = {"framework": framework, "before": before, "after": after, "current": current}
    return await _shared_page(request, slug, "indicators/compare.html", load, **context)


@get("/frameworks/{slug:str}/releases.atom", name="feed")
async def feed(request: Request, state: State, slug: FromPath[str]) -> Response:
    framework, _current = await state.releases.framework(slug)
    base = site_base(request)

    async def produce() -> Body:
        releases = await list_releases(framework)
        xml = templates_of(request).render(
            "indicators/releases.atom", framework.language, framework=framework, releases=releases, base=base
        )
        return Body.of(xml, "application/atom+xml; charset=utf-8")

    return await shared_response(request, produce, topics=(release_topic(slug),))


RELEASE_SCHEMA = (Path(__file__).resolve().parent.parent / "schemas" / "release.json").read_bytes()


@get("/schema/release.json", name="release_schema")
async def release_schema(request: Request) -> Response:
    """The JSON Schema of a release as the API and the .json download give it (tested against both)."""

    async def produce() -> Body:
        return Body.of(RELEASE_SCHEMA, "application/schema+json")

    return await shared_response(request, produce, topics=(), cache_control=REVALIDATE)


PAGE_HANDLERS = [
    home,
    framework_page,
    release_page,
    releases_page,
    indicator_page,
    current_indicator_page,
    compare_form,
    compare_page,
    feed,
    release_schema,
]
