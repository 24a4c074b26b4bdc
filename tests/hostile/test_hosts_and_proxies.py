"""One canonical address whatever the Host header says; forwarded headers believed only from trusted
proxies; HSTS when the site is HTTPS; client errors logged as such."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from tests.conftest import DATABASE_URL
from tests.constants import PASSWORD, SLUG
from tests.server.live import LiveServer
from web.requests import client_address

HOSTS = ["evil.example", "127.0.0.1:1", "[::1]:8080", "a" * 300, "x.example:99999", "testserver.evil.example"]


@pytest.mark.parametrize("host", HOSTS)
async def test_absolute_addresses_never_come_from_the_host_header(client: httpx.AsyncClient, host: str):
    headers = {"Host": host}
    frameworks = (await client.get("/api/v1/frameworks", headers=headers)).json()
    assert frameworks[0]["html_url"] == f"https://testserver/frameworks/{SLUG}"
    release = (await client.get(f"/api/v1/frameworks/{SLUG}/releases/1.0.0", headers=headers)).json()
    assert release["html_url"] == f"https://testserver/frameworks/{SLUG}/releases/1.0.0"
    download = (await client.get(f"/frameworks/{SLUG}/releases/1.0.0.json", headers=headers)).json()
    assert download["themes"][0]["indicators"][0]["html_url"].startswith("https://testserver/")
    feed = (await client.get(f"/frameworks/{SLUG}/releases.atom", headers=headers)).text
    assert "https://testserver/frameworks/" in feed and host not in feed


async def test_other_hosts_are_never_cached_apart(client: httpx.AsyncClient):
    """200 requests with 200 Host headers for a download: one copy kept, not 200."""
    app = client._transport.app  # type: ignore[attr-defined]
    path = f"/frameworks/{SLUG}/releases/1.0.0.json"
    first = await client.get(path)
    held, entries = app.state.responses.bytes, len(app.state.responses)
    for number in range(200):
        again = await client.get(path, headers={"Host": f"host{number}.example"})
        assert again.content == first.content
    assert (app.state.responses.bytes, len(app.state.responses)) == (held, entries)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "address"),
    [
        ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),  # no proxy trusted: the header is ignored
        ("203.0.113.9", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.9"),  # not from a trusted proxy
        ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.7", ["10.0.0.0/8"], "198.51.100.1"),  # spoofed left part
        ("10.0.0.2", "not an address", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::1", ["::1"], "2001:db8::1"),
    ],
)
def test_forwarded_addresses_are_believed_from_trusted_proxies_only(peer, forwarded, trusted, address):
    scope = {"client": (peer, 1234), "headers": [(b"x-forwarded-for", forwarded.encode())]}
    assert client_address(scope, [ip_network(network) for network in trusted]) == address


async def test_per_address_limits_use_the_client_a_trusted_proxy_names(db):
    from proposals.rate_limits import DEFAULT_LIMITS

    settings = dataclasses.replace(
        Settings.from_env(),
        trusted_proxies=(ip_network("127.0.0.1/32"),),
        rate_limits=dict(DEFAULT_LIMITS),  # the default: 50 sign-ins per address in 15 minutes
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as proxy:
        for number in range(60):  # sixty people behind the proxy, one attempt each: none refused
            body = {"email": f"personne{number}@example.org", "password": "wrong"}
            forwarded = {"X-Forwarded-For": f"198.51.100.{number}"}
            assert (await proxy.post("/api/v1/tokens", json=body, headers=forwarded)).status_code == 401
        body, one = {"email": "une@example.org", "password": "wrong"}, {"X-Forwarded-For": "198.51.100.200"}
        refused = [
            (await proxy.post("/api/v1/tokens", json=body, headers=one)).status_code for _ in range(11)
        ]
        assert refused[-1] == 429  # one person, as the proxy says: limited


@pytest.mark.parametrize(
    ("base_url", "hsts"), [("https://referentiel.example.org", True), ("http://127.0.0.1:8000", False)]
)
async def test_hsts_when_the_site_is_https(db, base_url: str, hsts: bool):
    app = create_app(dataclasses.replace(Settings.from_env(), base_url=base_url))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as client:
        for path in ("/", "/api/v1/frameworks", "/nowhere"):
            headers = (await client.get(path)).headers
            assert ("strict-transport-security" in headers) == hsts, path
            if hsts:
                assert headers["strict-transport-security"] == "max-age=31536000"


async def announced_but_not_sent(server: LiveServer, path: str, length: int) -> bytes:
    """The first line of the answer to a POST announcing a body of `length` bytes, none of which is
    sent (an over-large body is refused before it is read: sending it would race the refusal)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), 30)
    finally:
        writer.close()


async def test_serve_uses_its_own_address_and_logs_client_errors_without_a_trace(db, tmp_path: Path):
    server = LiveServer(DATABASE_URL, tmp_path / "server.log", env={"REFERENTIEL_BASE_URL": None})
    async with server, httpx.AsyncClient(base_url=server.base) as http:
        frameworks = (await http.get("/api/v1/frameworks", headers={"Host": "evil.example"})).json()
        assert frameworks[0]["html_url"] == f"{server.base}/frameworks/{SLUG}"
        assert (await http.put("/")).status_code == 405
        assert (await announced_but_not_sent(server, "/api/v1/accounts", 2_000_000)).startswith(
            b"HTTP/1.1 413"
        )
        body = {"email": "personne@example.org", "password": PASSWORD}
        assert (await http.post("/api/v1/tokens", json=body)).status_code == 401
    log = server.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    assert "405" in log and "413" in log  # said, on one line each


def test_a_base_url_that_is_not_an_address_is_refused():
    from server.settings import SettingsError, base_url

    for text in (
        "referentiel.example.org",
        "ftp://x.example",
        "https://x.example/path",
        "https://",
        "https://x:99999",
    ):
        with pytest.raises(SettingsError):
            base_url(text)
    assert base_url("HTTPS://Referentiel.Example.org/") == "https://referentiel.example.org"
    assert json.dumps(base_url("http://[::1]:8000")) == '"http://[::1]:8000"'
