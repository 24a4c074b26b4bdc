"""`referentiel publish-site DIR`: every file of the mirror holds the bytes the app serves at its
address to a visitor who is not signed in, page by page, before and after a new release."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.versions import Bump
from server.mirror import MANIFEST, publish_site
from server.settings import Settings
from tests.conftest import DATABASE_URL, app_client, create_app
from tests.constants import SLUG
from tests.server.live import ROOT, child_environment, live_server, other_database, run_cli

pytestmark = pytest.mark.usefixtures("db")

BASE = f"frameworks/{SLUG}"
# What one release of the starter framework (35 indicators) is mirrored as, among others.
EXPECTED = [
    "index.html",
    "static/css/site.css",
    "schema/release.json",
    f"{BASE}/index.html",
    f"{BASE}/releases/index.html",
    f"{BASE}/releases.atom",
    f"{BASE}/releases/1.0.0/index.html",
    f"{BASE}/releases/1.0.0.json",
    f"{BASE}/releases/1.0.0.csv",
    f"{BASE}/releases/1.0.0.md",
    f"{BASE}/releases/1.0.0.bib",
    f"{BASE}/releases/1.0.0.csl.json",
    f"{BASE}/releases/latest/index.html",
    f"{BASE}/releases/latest.json",
    f"{BASE}/releases/1.0.0/indicators/REC-1/index.html",
    f"{BASE}/indicators/REC-1/index.html",
    f"{BASE}/indicators/REC-1.atom",
]


def address_of(path: str) -> str:
    """The address a file of the mirror stands for: a page's folder, or the file's own path."""
    if path == "index.html":
        return "/"
    return "/" + quote(path.removesuffix("/index.html"))


def checked_manifest(folder: Path) -> dict[str, str]:
    """The manifest, once it is known to list every file of the mirror with its true SHA-256."""
    manifest = json.loads((folder / MANIFEST).read_text())
    on_disk = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    assert on_disk - {MANIFEST} == set(manifest)
    for path, digest in manifest.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest, path
    return manifest


async def assert_served_as_written(client: httpx.AsyncClient, folder: Path, manifest: dict[str, str]) -> None:
    for path in manifest:
        response = await client.get(address_of(path))  # no cookie, no Accept-Language
        assert response.status_code == 200, path
        assert response.content == (folder / path).read_bytes(), f"{path} differs from {address_of(path)}"


def modified_times(folder: Path) -> dict[str, int]:
    return {
        path.relative_to(folder).as_posix(): path.stat().st_mtime_ns
        for path in folder.rglob("*")
        if path.is_file()
    }


async def test_the_mirror_holds_what_the_app_serves_and_only_new_files_are_written(tmp_path: Path):
    folder = tmp_path / "site"
    settings = Settings.from_env()
    told: list[tuple[int, int, int]] = []
    first = await publish_site(settings, folder, lambda *progress: told.append(progress))
    manifest = checked_manifest(folder)
    assert set(EXPECTED) <= set(manifest)
    assert len([path for path in manifest if "/releases/1.0.0/indicators/" in path]) == 35
    assert (first.written, first.unchanged) == (len(manifest) + 1, 0)  # the manifest is written too
    assert told[-1] == (len(manifest), len(manifest), len(manifest))
    async with app_client(create_app()) as client:
        await assert_served_as_written(client, folder, manifest)

    before = modified_times(folder)
    again = await publish_site(settings, folder)
    assert (again.written, again.unchanged) == (0, len(manifest) + 1)
    assert modified_times(folder) == before

    text = IndicatorText(
        title="Un message honnête", statement="Révisé.", rationale="Parce que.", evidence_level="practice"
    )
    await publish_release(SLUG, [Change(ChangeKind.amend, "REC-1", text)], Bump.minor, "REC-1 revu")
    await publish_release(SLUG, [Change(ChangeKind.retire, "REC-4")], Bump.major, "REC-4 retiré")
    after = await publish_site(settings, folder)
    manifest = checked_manifest(folder)
    for path in (
        f"{BASE}/releases/2.0.0/index.html",
        f"{BASE}/releases/1.1.0/indicators/REC-1/index.html",
        f"{BASE}/compare/1.0.0...1.1.0/index.html",
        f"{BASE}/compare/1.1.0...2.0.0/index.html",
        f"{BASE}/compare/1.0.0...2.0.0/index.html",  # from the old release's notice to the current one
    ):
        assert path in manifest
    assert f"{BASE}/releases/2.0.0/indicators/REC-4/index.html" not in manifest
    assert "retir" in (folder / f"{BASE}/indicators/REC-4/index.html").read_text()
    # A numbered release's downloads never change: they were not written again.
    changed = {path for path, mtime in modified_times(folder).items() if before.get(path) != mtime}
    assert f"{BASE}/releases/1.0.0.json" not in changed and f"{BASE}/releases/2.0.0.json" in changed
    assert after.written == len(changed) and 0 < after.written < len(manifest)
    async with app_client(create_app()) as client:
        await assert_served_as_written(client, folder, manifest)


async def test_the_command_writes_what_the_real_server_serves_and_is_quiet_when_piped(tmp_path: Path):
    folder, base = tmp_path / "site", "https://mirror.example.org"
    result = run_cli(DATABASE_URL, "publish-site", str(folder), "--base-url", base)
    assert result.returncode == 0, result.stderr
    manifest = checked_manifest(folder)
    total = len(manifest) + 1
    # One line, the summary: no progress on a pipe.
    summary = rf"Published {total} files into {re.escape(str(folder))} for {re.escape(base)} in [\d.]+ s: "
    assert re.fullmatch(summary + rf"{total} written, 0 unchanged\.\n", result.stderr), result.stderr
    assert base + "/frameworks/" in (folder / f"{BASE}/releases.atom").read_text()
    with live_server(DATABASE_URL, tmp_path / "server.log", REFERENTIEL_BASE_URL=base) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
            await assert_served_as_written(client, folder, manifest)
    again = run_cli(DATABASE_URL, "publish-site", str(folder), "--base-url", base)
    assert again.returncode == 0 and f"0 written, {total} unchanged." in again.stderr


def test_progress_is_shown_on_a_terminal(tmp_path: Path):
    """Files done, of how many, rewritten in place on the terminal; then the summary."""
    controller, terminal = pty.openpty()
    command = [sys.executable, "-m", "server.cli", "publish-site", str(tmp_path / "site")]
    process = subprocess.Popen(
        command, env=child_environment(DATABASE_URL), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=terminal
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, shown
    text = shown.decode()
    total = len(json.loads((tmp_path / "site" / MANIFEST).read_text()))
    assert f"\r\x1b[Kpublish-site: files: {total} of {total} ({total} written)\r\n" in text
    assert text.rstrip().endswith(f"{total + 1} written, 0 unchanged.")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("a-file", "is a file, not a directory"),
        ("a-file/below", "cannot create the directory"),
    ],
)
def test_a_folder_that_cannot_be_written_is_refused_in_plain_words(tmp_path: Path, target: str, message: str):
    (tmp_path / "a-file").write_text("not a folder")
    result = run_cli(DATABASE_URL, "publish-site", str(tmp_path / target))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


async def test_a_database_without_a_release_is_refused(tmp_path: Path):
    async with other_database(tmp_path, "empty") as url:
        assert run_cli(url, "migrate").returncode == 0
        result = run_cli(url, "publish-site", str(tmp_path / "site"))
    assert result.returncode == 2
    assert "there is no published release to mirror" in result.stderr and "Traceback" not in result.stderr
