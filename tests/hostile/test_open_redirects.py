"""After signing in, registering or switching language, a visitor is only ever sent to a path on
this site, whatever `next` says. Each Location is resolved as a browser resolves it (tabs and line
breaks removed anywhere, backslashes read as slashes) before checking where it leads."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.constants import PASSWORD
from tests.hostile.helpers import Site, csrf_of

HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "////evil.example/x",
    "https://evil.example",
    "HTTPS://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F%2Fevil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "//evil.example@testserver",
    "/\x00/evil.example",
    "/\u3002evil.example",
    "evil.example",
    "",
]


def lands_on(location: str) -> tuple[str, str]:
    """(scheme, host) a browser goes to when told `location` by https://testserver/x."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f ")
    cleaned = cleaned.replace("\\", "/")  # as browsers read special (http/https) URLs
    target = urlsplit(urljoin("https://testserver/x", cleaned))
    return target.scheme, target.netloc


def assert_local(location: str, label: str) -> None:
    assert lands_on(location) == ("https", "testserver"), f"{label}: Location {location!r}"
    assert location.startswith("/") and not location.startswith("//"), f"{label}: {location!r}"


@pytest.mark.parametrize("target", ["/proposals?status=voting", "/frameworks/qualite-mentorat/releases"])
async def test_a_local_next_is_followed(site: Site, target: str):
    await site.register("ana@example.org", "Ana")
    browser = site.browser()
    response = await browser.post(
        "/sign-in", {"email": "ana@example.org", "password": PASSWORD, "next": target}
    )
    assert response.headers["location"] == target
    response = await browser.get(f"/language/en?next={quote(target, safe='')}")
    assert response.headers["location"] == target


async def test_sign_in_register_and_language_switch_stay_on_this_site(site: Site):
    checked = 0
    for number, target in enumerate(HOSTILE_NEXT):
        label = repr(target)
        # The sign-in and registration pages carry `next` into their forms only if it is local.
        for page in ("/sign-in", "/register"):
            form = await site.browser().get(f"{page}?next={quote(target, safe='')}")
            assert form.status_code in (200, 400), (page, label, form.status_code)
            if form.status_code == 200:
                carried = re.search(r'name="next" value="([^"]*)"', form.text)
                if carried is not None:
                    assert_local(html.unescape(carried.group(1)), f"{page} form {label}")
        # Posting `next` directly (one account each: sign-ins are limited to 10 per account).
        await site.register(f"ana{number}@example.org", "Ana")
        browser = site.browser()
        credentials = {"email": f"ana{number}@example.org", "password": PASSWORD}
        signed_in = await browser.post("/sign-in", {**credentials, "next": target})
        assert signed_in.status_code in (303, 400), (label, signed_in.status_code)
        if signed_in.status_code == 303:
            assert_local(signed_in.headers["location"], f"sign-in {label}")
        registered = await site.browser().post(
            "/register",
            {
                "email": f"new{number}@example.org",
                "password": PASSWORD,
                "display_name": "New",
                "next": target,
            },
        )
        assert registered.status_code in (303, 400), (label, registered.status_code)
        if registered.status_code == 303:
            assert_local(registered.headers["location"], f"register {label}")
        # The language switch.
        switched = await browser.get(f"/language/en?next={quote(target, safe='')}")
        assert switched.status_code in (303, 400), (label, switched.status_code)
        if switched.status_code == 303:
            assert_local(switched.headers["location"], f"language {label}")
        checked += 5
    print(f"open redirects: {checked} requests, none left the site")


async def test_being_sent_to_sign_in_keeps_a_local_address(site: Site):
    """A signed-out visitor of a page that needs an account is sent to sign in with `next` = that page."""
    browser = site.browser()
    response = await browser.get("/proposals/new?kind=amend&indicator=REC-1")
    assert response.status_code == 303
    sign_in = response.headers["location"]
    assert_local(sign_in, "sign-in redirect")
    page = await browser.get(sign_in)
    carried = re.search(r'name="next" value="([^"]*)"', page.text).group(1)
    assert carried.replace("&amp;", "&") == "/proposals/new?kind=amend&indicator=REC-1"
    token = csrf_of(page.text)
    response = await browser.client.post(
        "/sign-in",
        data={"_csrf_token": token, "email": "nobody@example.org", "password": "x", "next": "//evil"},
    )
    assert response.status_code == 400
    assert 'name="next" value="/"' in response.text or 'name="next" value=""' in response.text
