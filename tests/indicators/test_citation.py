"""How to cite a release (reference, BibTeX, CSL-JSON) and the JSON Schema of a release, which the
API's answer and the .json download validate against (on both engines)."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest

from indicators.citation import bibtex, csl_item, reference
from indicators.queries import get_framework
from proposals.roles import Role
from tests.api_client import Api
from tests.constants import SLUG
from tests.indicators.release_factory import starter_release

BASE = "https://referentiel.example.org"


class Framework:
    """What the citation reads of a framework."""

    title = "Indicateurs de qualité {du} mentorat & 100 % $ #1_a ~b ^c \\d"
    language = "fr"


def test_the_reference_names_title_version_date_address_and_hash():
    release = starter_release()
    text = reference(Framework, release, BASE)
    assert text == (
        f"Référentiel vivant. {Framework.title}, version {release.version} (2026-01-15). "
        f"{BASE}/frameworks/{release.framework}/releases/{release.version}. SHA-256 : {release.content_hash}."
    )


def test_bibtex_escapes_what_bibtex_would_read_as_commands():
    release = starter_release()
    entry = bibtex(Framework, release, BASE)
    assert entry.startswith(f"@misc{{{release.framework}-{release.version},\n")
    assert (
        r"  title = {{Indicateurs de qualité \{du\} mentorat \& 100 \% \$ \#1\_a "
        r"\~{}b \^{}c \textbackslash{}d}}," in entry
    )
    assert "  author = {{Référentiel vivant}}," in entry
    assert "  month = jan," in entry and "  year = {2026}," in entry
    assert f"  note = {{SHA-256: {release.content_hash}}}," in entry
    assert entry.count("{") == entry.count("}")  # every group closed: the title cannot break out


def test_csl_json_is_one_standard_item():
    release = starter_release()
    item = csl_item(Framework, release, BASE)
    assert item["type"] == "standard" and item["version"] == release.version
    assert item["issued"] == {"date-parts": [[2026, 1, 15]]}
    assert item["author"] == [{"literal": "Référentiel vivant"}]


@pytest.fixture
def validator():
    from indicators.routes.pages import RELEASE_SCHEMA

    schema = json.loads(RELEASE_SCHEMA)
    # The schema is itself valid (against the 2020-12 meta-schema), and says which draft it follows.
    assert jsonschema_rs.validator_for(schema).__class__ is jsonschema_rs.Draft202012Validator
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


async def test_release_json_validates_against_the_published_schema(client, validator):
    served = await client.get("/schema/release.json")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/schema+json")
    # A release made by an accepted proposal too: its `proposal` is an object, not null.
    api = Api(client)
    steward = await api.token("steward@example.org", Role.steward)
    group = await api.call(
        "POST", f"/frameworks/{SLUG}/working-groups", steward, json={"name": "GT", "themes": ["REC"]}
    )
    await api.call("PUT", f"/working-groups/{group.json()['id']}/members/{steward['id']}", steward)
    body = {
        "kind": "amend",
        "base_version": "latest",
        "title": "Préciser",
        "rationale": "Plus clair.",
        "indicator": "REC-1",
        "content": {"statement": "Un énoncé « neuf » & précis."},
    }
    proposal = (await api.call("POST", f"/frameworks/{SLUG}/proposals", steward, json=body)).json()["id"]
    await api.call("POST", f"/proposals/{proposal}/voting", steward)
    await api.call("PUT", f"/proposals/{proposal}/vote", steward, json={"choice": "for"})
    decided = await api.call("POST", f"/proposals/{proposal}/decision", steward)
    assert decided.json()["release"]["version"] == "1.1.0"
    for version in ("1.0.0", "1.1.0", "latest"):
        for address in (
            f"/api/v1/frameworks/{SLUG}/releases/{version}",
            f"/frameworks/{SLUG}/releases/{version}.json",
        ):
            document = (await client.get(address)).json()
            errors = [error.message for error in validator.iter_errors(document)]
            assert not errors, (address, errors)
    broken = (await client.get(f"/frameworks/{SLUG}/releases/1.0.0.json")).json()
    broken["themes"][0]["indicators"][0]["evidence_level"] = "hearsay"
    del broken["content_hash"]
    assert not validator.is_valid(broken)


async def test_the_release_page_says_how_to_cite_it_with_its_files(client):
    page = (await client.get(f"/frameworks/{SLUG}/releases/1.0.0")).text
    framework = await get_framework(SLUG)
    assert 'id="cite"' in page and "Comment citer" in page
    assert f"{framework.title}, version 1.0.0" in page.replace("&#39;", "'")
    for suffix, media in (
        (".bib", "text/x-bibtex"),
        (".csl.json", "application/vnd.citationstyles.csl+json"),
    ):
        assert f'href="/frameworks/{SLUG}/releases/1.0.0{suffix}"' in page
        answer = await client.get(f"/frameworks/{SLUG}/releases/1.0.0{suffix}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media)
        assert f'filename="{SLUG}-1.0.0{suffix}"' in answer.headers["content-disposition"]
    items = (await client.get(f"/frameworks/{SLUG}/releases/latest.csl.json")).json()
    assert [item["version"] for item in items] == ["1.0.0"]
    assert "version = {1.0.0}" in (await client.get(f"/frameworks/{SLUG}/releases/1.0.0.bib")).text
    assert (await client.get(f"/frameworks/{SLUG}/releases/1.0.0.csl")).status_code == 404
