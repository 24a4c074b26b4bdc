"""Following and notifications (both engines): who hears of what, reading and marking, settings,
and e-mail through a real SMTP server in-process (aiosmtpd), digests, one-click unsubscribe, and
messages kept in the outbox while the server is down, each delivered exactly once when it is back."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import socket
from datetime import UTC, datetime, timedelta
from email.message import Message as EmailMessage
from functools import partial

import pytest
from aiosmtpd.controller import Controller

from indicators import urls
from proposals.accounts import set_active
from proposals.discussion import add_comment
from proposals.following import follow, follows_of, target_key, unfollow
from proposals.mail import (
    MailContext,
    queue_digests,
    queue_immediate,
    read_unsubscribe_token,
    unsubscribe,
    unsubscribe_token,
)
from proposals.notifications import (
    dispatch_events,
    emit,
    list_notifications,
    mail_language,
    mark_read,
    notification_settings,
    set_mail_language,
    set_notification_settings,
    unread_count,
)
from proposals.roles import Role
from proposals.tables import Account, MailOutbox, Notification, NotificationEvent
from proposals.voting import cast_vote, decide_proposal, open_vote, remind_closing_votes
from server.app import create_app
from server.mailer import deliver
from server.settings import Settings, SmtpAddress
from tests.api_client import Api
from tests.conftest import app_client
from tests.constants import SLUG
from tests.proposals.browsing import post, sign_in, unescaped
from tests.proposals.factories import add_proposal, make_account, make_group, make_steward, voted
from web.failures import InvalidInput, NotFound
from web.templating import Templates

pytestmark = pytest.mark.usefixtures("db")
BASE = "https://referentiel.example.org"
SECRET = "s" * 32


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server on a free port: (servers, inbox, port). A test that stops it appends the
    one it starts again to `servers`; the last one is stopped at the end."""
    inbox, port = Inbox(), free_port()
    servers = [Controller(inbox, hostname="127.0.0.1", port=port)]
    servers[0].start()
    yield servers, inbox, port
    servers[-1].stop()


def context() -> MailContext:
    return MailContext(BASE, SECRET, Templates({"urls": urls, "default_framework": SLUG}))


def settings(port: int) -> Settings:
    return Settings(
        database_url="sqlite:///unused", secret_key=SECRET, base_url=BASE, smtp=SmtpAddress("127.0.0.1", port)
    )


async def dispatch() -> None:
    while await dispatch_events(partial(queue_immediate, context())):
        pass


async def test_authors_commenters_followers_and_the_group_hear_of_a_comment():
    members = await make_group()
    author = await make_account("Awa")
    follower = await make_account("Fanny")
    stranger = await make_account("Sami")
    proposal = await add_proposal(author)
    await follow(follower, "theme", await target_key("theme", framework=SLUG, code="REC"))
    await add_comment(stranger, proposal.id, "Une remarque.")
    await dispatch()
    heard = {row["account"] for row in await Notification.select(Notification.account)}
    assert heard == {author.id, follower.id, *(m.id for m in members)}  # not the commenter
    assert ("proposal", str(proposal.id)) in await follows_of(stranger.id)  # commenters follow
    [note] = await list_notifications(author.id)
    assert (note.kind, note.read, note.path) == ("comment", False, f"/proposals/{proposal.id}")
    assert note.text.say() == f"Sami commented on proposal {proposal.id}: {proposal.title}"
    assert await unread_count(author.id) == 1
    assert await mark_read(author, every=True) == 1
    assert await unread_count(author.id) == 0
    assert await mark_read(stranger, [note.id]) == 0  # another account's notification is not touched
    await unfollow(follower, "theme", f"{SLUG}/REC")
    assert await follows_of(follower.id) == []


async def test_deactivated_accounts_and_the_actor_hear_nothing():
    author = await make_account("Awa")
    gone = await make_account("Gaston")
    named = await make_account("Nadia")
    proposal = await add_proposal(author)
    await follow(gone, "proposal", str(proposal.id))
    await set_active(await make_steward(), gone.id, False)
    await add_comment(author, proposal.id, "Je précise.")  # the author is the actor: not told
    await emit("vote_closing", proposal=proposal.id, data={"recipients": [gone.id, named.id, author.id]})
    await dispatch()
    heard = [
        (row["account"], row["kind"])
        for row in await Notification.select(Notification.account, Notification.kind)
    ]
    assert sorted(heard) == sorted([(author.id, "vote_closing"), (named.id, "vote_closing")])


async def test_what_can_be_followed_is_checked():
    actor = await make_account()
    with pytest.raises(InvalidInput, match="Unknown target"):
        await target_key("programme", 1)
    with pytest.raises(NotFound):
        await target_key("proposal", 999)
    with pytest.raises(NotFound):
        await target_key("indicator", framework=SLUG, code="NOPE-1")
    with pytest.raises(NotFound):
        await target_key("theme", framework=SLUG, code="NOPE")
    assert await target_key("indicator", framework=SLUG, code="REC-1") == f"{SLUG}/REC-1"
    assert actor


async def test_settings_per_kind_and_signed_unsubscribe_links():
    actor = await make_account()
    assert set((await notification_settings(actor.id)).values()) == {"immediate"}
    changed = await set_notification_settings(actor, {"comment": "daily", "release": "never"})
    assert (changed["comment"], changed["release"], changed["decision"]) == ("daily", "never", "immediate")
    with pytest.raises(InvalidInput, match="Unknown mode"):
        await set_notification_settings(actor, {"comment": "hourly"})
    with pytest.raises(InvalidInput, match="Unknown kind"):
        await set_notification_settings(actor, {"gossip": "never"})
    token = unsubscribe_token(SECRET, actor.id, "decision")
    assert read_unsubscribe_token(SECRET, token) == (actor.id, "decision")
    assert read_unsubscribe_token("other", token) is None
    assert read_unsubscribe_token(SECRET, token.replace(f"{actor.id}.", f"{actor.id + 1}.", 1)) is None
    assert read_unsubscribe_token(SECRET, "1.all") is None
    await unsubscribe(actor.id, "all")
    assert set((await notification_settings(actor.id)).values()) == {"never"}


async def test_an_immediate_e_mail_through_a_real_smtp_server(smtp):
    _servers, inbox, port = smtp
    await make_group()
    steward = await make_steward()
    author = await make_account("Awa")
    proposal = await add_proposal(author)
    await open_vote(steward, proposal.id)
    await dispatch()
    assert await deliver(settings(port)) >= 1
    address = (await Account.select(Account.email).where(Account.id == author.id).first())["email"]
    message = next(m for m in inbox.messages if m["To"] == address)
    # (A subject too long for the header's first line is folded before it: strip the fold.)
    assert (
        message["Subject"].strip()
        == f"Le vote est ouvert sur la proposition {proposal.id} : {proposal.title}"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith(f"<{BASE}/notifications/unsubscribe/")
    assert message["Message-ID"].endswith("@referentiel.example.org>")
    kinds = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in kinds and "text/html" in kinds
    assert await MailOutbox.count().where(MailOutbox.sent_at.is_null()) == 0


async def test_digests_gather_a_day_of_notifications_in_one_message(smtp):
    _servers, inbox, port = smtp
    author = await make_account("Awa")
    await set_notification_settings(author, {"comment": "daily"})
    proposal = await add_proposal(author)
    for n in range(3):
        await add_comment(await make_account(f"Voix {n}"), proposal.id, f"Avis {n}.")
    await dispatch()
    mine = MailOutbox.account == author.id
    assert await MailOutbox.count().where(mine) == 0  # nothing at once for the author
    assert await queue_digests(context(), datetime.now(UTC)) == 0  # not before the next morning
    tomorrow = datetime.now(UTC) + timedelta(days=1, hours=7)
    assert await queue_digests(context(), tomorrow) == 1
    assert await queue_digests(context(), tomorrow) == 0  # once
    await deliver(settings(port), now=tomorrow)
    address = (await Account.select(Account.email).where(Account.id == author.id).first())["email"]
    [digest] = [m for m in inbox.messages if m["To"] == address]
    assert digest["Subject"] == "Votre résumé du jour : 3 notifications"
    text = next(p for p in digest.walk() if p.get_content_type() == "text/plain").get_content()
    assert text.count(f"/proposals/{proposal.id}") == 3


async def test_mail_waits_while_the_server_is_down_and_arrives_once(smtp):
    servers, inbox, port = smtp
    author = await make_account("Awa")
    proposal = await add_proposal(author)
    for n in range(5):
        await add_comment(await make_account(f"Voix {n}"), proposal.id, f"Avis {n}.")
    await dispatch()
    queued = await MailOutbox.count()
    assert queued >= 5  # the author's five, and earlier commenters hear of later comments
    servers[0].stop()  # the SMTP server goes down mid-run
    now = datetime.now(UTC)
    assert await deliver(settings(port), now=now) == 0
    failed = await MailOutbox.select(MailOutbox.attempts, MailOutbox.next_attempt_at, MailOutbox.last_error)
    assert all(row["attempts"] == 1 and row["next_attempt_at"] > now and row["last_error"] for row in failed)
    assert await deliver(settings(port), now=now) == 0  # not before its backoff
    servers.append(Controller(inbox, hostname="127.0.0.1", port=port))  # back up, on the same port
    servers[-1].start()
    assert await deliver(settings(port), now=now + timedelta(seconds=3)) == queued
    assert await deliver(settings(port), now=now + timedelta(minutes=10)) == 0
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == queued and len(set(ids)) == queued  # every message, each once


async def test_notifications_through_the_api_and_the_pages(client):
    api = Api(client)
    author = await api.token("author@example.org", name="Awa")
    reader = await api.token("reader@example.org", name="Rémi")
    body = {
        "kind": "amend",
        "base_version": "latest",
        "title": "Préciser",
        "rationale": "Plus clair.",
        "indicator": "REC-1",
        "content": {"statement": "Un énoncé neuf."},
    }
    pid = (await api.call("POST", f"/frameworks/{SLUG}/proposals", author, json=body)).json()["id"]
    followed = await api.call("PUT", "/follows", reader, json={"target": "proposal", "id": pid})
    assert followed.status_code == 200 and followed.json()["following"] is True
    again = await api.call("PUT", "/follows", reader, json={"target": "proposal", "id": pid})
    assert again.status_code == 200  # idempotent
    assert (
        await api.call("PUT", "/follows", reader, json={"target": "proposal", "id": 999})
    ).status_code == 404
    bad = await api.call("PUT", "/follows", reader, json={"target": "indicator", "framework": SLUG})
    assert bad.status_code == 400
    await api.call("POST", f"/proposals/{pid}/comments", author, json={"body": "Je précise."})
    await dispatch()
    listed = (await api.call("GET", "/notifications?unread=1", reader)).json()
    assert [(n["kind"], n["read"]) for n in listed] == [("comment", False)]
    assert listed[0]["html_url"].endswith(f"/proposals/{pid}")
    assert listed[0]["text"].startswith("Awa a commenté la proposition")
    assert (await api.call("GET", "/notifications?unread=2", reader)).status_code == 400
    marked = await api.call("POST", "/notifications/read", reader, json={"ids": [listed[0]["id"]]})
    assert marked.json() == {"marked": 1}
    assert (await api.call("GET", "/notifications?unread=1", reader)).json() == []
    assert (await api.call("POST", "/notifications/read", reader, json={})).status_code == 400
    modes = await api.call("PUT", "/accounts/me/notification-settings", reader, json={"comment": "weekly"})
    assert modes.status_code == 200 and modes.json()["comment"] == "weekly"
    assert (
        await api.call("PUT", "/accounts/me/notification-settings", reader, json={"comment": "hourly"})
    ).status_code == 400
    unfollowed = await api.call("DELETE", "/follows", reader, json={"target": "proposal", "id": pid})
    assert unfollowed.json()["following"] is False
    # The pages: the header's unread count, the inbox, marking all read, the settings form.
    await api.call("POST", f"/proposals/{pid}/comments", reader, json={"body": "Merci."})
    await dispatch()
    await sign_in(client, "author@example.org")
    page = unescaped(await client.get(f"/proposals/{pid}"))
    assert '<a href="/notifications">Notifications <span class="badge unread">1</span></a>' in page
    # Published pages are shared by signed-in viewers, each seeing their own count; the ETag
    # changes with it, so a page revalidated after reading is sent again.
    release = await client.get(f"/frameworks/{SLUG}/releases/1.0.0")
    assert '<a href="/notifications">Notifications <span class="badge unread">1</span></a>' in release.text
    etag = release.headers["etag"]
    assert (
        await client.get(f"/frameworks/{SLUG}/releases/1.0.0", headers={"If-None-Match": etag})
    ).status_code == 304
    inbox = unescaped(await client.get("/notifications"))
    assert "Rémi a commenté la proposition" in inbox
    assert (await post(client, "/notifications/read", {"all": "1"})).status_code == 303
    page = unescaped(await client.get(f"/proposals/{pid}"))
    assert '<a href="/notifications">Notifications</a>' in page
    release = await client.get(f"/frameworks/{SLUG}/releases/1.0.0", headers={"If-None-Match": etag})
    assert release.status_code == 200 and release.headers["etag"] != etag
    assert '<a href="/notifications">Notifications</a>' in release.text and "unread-slot" not in release.text
    assert (await post(client, "/notifications/settings", {"decision": "never"})).status_code == 303
    settings_now = (await api.call("GET", "/accounts/me/notification-settings", author)).json()
    assert settings_now["decision"] == "never"
    # One click, no session, no CSRF token: the signed link is enough.
    client.cookies.clear()
    author_id = author["id"]
    token = unsubscribe_token(Settings.from_env().secret_key, author_id, "all")
    assert (await client.get(f"/notifications/unsubscribe/{token}")).status_code == 200
    done = await client.post(f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert set((await notification_settings(author_id)).values()) == {"never"}
    forged = await client.post(f"/notifications/unsubscribe/{author_id}.all.forged", data={})
    assert forged.status_code == 404


async def test_e_mails_are_in_the_language_the_person_chose(smtp):
    _servers, inbox, port = smtp
    author = await make_account("Awa")
    await set_mail_language(author, "en")
    assert await mail_language(author.id) == "en"
    with pytest.raises(InvalidInput, match="Unknown language"):
        await set_mail_language(author, "de")
    proposal = await add_proposal(author)
    await add_comment(await make_account("Sami"), proposal.id, "Une remarque.")
    await dispatch()
    await deliver(settings(port))
    [message] = inbox.messages
    assert message["Subject"].strip() == f"Sami commented on proposal {proposal.id}: {proposal.title}"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Stop these e-mails:" in text


async def test_the_steward_page_says_when_mail_waits_for_an_smtp_server(client):
    api = Api(client)
    await api.token("steward@example.org", Role.steward, "Sam")
    await sign_in(client, "steward@example.org")
    page = unescaped(await client.get("/steward"))
    assert "Aucun serveur SMTP n'est réglé (REFERENTIEL_SMTP_URL)" in page


async def test_the_mail_loop_of_a_running_app_sends_what_happens(smtp):
    _servers, inbox, port = smtp
    running = dataclasses.replace(
        Settings.from_env(), smtp=SmtpAddress("127.0.0.1", port), mail_interval_seconds=0.05
    )
    async with app_client(create_app(running)) as client:
        api = Api(client)
        author = await api.token("author@example.org", name="Awa")
        other = await api.token("other@example.org", name="Sami")
        body = {
            "kind": "retire",
            "base_version": "latest",
            "title": "Retirer",
            "rationale": "Parce que.",
            "indicator": "REC-4",
        }
        pid = (await api.call("POST", f"/frameworks/{SLUG}/proposals", author, json=body)).json()["id"]
        await api.call("POST", f"/proposals/{pid}/comments", other, json={"body": "Pourquoi ?"})
        for _ in range(100):
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
    [message] = inbox.messages
    assert message["To"] == "author@example.org"
    assert message["Subject"].strip() == f"Sami a commenté la proposition {pid} : Retirer"


async def test_voters_who_have_not_voted_hear_of_a_vote_closing_within_48_hours():
    members = await make_group()
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    opened = await open_vote(steward, proposal.id)
    await cast_vote(members[0], proposal.id, "for")
    assert await remind_closing_votes() == 0  # seven days left
    soon = opened.closes_at - timedelta(hours=47)
    assert await remind_closing_votes(soon) == 1
    assert await remind_closing_votes(soon + timedelta(hours=1)) == 1  # looked at again, told once
    await dispatch()
    told = {
        row["account"]
        for row in await Notification.select(Notification.account).where(Notification.kind == "vote_closing")
    }
    assert told == {members[1].id, members[2].id}


async def test_a_release_is_told_with_its_changelog():
    members = await make_group()
    steward = await make_steward()
    proposal = await add_proposal(await make_account(), title="Des objectifs")
    after = await voted(proposal, members, ["for"] * 3, steward)
    await decide_proposal(None, proposal.id, now=after)
    await dispatch()
    notes = [n for n in await list_notifications(members[0].id) if n.kind == "release"]
    assert [n.text.say() for n in notes] == [
        f"Release 1.1.0 is published, with the proposals {proposal.id} Des objectifs"
    ]
    assert notes[0].path == f"/frameworks/{SLUG}/releases/1.1.0"


async def test_an_event_that_cannot_be_told_is_set_aside_and_the_others_go_on():
    author = await make_account("Awa")
    proposal = await add_proposal(author)
    await emit("release", data={"version": "9.9.9"})  # no framework: it cannot be told
    await add_comment(await make_account("Sami"), proposal.id, "Une remarque.")
    await dispatch()
    assert [n.kind for n in await list_notifications(author.id)] == ["comment"]
    assert await NotificationEvent.count().where(NotificationEvent.dispatched_at.is_null()) == 0


async def test_odd_digits_in_the_notification_forms_are_refused(client):
    api = Api(client)
    await api.token("reader@example.org", name="Rémi")
    await sign_in(client, "reader@example.org")
    assert (await post(client, "/notifications/read", {"id": "²"})).status_code == 400
    followed = await post(client, "/notifications/follows", {"target": "proposal", "id": "²"})
    assert followed.status_code == 400
