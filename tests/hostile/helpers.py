"""Shared by the hostile-input tests: separate browsers and API callers, row counts, HTML checks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import httpx
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder

from proposals.roles import Role
from proposals.tables import Account
from tests.constants import PASSWORD

BASE_URL = "https://testserver"
# Tables a signed-in caller writes to whatever the request (sessions, tokens, sign-in counters).
BOOKKEEPING = {"rate_limit", "account_session", "api_token"}


def csrf_of(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


class Browser:
    """One person's browser: its own cookie jar, forms posted with their CSRF token."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        self.requests = 0

    async def get(self, url: str, **kwargs) -> httpx.Response:
        self.requests += 1
        return await self.client.get(url, **kwargs)

    async def token(self) -> str:
        return csrf_of((await self.get("/sign-in")).text)

    async def post(self, url: str, data: dict | list | None = None, **kwargs) -> httpx.Response:
        """A form posted as a browser posts it (with the CSRF token); `data` may be a list of pairs."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        body = urlencode([("_csrf_token", await self.token()), *pairs])
        self.requests += 1
        headers = {"Content-Type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})}
        return await self.client.post(url, content=body, headers=headers, **kwargs)

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        response = await self.post("/sign-in", {"email": email, "password": password})
        assert response.status_code == 303, response.text

    async def close(self) -> None:
        await self.client.aclose()


class Caller:
    """An API client, signed in with a bearer token (or not)."""

    def __init__(self, client: httpx.AsyncClient, token: str | None = None, account_id: int | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.id = account_id
        self.requests = 0

    async def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        self.requests += 1
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)


class Site:
    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        self.browsers: list[Browser] = []
        self.callers: list[Caller] = []

    def browser(self) -> Browser:
        browser = Browser(self.transport)
        self.browsers.append(browser)
        return browser

    def anonymous(self) -> Caller:
        caller = Caller(self.client)
        self.callers.append(caller)
        return caller

    async def register(
        self, email: str, display_name: str, organisation: str = "", territory: str = ""
    ) -> int:
        """An account registered through the API; its id (from a token: registering does not tell it)."""
        body = {"email": email, "password": PASSWORD, "display_name": display_name}
        body.update(organisation=organisation, territory=territory)
        response = await self.client.post("/api/v1/accounts", json=body)
        assert response.status_code == 201, response.text
        return (await self.caller(email)).id

    async def caller(self, email: str) -> Caller:
        response = await self.client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        caller = Caller(self.client, response.json()["token"], response.json()["account_id"])
        self.callers.append(caller)
        return caller

    @property
    def requests(self) -> int:
        return sum(b.requests for b in self.browsers) + sum(c.requests for c in self.callers)

    async def close(self) -> None:
        for browser in self.browsers:
            await browser.close()
        await self.client.aclose()


async def make_steward(account_id: int) -> None:
    """Stewards are made on the command line (`referentiel user create --role steward`)."""
    await Account.update({Account.role: Role.steward.value}).where(Account.id == account_id)


async def row_counts() -> dict[str, int]:
    """Rows of every table that holds what people write (sessions, tokens and counters aside)."""
    counts = {}
    for table in Finder().get_table_classes():
        name = table._meta.tablename
        if table is not Migration and name not in BOOKKEEPING:
            counts[name] = await table.count()
    return counts


class Tags(HTMLParser):
    """Every element and attribute name of a document, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in ("href", "src", "action", "formaction") and value is not None:
                self.hrefs.append(value)

    handle_startendtag = handle_starttag


def tags_of(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def unsafe_markup(html: str) -> list[str]:
    """What in a page could run script: svg/script/iframe elements, on* attributes, script URLs."""
    tags = tags_of(html)
    found = sorted(tags.elements & {"svg", "script", "iframe", "object", "embed", "math"})
    found += sorted(name for name in tags.attributes if name.startswith("on"))
    # Images in data: URLs cannot run script (markdown-it allows gif, png, jpeg and webp); others can.
    bad = re.compile(r"\s*(javascript:|vbscript:|data:(?!image/(gif|png|jpeg|webp);))", re.I)
    found += [url for url in tags.hrefs if bad.match(url)]
    return found
