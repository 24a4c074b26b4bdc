"""Releases as stored: content hash, immutability triggers, publication rules (on both engines)."""

from __future__ import annotations

import pytest
from piccolo.engine import engine_finder

from indicators.content import IndicatorText, release_hash
from indicators.publication import Change, ChangeKind, publish_release
from indicators.queries import find_release, get_framework, indicator_history, list_releases, load_release
from indicators.verification import check_release_hashes
from indicators.versions import Bump
from tests.constants import SLUG, STARTER_HASH
from web.failures import Conflict, InvalidInput, NotFound

# The starter release's hash is a fact people may have written down: it must never drift,
# whatever the engine or the version of the code.

pytestmark = pytest.mark.usefixtures("db")


async def release(version: str = "latest"):
    framework = await get_framework(SLUG)
    return await load_release(framework, await find_release(framework, version))


def text(title: str, evidence_level: str = "emerging") -> IndicatorText:
    return IndicatorText(
        title=title, statement=f"{title}: énoncé.", rationale="Parce que.", evidence_level=evidence_level
    )


async def test_starter_is_release_1_0_0_with_a_stable_hash():
    starter = await release()
    assert starter.version == "1.0.0"
    assert len(starter.themes) == 8
    assert len(starter.indicators()) == 35
    assert starter.content_hash == STARTER_HASH
    assert release_hash(starter) == STARTER_HASH


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE framework_release SET summary = 'rewritten'",
        "DELETE FROM framework_release",
        "UPDATE release_entry SET position = position + 1",
        "DELETE FROM release_entry",
        "UPDATE indicator_revision SET title = 'rewritten'",
        "DELETE FROM indicator_revision",
        "UPDATE indicator SET code = 'REUSED'",
        "DELETE FROM indicator",
        "UPDATE theme SET title = 'rewritten'",
        "UPDATE framework SET title = 'rewritten'",
        "DELETE FROM framework",
        "DELETE FROM theme",
    ],
)
async def test_the_database_refuses_to_change_published_rows(statement: str):
    with pytest.raises(Exception, match="immutable"):
        await engine_finder().run_ddl(statement)
    assert (await release()).content_hash == STARTER_HASH


async def test_amend_publishes_a_minor_release_with_a_new_revision():
    published = await publish_release(
        SLUG,
        [Change(ChangeKind.amend, "REC-1", text("Un message honnête", "research"))],
        Bump.minor,
        "REC-1 reformulé",
        proposal_id=7,
    )
    assert published.version == "1.1.0"
    new = await release()
    _theme, indicator = new.indicators()["REC-1"]
    assert (indicator.revision, indicator.text.title) == (2, "Un message honnête")
    assert new.content_hash == release_hash(new) != STARTER_HASH
    old = await release("1.0.0")
    assert old.indicators()["REC-1"][1].revision == 1
    history = await indicator_history(await get_framework(SLUG), "REC-1")
    assert [(h.number, h.first_release, h.proposal_id) for h in history] == [
        (1, "1.0.0", None),
        (2, "1.1.0", 7),
    ]


async def test_add_retire_and_patch_follow_semantic_versioning():
    assert (
        await publish_release(
            SLUG, [Change(ChangeKind.add, "REC-5", text("Nouveau"), "REC")], Bump.minor, "a"
        )
    ).version == "1.1.0"
    assert (
        await publish_release(SLUG, [Change(ChangeKind.retire, "REC-2")], Bump.major, "r")
    ).version == "2.0.0"
    assert (
        await publish_release(SLUG, [Change(ChangeKind.amend, "REC-1", text("Coquille"))], Bump.patch, "p")
    ).version == "2.0.1"
    current = await release()
    assert "REC-2" not in current.indicators()
    codes = [i.code for i in current.themes[0].indicators]
    assert codes[-1] == "REC-5"
    assert [r.version for r in await list_releases(await get_framework(SLUG))] == [
        "2.0.1",
        "2.0.0",
        "1.1.0",
        "1.0.0",
    ]
    assert all([check.ok async for check in check_release_hashes()])


async def test_a_retired_code_is_never_reused():
    await publish_release(SLUG, [Change(ChangeKind.retire, "REC-2")], Bump.major, "r")
    with pytest.raises(Conflict, match="never reused"):
        await publish_release(SLUG, [Change(ChangeKind.add, "REC-2", text("Autre"), "REC")], Bump.minor, "a")
    assert (await release()).version == "2.0.0"


async def test_an_amendment_can_move_an_indicator_to_another_theme():
    await publish_release(
        SLUG, [Change(ChangeKind.amend, "REC-4", text("Fidéliser"), "SEL")], Bump.minor, "m"
    )
    theme, _indicator = (await release()).indicators()["REC-4"]
    assert theme.code == "SEL"


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (Change(ChangeKind.amend, "NOPE-1", text("x")), NotFound, "not in the current release"),
        (Change(ChangeKind.retire, "NOPE-1"), NotFound, "not in the current release"),
        (Change(ChangeKind.add, "NEW-1", text("x"), "NOPE"), NotFound, "no theme"),
        (Change(ChangeKind.add, "NEW-1", text("x", "hearsay")), InvalidInput, "evidence level"),
    ],
)
async def test_bad_changes_publish_nothing(change: Change, error: type[Exception], message: str):
    with pytest.raises(error, match=message):
        await publish_release(SLUG, [change], Bump.minor, "bad")
    assert (await release()).version == "1.0.0"


async def test_unknown_and_malformed_releases():
    framework = await get_framework(SLUG)
    with pytest.raises(NotFound, match=r"no release 9\.9\.9"):
        await find_release(framework, "9.9.9")
    with pytest.raises(InvalidInput, match="not a release number"):
        await find_release(framework, "../1.0")
    with pytest.raises(NotFound, match="no framework"):
        await get_framework("nope")
