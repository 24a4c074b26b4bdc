"""Read endpoints of the JSON API v1 for the living framework."""

from __future__ import annotations

import json

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from indicators import urls
from indicators.compare import compare_releases
from indicators.queries import indicator_history, list_frameworks, list_releases
from indicators.serialize import (
    comparison_json,
    framework_json,
    release_json,
    release_summary_json,
    revision_json,
)
from indicators.topics import release_topic
from web.requests import site_base
from web.responses import IMMUTABLE, JSON, REVALIDATE, Body, shared_response


@get("/frameworks", summary="Frameworks with their current version")
async def frameworks(request: Request) -> list[dict]:
    base = site_base(request)
    return [framework_json(framework, current, base) for framework, current in await list_frameworks()]


@get("/frameworks/{slug:str}/releases", summary="Releases of a framework, newest first")
async def releases(request: Request, state: State, slug: FromPath[str]) -> list[dict]:
    framework, _current = await state.releases.framework(slug)
    base = site_base(request)
    return [release_summary_json(slug, release, base) for release in await list_releases(framework)]


@get(
    "/frameworks/{slug:str}/releases/{version:str}",
    summary="A whole release ('latest' = current); ETag = content hash",
)
async def release(
    request: Request, state: State, slug: FromPath[str], version: FromPath[str]
) -> Response[bytes]:
    _framework, content, _current = await state.releases.release(slug, version)
    base = site_base(request)

    async def produce() -> Body:
        data = json.dumps(release_json(content, base), ensure_ascii=False, separators=(",", ":"))
        return Body.of(data, JSON, etag=content.content_hash)

    cache_control = IMMUTABLE if version == content.version else REVALIDATE
    return await shared_response(request, produce, topics=(release_topic(slug),), cache_control=cache_control)


@get("/frameworks/{slug:str}/compare/{spec:str}", summary="What changed between two releases")
async def compare(request: Request, state: State, slug: FromPath[str], spec: FromPath[str]) -> dict:
    before_version, after_version = urls.split_comparison(spec)
    _framework, before, _current = await state.releases.release(slug, before_version)
    _framework, after, _current = await state.releases.release(slug, after_version)
    return comparison_json(slug, compare_releases(before, after), site_base(request))


@get("/frameworks/{slug:str}/indicators/{code:str}/revisions", summary="Every revision of an indicator")
async def revisions(request: Request, state: State, slug: FromPath[str], code: FromPath[str]) -> list[dict]:
    framework, _current = await state.releases.framework(slug)
    base = site_base(request)
    return [revision_json(slug, code, item, base) for item in await indicator_history(framework, code)]


INDICATOR_API = [frameworks, releases, release, compare, revisions]
