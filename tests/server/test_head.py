"""HEAD is answered everywhere GET is: the same status and headers, no body."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("db")

RELEASE = "/frameworks/qualite-mentorat/releases/1.0.0"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        RELEASE,
        f"{RELEASE}.csv",
        "/api/v1/frameworks/qualite-mentorat/releases/1.0.0",
        "/proposals",
        "/static/css/site.css",
        "/healthz",
    ],
)
async def test_head_is_the_get_without_its_body(client, path: str):
    got = await client.get(path)
    head = await client.head(path)
    assert (head.status_code, got.status_code) == (200, 200)
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    for name in ("content-type", "etag", "cache-control", "content-security-policy"):
        assert head.headers.get(name) == got.headers.get(name), name


async def test_head_of_a_missing_page_is_a_404_without_body(client):
    head = await client.head("/proposals/1234")
    assert head.status_code == 404 and head.content == b""


async def test_head_of_a_post_only_address_is_refused_as_get_is(client):
    head = await client.head("/sign-out")
    assert head.status_code == (await client.get("/sign-out")).status_code == 405
    assert head.content == b""
