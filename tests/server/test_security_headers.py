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


@pytest.mark.parametrize("host", ["x:abc", "x:65536", "a b", "", "[::1]:99999"])
async def test_odd_host_headers_are_not_an_error(client, host: str):
    for path in ("/api/v1/frameworks", "/frameworks/qualite-mentorat/releases.atom", "/nothing"):
        response = await client.get(path, headers={"Host": host})
        assert response.status_code < 500
        assert "content-security-policy" in response.headers


async def test_language_negotiation_ignores_refused_languages(client):
    page = await client.get("/", headers={"Accept-Language": "en;q=0, fr;q=0.5"})
    assert '<html lang="fr">' in page.text
