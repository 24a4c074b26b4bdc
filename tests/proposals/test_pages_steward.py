"""Steward pages: accounts and roles, working groups, the audit log; refused to everyone else."""

from __future__ import annotations

import re

import pytest

from proposals.accounts import get_account
from proposals.roles import Role
from proposals.tables import AuditEntry
from tests.proposals.browsing import person, post, sign_in

pytestmark = pytest.mark.usefixtures("db")

STEWARD_PAGES = ("/steward", "/steward/accounts", "/steward/working-groups", "/steward/audit")


async def test_steward_pages_ask_to_sign_in(client):
    for url in STEWARD_PAGES:
        response = await client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/sign-in?next=%2Fsteward")


@pytest.mark.parametrize("role", [Role.practitioner, Role.member])
async def test_steward_pages_are_refused_to_others(client, role):
    await person("someone@example.org", "Quelqu'un", role)
    target = await person("other@example.org", "Autre")
    await sign_in(client, "someone@example.org")
    for url in STEWARD_PAGES:
        assert (await client.get(url)).status_code == 403, url
    refused = await post(client, f"/steward/accounts/{target.id}/role", {"role": "steward"})
    assert refused.status_code == 403
    assert (await get_account(target.id)).role == Role.practitioner
    assert (await post(client, "/steward/working-groups", {"name": "GT", "themes": "REC"})).status_code == 403
    added = await post(client, "/steward/working-groups/1/members", {"account": str(target.id)})
    assert added.status_code == 403


async def test_a_steward_grants_roles(client):
    await person("steward@example.org", "Stéphanie", Role.steward)
    target = await person("other@example.org", "Autre", organisation="Asso")
    await sign_in(client, "steward@example.org")
    page = await client.get("/steward/accounts")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert f'id="account-{target.id}"' in page.text and "other@example.org" in page.text
    granted = await post(client, f"/steward/accounts/{target.id}/role", {"role": "steward"})
    assert granted.status_code == 303
    assert granted.headers["location"] == f"/steward/accounts?saved={target.id}#account-{target.id}"
    assert (await get_account(target.id)).role == Role.steward
    confirmed = await client.get(granted.headers["location"])
    assert '<div class="confirmation" role="status">' in confirmed.text
    assert "Enregistré : <bdi>Autre</bdi> est animateur·rice, avec un compte actif." in confirmed.text
    assert '<div class="confirmation"' not in (await client.get("/steward/accounts")).text
    unknown = await client.get("/steward/accounts?saved=9999")
    assert unknown.status_code == 200 and '<div class="confirmation"' not in unknown.text
    assert (await client.get("/steward/accounts?saved=x")).status_code == 400
    deactivated = await post(client, f"/steward/accounts/{target.id}/active", {"active": "0"})
    confirmed = await client.get(deactivated.headers["location"])
    assert "Enregistré : <bdi>Autre</bdi> est animateur·rice ; le compte est désactivé." in confirmed.text
    wrong = await post(client, f"/steward/accounts/{target.id}/role", {"role": "king"})
    assert wrong.status_code == 400
    assert f'id="account-{target.id}-error"' in wrong.text and "Rôle &#39;king&#39; inconnu" in wrong.text
    assert (await post(client, "/steward/accounts/9999/role", {"role": "member"})).status_code == 404


async def test_a_steward_sets_up_working_groups(client):
    await person("steward@example.org", "Stéphanie", Role.steward)
    member = await person("membre@example.org", "Mehdi")
    await sign_in(client, "steward@example.org")
    page = (await client.get("/steward/working-groups")).text
    assert 'class="empty"' in page and 'name="themes" value="REC"' in page

    # No theme ticked: a territorial network, which votes on its local adaptation only.
    network = await post(client, "/steward/working-groups", {"name": "Réseau Corse"})
    assert network.status_code == 303
    too_long = await post(client, "/steward/working-groups", {"name": "n" * 201})
    assert too_long.status_code == 400 and 'id="create-error"' in too_long.text
    assert f'value="{"n" * 201}"' in too_long.text
    created = await post(
        client, "/steward/working-groups", {"name": "GT Recrutement", "themes": ["REC", "SEL"]}
    )
    assert created.status_code == 303
    group_id = int(created.headers["location"].rpartition("group-")[2])
    taken = await post(client, "/steward/working-groups", {"name": "GT Bis", "themes": ["REC"]})
    assert taken.status_code == 409 and "relève déjà du groupe de travail" in taken.text

    added = await post(client, f"/steward/working-groups/{group_id}/members", {"account": str(member.id)})
    assert added.status_code == 303
    assert (await get_account(member.id)).role == Role.member
    page = (await client.get("/steward/working-groups")).text
    assert "Mehdi" in page and f'/members/{member.id}/removal"' in page
    unknown = await post(client, f"/steward/working-groups/{group_id}/members", {"account": "nope"})
    assert unknown.status_code == 400 and f'id="group-{group_id}-error"' in unknown.text
    removed = await post(client, f"/steward/working-groups/{group_id}/members/{member.id}/removal")
    assert removed.status_code == 303
    assert (await get_account(member.id)).role == Role.practitioner


async def test_the_audit_log_shows_entries_newest_first_with_short_hashes(client):
    await person("steward@example.org", "Stéphanie", Role.steward)
    for n in range(55):
        await person(f"p{n}@example.org", f"Personne {n}")
    await sign_in(client, "steward@example.org")
    page = await client.get("/steward/audit")
    assert page.status_code == 200
    newest = await AuditEntry.select().order_by(AuditEntry.id, ascending=False).first()
    short = newest["entry_hash"][:12]
    assert f"{short}…</code>" in page.text
    assert newest["entry_hash"] not in re.sub(r'title="[0-9a-f]{64}"', "", page.text)
    entries = re.findall(r'id="entry-(\d+)"', page.text)
    assert entries == sorted(entries, key=int, reverse=True) and len(entries) == 50
    assert 'href="/steward/audit?page=2"' in page.text
    older = (await client.get("/steward/audit?page=2")).text
    assert 'href="/steward/audit?page=1"' in older
    assert "Personne 0" in older and "compte créé" in older
