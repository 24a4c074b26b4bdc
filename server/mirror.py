"""`referentiel publish-site DIR`: what is published, as a static site that nginx can serve.

Every published address is asked of the app itself, in this process (no network, no port), as a
visitor who is not signed in and names no language: the files hold the bytes the app answers, by
construction. A page is written as ADDRESS/index.html (nginx: `try_files $uri $uri/index.html`), a
file (download, feed, schema, stylesheet) at its own address. Only files whose bytes changed are
written, each whole or not at all (a temporary file renamed over it), and `manifest.json` maps every
file to its SHA-256.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import httpx

from indicators import urls
from indicators.downloads import DOWNLOADS
from indicators.queries import PublishedRelease, published_releases
from indicators.versions import LATEST
from server.app import STATIC_DIR, create_app
from server.settings import Settings
from web.database import close_pool, open_pool

MANIFEST = "manifest.json"
SCHEMA_PATH = "/schema/release.json"
# Addresses asked at once: enough to keep the app's rendering threads and the database busy.
CONCURRENCY = 8

# Told after each file: files done, of how many, written so far.
Progress = Callable[[int, int, int], None]


class MirrorError(Exception):
    """What stops publish-site, in plain words (exit status 2)."""


@dataclass(frozen=True)
class Outcome:
    folder: Path
    written: int
    unchanged: int
    seconds: float

    @property
    def total(self) -> int:
        return self.written + self.unchanged


def published_addresses(releases: list[PublishedRelease], home_framework: str) -> list[str]:
    """Every address of published content, following the app's own scheme (indicators/urls.py)."""
    static = sorted(f"/static/{path.relative_to(STATIC_DIR).as_posix()}" for path in _files(STATIC_DIR))
    addresses = [*static, SCHEMA_PATH]
    by_framework: dict[str, list[PublishedRelease]] = {}
    for release in releases:  # oldest first within each framework
        by_framework.setdefault(release.framework, []).append(release)
    if home_framework in by_framework:
        addresses.append("/")
    for slug, history in by_framework.items():
        addresses += _framework_addresses(slug, history)
    return addresses


def _framework_addresses(slug: str, history: list[PublishedRelease]) -> list[str]:
    current = history[-1].version
    addresses = [urls.framework_path(slug), urls.releases_path(slug), urls.feed_path(slug)]
    codes: dict[str, None] = {}  # every indicator ever published, retired ones included
    for release in history:
        addresses.append(urls.release_path(slug, release.version))
        addresses += [urls.download_path(slug, release.version, fmt) for fmt in DOWNLOADS]
        addresses += [urls.indicator_path(slug, code, release.version) for code in release.codes]
        codes.update(dict.fromkeys(release.codes))
    addresses.append(urls.release_path(slug, LATEST))
    addresses += [urls.download_path(slug, LATEST, fmt) for fmt in DOWNLOADS]
    for code in codes:  # its page as it stands now (or as retired), and its revisions' feed
        addresses += [urls.indicator_path(slug, code), urls.indicator_path(slug, code) + ".atom"]
    # What the releases page links (each release from the one before) and what an old release's
    # page links (the changes from it to the current one).
    versions = [release.version for release in history]
    pairs = [*pairwise(versions), *((version, current) for version in versions[:-2])]
    addresses += [urls.compare_path(slug, before, after) for before, after in pairs]
    return addresses


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def file_for(address: str, is_page: bool) -> PurePosixPath:
    """Where an address is written in the mirror: a page as ADDRESS/index.html, a file at ADDRESS.
    nginx looks files up by the decoded address, so they are named by it."""
    parts = [part for part in unquote(address).split("/") if part]
    if any(part in (".", "..") or "\0" in part for part in parts):
        raise MirrorError(f"the address {address!r} cannot be written as a file")
    return PurePosixPath(*parts, "index.html") if is_page else PurePosixPath(*parts)


def prepare_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise MirrorError(f"{folder} is a file, not a directory: give the directory to write the site into")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MirrorError(f"cannot create the directory {folder}: {error.strerror}") from None


def write_if_changed(path: Path, content: bytes) -> bool:
    """Writes `content` at `path` unless it holds it already; True if it wrote. Readers of the mirror
    see the old file or the new one, never part of one."""
    try:
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            os.chmod(temporary, 0o644)  # mkstemp makes it 0600: the web server must read it
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise MirrorError(f"cannot write {path}: {error.strerror or error}") from None
    return True


async def publish_site(settings: Settings, folder: Path, progress: Progress | None = None) -> Outcome:
    """Writes the published releases under `folder` as `settings.base_url` would serve them."""
    started = time.monotonic()
    prepare_folder(folder)
    app = create_app(settings)
    # The database only: the app's background loops (mail, decisions, change listener) stay asleep,
    # and this process hears no other worker's writes, which it would not need for one pass.
    await open_pool()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per address asked
    try:
        releases = await published_releases()
        if not releases:
            raise MirrorError("there is no published release to mirror: is REFERENTIEL_DATABASE_URL right?")
        addresses = published_addresses(releases, settings.default_framework)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            hashes, written = await _mirror(client, addresses, folder, progress)
    finally:
        await close_pool()
    manifest = json.dumps(dict(sorted(hashes.items())), indent=1).encode() + b"\n"
    written += write_if_changed(folder / MANIFEST, manifest)
    return Outcome(folder, written, len(addresses) + 1 - written, time.monotonic() - started)


async def _mirror(
    client: httpx.AsyncClient, addresses: list[str], folder: Path, progress: Progress | None
) -> tuple[dict[str, str], int]:
    hashes: dict[str, str] = {}
    written = 0
    waiting = iter(addresses)  # shared by the workers: each takes the next address

    async def worker() -> None:
        nonlocal written
        for address in waiting:
            response = await client.get(address)
            if response.status_code != 200:
                raise MirrorError(f"the app answers {address} with {response.status_code}, not 200")
            path = file_for(address, response.headers.get("content-type", "").startswith("text/html"))
            if path.as_posix() in hashes:
                raise MirrorError(f"two addresses would be written to {path}")
            hashes[path.as_posix()] = hashlib.sha256(response.content).hexdigest()
            written += write_if_changed(folder / path, response.content)
            if progress is not None:
                progress(len(hashes), len(addresses), written)

    try:
        async with asyncio.TaskGroup() as workers:
            for _ in range(CONCURRENCY):
                workers.create_task(worker())
    except ExceptionGroup as failed:  # the first failure stopped the other workers
        raise failed.exceptions[0] from None
    return hashes, written
