"""The reference geography in the JSON API."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get

from places.france import departments, reference, regions
from places.territory_kinds import TERRITORY_KINDS
from web.responses import JSON, Body, shared_response

# The geography is read from a file shipped with the code: it changes only with a new deployment,
# so clients may keep it a day, and revalidate it with its ETag after that.
REFERENCE_CACHE = "public, max-age=86400"


def territories_json() -> dict[str, Any]:
    """Regions by code, each with its departments in INSEE order, and the kinds of territory."""
    source, vintage, url = reference()
    by_region: dict[str, list[dict[str, str]]] = {each.code: [] for each in regions()}
    for each in departments():
        by_region[each.region.code].append({"code": each.code, "name": each.name})
    return {
        "source": source,
        "vintage": vintage,
        "url": url,
        "regions": [
            {"code": each.code, "name": each.name, "departments": by_region[each.code]} for each in regions()
        ],
        "kinds": list(TERRITORY_KINDS),
    }


@get("/territories", summary="France's regions and departments (INSEE codes), and the kinds of territory")
async def territories(request: Request) -> Response[bytes]:
    async def produce() -> Body:
        return Body.of(json.dumps(territories_json(), ensure_ascii=False, separators=(",", ":")), JSON)

    # No topic: nothing the app does changes it; it is made once per worker (and again after the
    # response cache's time to live, which costs a millisecond).
    return await shared_response(request, produce, cache_control=REFERENCE_CACHE)


TERRITORY_API = [territories]
