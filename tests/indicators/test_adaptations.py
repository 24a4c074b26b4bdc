"""Local adaptations: their rules at the use-case level, their immutability in the database, their
hashes checked by `referentiel verify`, and their pages and API."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from piccolo.engine import engine_finder

from indicators.adaptations import (
    ADAPTATION_KINDS,
    LocalChange,
    adaptation_hash,
    adaptations_of_indicator,
    adopt_base,
    create_adaptation,
    get_adaptation,
    list_adaptations,
    publish_adaptation_change,
)
from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.queries import find_release, get_framework, load_release
from indicators.verification import check_adaptation_hashes
from indicators.versions import Bump
from tests.conftest import ON_POSTGRES
from tests.constants import SLUG
from tests.programmes.factories import publish_changes
from web.failures import Conflict, InvalidInput, NotFound

LOCAL = IndicatorText(
    title="Le programme mobilise les transports scolaires",
    statement="Les rencontres sont organisées aux horaires des cars scolaires.",
    rationale="En zone rurale, sans transport, pas de rencontre.",
    evidence_level="emerging",
)


async def national(code: str, version: str = "1.0.0") -> IndicatorText:
    """The national text of `code` in a release."""
    framework = await get_framework(SLUG)
    release = await load_release(framework, await find_release(framework, version))
    return release.indicators()[code][1].text


async def reworded(
    code: str = "REC-1", statement: str = "Les supports disent la durée en mois."
) -> LocalChange:
    text = replace(await national(code), statement=statement)
    return LocalChange(code, "reworded", "Les familles comprennent mieux les mois.", content=text)


NOT_APPLICABLE = LocalChange("REC-2", "not_applicable", "Aucun **bénévole** salarié ici.")
ADDED = LocalChange("", "added", "Le transport manque.", theme="REC", content=LOCAL)


async def adaptation(department: str = "23", name: str = "Creuse solidaire") -> int:
    return (await create_adaptation(SLUG, name, "latest", 7, department=department)).id


async def publish(adaptation_id: int, change: LocalChange, proposal_id: int | None = 12):
    return await publish_adaptation_change(adaptation_id, change, proposal_id=proposal_id, summary="ok")


# --- making one -----------------------------------------------------------------------------------


async def test_a_new_adaptation_has_no_version_yet(db):
    view = await create_adaptation(SLUG, "  Réseau Nord  ", "1.0.0", 3, department="2a")
    assert (view.name, view.department, view.region, view.territory) == (
        "Réseau Nord",
        "2A",
        "",
        "Corse-du-Sud",
    )
    assert (view.framework, view.working_group, view.base_version) == (SLUG, 3, "1.0.0")
    assert (view.version, view.content_hash, view.published_at, view.changes) == (0, None, None, ())
    region = await create_adaptation(SLUG, "Hauts-de-France", "latest", 3, region="32")
    assert (region.region, region.territory) == ("32", "Hauts-de-France")
    assert [v.id for v in await list_adaptations(SLUG)] == [view.id, region.id]
    assert await get_adaptation(view.id) == view


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Nord\u202e"}, "name"),
        ({"name": "\u200b"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 12}, "name"),
        ({"department": "59", "region": "32"}, "department"),
        ({"department": ""}, "department"),
        ({"department": "999"}, "department"),
        ({"department": "", "region": "99"}, "region"),
        ({"working_group": 0}, "working_group"),
        ({"base_version": "un"}, None),
    ],
)
async def test_creating_refuses_what_cannot_be_right(db, arguments, field):
    given = {"name": "Réseau", "department": "59", "region": "", "working_group": 3, "base_version": "latest"}
    given.update(arguments)
    with pytest.raises(InvalidInput) as refused:
        await create_adaptation(
            SLUG,
            given["name"],
            given["base_version"],
            given["working_group"],
            region=given["region"],
            department=given["department"],
        )
    assert refused.value.field == field


async def test_creating_needs_a_framework_and_a_release(db):
    with pytest.raises(NotFound):
        await create_adaptation("nope", "Réseau", "latest", 3, department="59")
    with pytest.raises(NotFound):
        await create_adaptation(SLUG, "Réseau", "9.9.9", 3, department="59")


# --- versions -------------------------------------------------------------------------------------


async def test_each_kind_publishes_the_next_version_in_the_base_release_order(db):
    adaptation_id = await adaptation()
    first = await publish(adaptation_id, ADDED)
    assert (first.version, [c.indicator for c in first.changes]) == (1, ["REC-L1"])
    second = await publish(adaptation_id, NOT_APPLICABLE)
    third = await publish(adaptation_id, await reworded())
    assert (second.version, third.version) == (2, 3)
    assert [(c.indicator, c.kind) for c in third.changes] == [
        ("REC-1", "reworded"),
        ("REC-2", "not_applicable"),
        ("REC-L1", "added"),  # after its theme's national indicators
    ]
    rec1, rec2, local = third.changes
    assert (
        rec1.before == await national("REC-1")
        and rec1.after.statement == "Les supports disent la durée en mois."
    )
    assert [field.name for field in rec1.diff] == ["statement"]
    assert ("insert", "mois") in rec1.diff[0].diff
    assert (rec2.before, rec2.after, rec2.diff, rec2.theme) == (await national("REC-2"), None, [], "REC")
    assert local.before is None and local.after == LOCAL and local.theme == "REC"
    assert {field.name for field in local.diff} == {"title", "statement", "rationale", "evidence_level"}
    assert len({first.content_hash, second.content_hash, third.content_hash}) == 3
    assert third.published_at is not None and third.base_version == "1.0.0"
    assert set(ADAPTATION_KINDS) == {"not_applicable", "reworded", "added"}


async def test_a_change_replaces_the_earlier_one_and_local_codes_are_never_reused(db):
    adaptation_id = await adaptation()
    await publish(adaptation_id, await reworded())
    view = await publish(adaptation_id, LocalChange("REC-1", "not_applicable", "Finalement non."))
    assert [(c.indicator, c.kind, c.after) for c in view.changes] == [("REC-1", "not_applicable", None)]
    assert [c.indicator for c in (await publish(adaptation_id, ADDED)).changes] == ["REC-1", "REC-L1"]
    removed = await publish(adaptation_id, LocalChange("REC-L1", "not_applicable", "Plus utile."))
    assert [c.indicator for c in removed.changes] == ["REC-1"]
    again = await publish(adaptation_id, ADDED)
    assert [c.indicator for c in again.changes] == ["REC-1", "REC-L2"]
    other_theme = await publish(adaptation_id, replace(ADDED, theme="SEL"))
    assert "SEL-L1" in [c.indicator for c in other_theme.changes]
    retitled = replace(LOCAL, title="Les cars scolaires")
    rewritten = await publish(
        adaptation_id, LocalChange("REC-L2", "reworded", "Plus court.", content=retitled)
    )
    local = next(c for c in rewritten.changes if c.indicator == "REC-L2")
    assert (local.kind, local.after.title, local.theme) == ("added", "Les cars scolaires", "REC")
    assert rewritten.version == 7


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (LocalChange("REC-99", "not_applicable", "Inconnu."), Conflict),
        (LocalChange("REC-L1", "reworded", "Inconnu.", content=LOCAL), Conflict),
        (LocalChange("REC-1", "added", "National.", content=LOCAL), Conflict),
        (replace(ADDED, theme="XYZ"), Conflict),
        (replace(ADDED, theme=""), Conflict),
        (LocalChange("REC-1", "deleted", "Non."), InvalidInput),
        (LocalChange("REC-1", "not_applicable", "  "), InvalidInput),
        (LocalChange("REC-1", "reworded", "Sans texte."), InvalidInput),
        (replace(ADDED, content=replace(LOCAL, evidence_level="rumour")), InvalidInput),
    ],
)
async def test_refused_changes_publish_nothing(db, change, refusal):
    adaptation_id = await adaptation()
    await publish(adaptation_id, NOT_APPLICABLE)
    with pytest.raises(refusal):
        await publish(adaptation_id, change)
    assert (await get_adaptation(adaptation_id)).version == 1


async def test_rewording_to_the_national_text_is_refused(db):
    adaptation_id = await adaptation()
    same = LocalChange("REC-1", "reworded", "Rien.", content=await national("REC-1"))
    with pytest.raises(Conflict, match="is the national text"):
        await publish(adaptation_id, same)
    with pytest.raises(NotFound):
        await publish(999, NOT_APPLICABLE)


async def test_the_hash_is_stable_and_follows_the_content(db):
    adaptation_id = await adaptation()
    await publish(adaptation_id, NOT_APPLICABLE)
    view = await publish(adaptation_id, ADDED)
    stored = [LocalChange(c.indicator, c.kind, c.reason, c.theme, c.after) for c in view.changes]
    again = adaptation_hash(SLUG, view.id, view.name, "", "23", 2, "1.0.0", await release_hash(), stored)
    assert again == view.content_hash
    assert (
        adaptation_hash(SLUG, view.id, view.name, "", "23", 2, "1.0.0", await release_hash(), stored[::-1])
        == again
    )
    other_reason = [replace(stored[0], reason="Autre raison."), stored[1]]
    assert (
        adaptation_hash(SLUG, view.id, view.name, "", "23", 2, "1.0.0", await release_hash(), other_reason)
        != again
    )
    assert (
        adaptation_hash(SLUG, view.id, view.name, "", "23", 3, "1.0.0", await release_hash(), stored) != again
    )
    assert all(check.ok for check in await check_adaptation_hashes())
    assert [(c.adaptation, c.version) for c in await check_adaptation_hashes()] == [
        (adaptation_id, 1),
        (adaptation_id, 2),
    ]


async def release_hash() -> str:
    return (await find_release(await get_framework(SLUG), "1.0.0")).content_hash


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE adaptation_version SET content_hash = 'x'",
        "DELETE FROM adaptation_version",
        "UPDATE adaptation_change SET reason = 'autre'",
        "DELETE FROM adaptation_change",
    ],
)
async def test_published_versions_are_immutable_in_the_database(db, sql):
    adaptation_id = await adaptation()
    await publish(adaptation_id, NOT_APPLICABLE)
    with pytest.raises(Exception, match="immutable"):
        await engine_finder().run_ddl(sql)
    assert (await get_adaptation(adaptation_id)).changes[0].reason == NOT_APPLICABLE.reason


# --- when the national framework changes -----------------------------------------------------------


async def test_an_amended_national_indicator_is_to_look_at_again(db):
    adaptation_id = await adaptation()
    await publish(adaptation_id, await reworded())
    await publish(adaptation_id, NOT_APPLICABLE)
    assert (await get_adaptation(adaptation_id)).upstream_changed == ()
    text = replace(await national("REC-1"), title="Un titre révisé")
    await publish_release(SLUG, [Change(ChangeKind.amend, "REC-1", text)], Bump.minor, "REC-1 revu")
    view = await get_adaptation(adaptation_id)
    assert view.upstream_changed == ("REC-1",)
    assert view.base_version == "1.0.0"  # it keeps its base until the network adopts the new one
    assert view.changes[0].before == await national("REC-1") != text


async def test_adopting_a_later_release_carries_the_changes_over_except_retired_ones(db):
    adaptation_id = await adaptation()
    await publish(adaptation_id, await reworded())
    await publish(adaptation_id, LocalChange("REC-4", "not_applicable", "Pas ici."))
    await publish(adaptation_id, NOT_APPLICABLE)
    await publish(adaptation_id, ADDED)
    version = await publish_changes()  # amends REC-1, retires REC-4, adds REC-5
    before = await get_adaptation(adaptation_id)
    assert before.upstream_changed == ("REC-1", "REC-4")
    with pytest.raises(Conflict):
        await adopt_base(adaptation_id, "1.0.0", proposal_id=None)
    adopted = await adopt_base(adaptation_id, "latest", proposal_id=31)
    assert (adopted.version, adopted.base_version, adopted.upstream_changed) == (5, version, ())
    assert [c.indicator for c in adopted.changes] == ["REC-1", "REC-2", "REC-L1"]
    rec1 = adopted.changes[0]
    assert rec1.before.statement == "Un nouvel énoncé pour REC-1."  # against the new national text
    assert rec1.after == before.changes[0].after
    assert adopted.content_hash != before.content_hash
    with pytest.raises(Conflict):
        await adopt_base(adaptation_id, version, proposal_id=None)
    assert all(check.ok for check in await check_adaptation_hashes())


async def test_adaptations_of_an_indicator_are_those_whose_latest_version_touches_it(db):
    first, second, third = await adaptation(), await adaptation("59", "Nord"), await adaptation("75", "Paris")
    await publish(first, NOT_APPLICABLE)
    await publish(second, await reworded("REC-2", "Autrement dit."))
    await publish(third, NOT_APPLICABLE)
    await publish(third, LocalChange("REC-2", "reworded", "Non.", content=replace(LOCAL, title="T")))
    await publish(third, ADDED)
    assert [v.id for v in await adaptations_of_indicator(SLUG, "REC-2")] == [first, second, third]
    assert await adaptations_of_indicator(SLUG, "REC-1") == []
    assert await adaptations_of_indicator(SLUG, "REC-L1") == []  # a local indicator is no national one


# --- API and pages --------------------------------------------------------------------------------


async def test_api_shapes(client):
    adaptation_id = await adaptation()
    empty = (await client.get(f"/api/v1/adaptations/{adaptation_id}")).json()
    assert (empty["version"], empty["content_hash"], empty["published_at"], empty["changes"]) == (
        0,
        None,
        None,
        [],
    )
    await publish(adaptation_id, NOT_APPLICABLE)
    await publish(adaptation_id, await reworded())
    await publish(adaptation_id, ADDED)
    response = await client.get(f"/api/v1/adaptations/{adaptation_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["territory"] == {"department": "23", "name": "Creuse"}
    assert {key: body[key] for key in ("id", "name", "framework", "base_version", "version")} == {
        "id": adaptation_id,
        "name": "Creuse solidaire",
        "framework": SLUG,
        "base_version": "1.0.0",
        "version": 3,
    }
    assert len(body["content_hash"]) == 64 and body["published_at"].endswith("Z")
    assert body["html_url"] == f"https://testserver/adaptations/{adaptation_id}"
    assert body["upstream_changed"] == []
    rec1, rec2, local = body["changes"]
    assert set(rec1) == {"indicator", "kind", "theme", "reason", "before", "after"}
    assert rec1["after"]["statement"] == "Les supports disent la durée en mois."
    assert set(rec1["after"]) == set(rec1["before"]) >= {"title", "statement", "rationale", "evidence_level"}
    assert set(rec2) == {"indicator", "kind", "theme", "reason", "before"}
    assert (local["indicator"], local["kind"], local["theme"], "before" in local) == (
        "REC-L1",
        "added",
        "REC",
        False,
    )
    listed = (await client.get(f"/api/v1/frameworks/{SLUG}/adaptations")).json()
    assert listed == [body]
    touching = (await client.get(f"/api/v1/frameworks/{SLUG}/indicators/REC-2/adaptations")).json()
    assert touching == [
        {
            "id": adaptation_id,
            "name": "Creuse solidaire",
            "territory": {"department": "23", "name": "Creuse"},
            "version": 3,
            "kind": "not_applicable",
            "html_url": f"https://testserver/adaptations/{adaptation_id}",
        }
    ]
    for missing in ("/api/v1/adaptations/999", "/api/v1/frameworks/nope/adaptations", "/adaptations/999"):
        assert (await client.get(missing)).status_code == 404


async def test_the_page_reads_as_a_difference_from_the_national_text(client):
    adaptation_id = await adaptation()
    await publish(adaptation_id, NOT_APPLICABLE)
    await publish(adaptation_id, await reworded())
    await publish(adaptation_id, ADDED)
    page = (await client.get(f"/adaptations/{adaptation_id}", headers={"Accept-Language": "en"})).text
    view = await get_adaptation(adaptation_id)
    assert "<bdi>Creuse solidaire</bdi>" in page and "Creuse" in page
    assert f'href="/frameworks/{SLUG}/releases/1.0.0"' in page and view.content_hash in page
    assert "Not applicable here, because:" in page and "<strong>bénévole</strong>" in page
    reworded_part = page.split('id="change-REC-1"')[1].split("</article>")[0]
    assert "Reworded here:" in reworded_part and "<ins>" in reworded_part and "<del>" in reworded_part
    assert "Added here, in theme REC:" in page.split('id="change-REC-L1"')[1]
    assert "look at them again" not in page
    french = (await client.get(f"/adaptations/{adaptation_id}")).text
    assert '<html lang="fr">' in french and "Non applicable ici" in french


async def test_the_page_says_what_changed_upstream_and_is_made_again_when_it_does(client):
    adaptation_id = await adaptation()
    await publish(adaptation_id, await reworded())
    path = f"/adaptations/{adaptation_id}"
    assert "look at them again" not in (await client.get(path, headers={"Accept-Language": "en"})).text
    text = replace(await national("REC-1"), title="Un titre révisé")
    await publish_release(SLUG, [Change(ChangeKind.amend, "REC-1", text)], Bump.minor, "REC-1 revu")
    page = (await client.get(path, headers={"Accept-Language": "en"})).text
    notice = page.split('class="notice upstream"')[1].split("</div>")[0]
    assert "changed these indicators since release 1.0.0: the network should look at them again" in notice
    assert f'href="/frameworks/{SLUG}/indicators/REC-1"' in notice
    assert f'href="/frameworks/{SLUG}/compare/1.0.0...1.1.0"' in notice
    listing = (await client.get(f"/frameworks/{SLUG}/adaptations", headers={"Accept-Language": "en"})).text
    assert f'href="/adaptations/{adaptation_id}"' in listing and "to look at again" in listing


async def test_the_national_indicator_page_says_where_it_is_adapted(client):
    english = {"Accept-Language": "en"}
    page = (await client.get(f"/frameworks/{SLUG}/indicators/REC-2", headers=english)).text
    assert "Adapted in" not in page
    listing = (await client.get(f"/frameworks/{SLUG}/adaptations", headers=english)).text
    assert "No territory has adapted this framework yet." in listing
    first, second = await adaptation(), await adaptation("59", "Nord")
    await publish(first, NOT_APPLICABLE)
    await publish(second, await reworded("REC-2", "Autrement dit."))
    # The page kept before is made again: a new version of an adaptation is announced.
    page = (await client.get(f"/frameworks/{SLUG}/indicators/REC-2", headers=english)).text
    section = page.split('id="adapted-title"')[1].split("</section>")[0]
    assert "Adapted in 2 territories" in section
    assert f'href="/adaptations/{first}"' in section and f'href="/adaptations/{second}"' in section
    assert "not applicable there" in section and "reworded there" in section
    french = (await client.get(f"/frameworks/{SLUG}/releases/1.0.0/indicators/REC-2")).text
    assert "Adapté dans 2 territoires" in french
    listing = (await client.get(f"/frameworks/{SLUG}/adaptations", headers=english)).text
    assert f'href="/adaptations/{first}"' in listing and "Creuse" in listing


# --- referentiel verify ---------------------------------------------------------------------------


def referentiel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, timeout=120
    )


async def test_verify_recomputes_every_adaptation_version(db):
    adaptation_id = await adaptation()
    await publish(adaptation_id, NOT_APPLICABLE)
    await publish(adaptation_id, ADDED)
    result = referentiel("verify")
    assert result.returncode == 0, result.stderr
    assert f"ok        adaptation {adaptation_id} version 2" in result.stderr
    assert "2 adaptation version(s) checked, 0 mismatch(es)." in result.stderr
    engine = engine_finder()
    tamper = "UPDATE adaptation_change SET reason = 'falsifié' WHERE indicator_code = 'REC-2'"
    if ON_POSTGRES:  # the guard switched off first, as only the database's owner could
        await engine.run_ddl("ALTER TABLE adaptation_change DISABLE TRIGGER adaptation_change_refuse_change")
        await engine.run_ddl(tamper)
        await engine.run_ddl("ALTER TABLE adaptation_change ENABLE TRIGGER adaptation_change_refuse_change")
    else:
        await engine.run_ddl("DROP TRIGGER adaptation_change_refuse_UPDATE")
        await engine.run_ddl(tamper)
    result = referentiel("verify")
    assert result.returncode == 1
    assert f"MISMATCH  adaptation {adaptation_id} version 1" in result.stderr
    assert f"MISMATCH  adaptation {adaptation_id} version 2" in result.stderr
    assert "2 adaptation version(s) checked, 2 mismatch(es)." in result.stderr
