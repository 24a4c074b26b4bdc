"""Every response carries the security headers: pages, API, errors, static files, redirects."""

from __future__ import annotations

import pytest

PATHS = [
    "/",
    "/healthz",
    "/frameworks/qualite-mentorat/releases",
    "/api/v1/frameworks",
    "/api/v1/frameworks/qualite-mentorat/releases/1.0.0",
    "/frameworks/qualite-mentorat/releases.atom",
    "/frameworks/qualite-mentorat/releases/1.0.0.csv",
    "/static/css/site.css",
    "/no/such/page",
    "/api/v1/no/such/thing",
    "/language/en",
]


@pytest.mark.parametrize("path", PATHS)
async def test_security_headers(client, path: str):
    response = await client.get(path)
    assert response.status_code < 500
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_pages_have_no_inline_script(client):
    for path in (
        "/",
        "/frameworks/qualite-mentorat/releases",
        "/frameworks/qualite-mentorat/indicators/REC-1",
    ):
        page = (await client.get(path)).text
        assert "<script" not in page
        assert " on" + "load=" not in page and "onclick=" not in page
