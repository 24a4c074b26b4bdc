"""Notifications: an event is written in the same transaction as what happened (`emit`), so that none
is lost; a background task (`dispatch_events`) later finds who hears of it and writes their
notifications, and the e-mails of those who want them at once (proposals/mail.py), off the request
path. Each person chooses per kind of event: immediate, daily or weekly digest, or never."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from piccolo.querystring import QueryString

from indicators import urls
from proposals.roles import Actor
from proposals.services import signed_in
from proposals.tables import (
    Account,
    Follow,
    Notification,
    NotificationEvent,
    NotificationSetting,
    Proposal,
    WorkingGroup,
    WorkingGroupMember,
    WorkingGroupTheme,
)
from proposals.topics import notifications_topic
from web.changes import announce
from web.failures import InvalidInput
from web.i18n import LANGUAGES
from web.messages import Message, Term

log = logging.getLogger(__name__)

KINDS = (
    "comment",
    "revision",
    "vote_opened",
    "vote_closing",
    "decision",
    "release",
    "last_call",
    "action_overdue",
)
MODES = ("immediate", "daily", "weekly", "never")
# Kinds about a proposal: heard by its followers, those of its indicator and theme, and the members
# of the working group answering for its theme.
ABOUT_A_PROPOSAL = ("comment", "revision", "vote_opened", "decision", "last_call")
EVENTS_PER_BATCH = 50
PER_PAGE = 50


async def emit(
    kind: str,
    *,
    actor: int | None = None,
    proposal: int | None = None,
    data: dict | None = None,
    dedupe: str | None = None,
) -> None:
    """Record an event in the caller's transaction. `data` holds what its text says (title, number,
    version...) and, for events heard by named people only, `recipients` (account ids). An event
    with a `dedupe` key already recorded is not recorded again."""
    event = NotificationEvent(
        kind=kind,
        actor=actor,
        proposal=proposal,
        data=data or {},
        created_at=datetime.now(UTC),
        dedupe=dedupe,
    )
    query = NotificationEvent.insert(event)
    if dedupe is not None:
        query = query.on_conflict(target=NotificationEvent.dedupe, action="DO NOTHING")
    await query


def about(row: dict) -> dict:
    """What an event's text says of its proposal (its row): number and title."""
    return {"number": row["id"], "title": row["title"]}


async def emit_release(slug: str, version: str, published: list[dict]) -> None:
    """A new release, with its changelog: the proposals it published (their rows)."""
    changes = [f"{row['id']} {row['title']}" for row in published]
    await emit("release", data={"framework": slug, "version": version, "changes": changes})


async def told(keys: list[str]) -> set[str]:
    """Those of the dedupe keys already recorded: what a scan need not tell again."""
    if not keys:
        return set()
    rows = await NotificationEvent.select(NotificationEvent.dedupe).where(
        NotificationEvent.dedupe.is_in(keys)
    )
    return {row["dedupe"] for row in rows}


# --- who hears of an event ----------------------------------------------------------------------
# Each is a query of account ids, never a list brought into Python: the database finds an event's
# audience and writes its notifications in one statement (`_notify`).


async def _proposal_audience(proposal_id: int) -> list[QueryString]:
    """Followers of the proposal, of its indicator and of its theme, and members of the working group
    answering for its theme (or of the territorial network keeping its adaptation)."""
    row = (
        await Proposal.select(
            Proposal.framework.slug.as_alias("slug"),
            Proposal.indicator_code,
            Proposal.theme,
            Proposal.theme.code.as_alias("theme_code"),
            Proposal.adaptation.working_group.as_alias("network"),
        )
        .where(Proposal.id == proposal_id)
        .first()
    )
    if row is None:
        return []
    keys = [("proposal", str(proposal_id)), ("theme", f"{row['slug']}/{row['theme_code']}")]
    if row["indicator_code"]:
        keys.append(("indicator", f"{row['slug']}/{row['indicator_code']}"))
    followed = _any((Follow.target == target) & (Follow.key == key) for target, key in keys)
    if row["network"] is not None:
        groups = WorkingGroupMember.working_group == row["network"]
    else:
        groups = WorkingGroupMember.working_group.is_in(
            WorkingGroupTheme.select(WorkingGroupTheme.working_group).where(
                WorkingGroupTheme.theme == row["theme"]
            )
        )
    return [_ids(Follow.account, followed), _ids(WorkingGroupMember.account, groups)]


def _any(conditions: Iterable):
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined | condition
    return combined


def _framework_audience(slug: str) -> list[QueryString]:
    """Whoever follows an indicator or a theme of the framework, and the members of its working
    groups (followers of a proposal hear of its decision, which names the release)."""
    followed = Follow.target.is_in(["indicator", "theme"]) & Follow.key.like(f"{slug}/%")
    groups = WorkingGroupMember.working_group.is_in(
        WorkingGroup.select(WorkingGroup.id).where(WorkingGroup.framework.slug == slug)
    )
    return [_ids(Follow.account, followed), _ids(WorkingGroupMember.account, groups)]


def _ids(column, condition) -> QueryString:
    """The account ids of `column` where `condition` holds, named `id` (for the union's rows)."""
    return column._meta.table.select(column.as_alias("id")).where(condition).querystrings[0]


async def audience(event: dict) -> list[QueryString]:
    """Queries whose union is the accounts that hear of an event (the actor and inactive accounts
    are left out where the notifications are written)."""
    data = event["data"]
    if "recipients" in data:
        named = [int(account) for account in data["recipients"]]
        return [_ids(Account.id, Account.id.is_in(named))] if named else []
    if event["kind"] in ABOUT_A_PROPOSAL and event["proposal"] is not None:
        return await _proposal_audience(event["proposal"])
    if event["kind"] == "release":
        return _framework_audience(data["framework"])
    return []


# --- turning events into notifications ----------------------------------------------------------


async def settings_of(account_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = await NotificationSetting.select(
        NotificationSetting.account, NotificationSetting.kind, NotificationSetting.mode
    ).where(NotificationSetting.account.is_in(ids))
    return {(row["account"], row["kind"]): row["mode"] for row in rows}


async def dispatch_events(queue_mail=None, limit: int = EVENTS_PER_BATCH, pause=None) -> int:
    """Turn the oldest undispatched events into notifications, each event in its own transaction
    with its notifications and e-mails (so a crash leaves it whole or undone, and it is dispatched
    once). `queue_mail(notifications, event)` writes the e-mails of those wanted at once; `pause(s)`,
    awaited after each event with the seconds it took, lets a caller pace the work. Returns how many
    events were dispatched."""
    pending = (
        await NotificationEvent.select(NotificationEvent.id)
        .where(NotificationEvent.dispatched_at.is_null())
        .order_by(NotificationEvent.id)
        .limit(limit)
    )
    done = 0
    for item in pending:
        started = time.monotonic()
        try:
            if not await _dispatch(item["id"], queue_mail):
                continue
        except Exception:  # one event that cannot be told must not hold back the others
            log.exception("notification event %s could not be dispatched: set aside", item["id"])
            await NotificationEvent.update({NotificationEvent.dispatched_at: datetime.now(UTC)}).where(
                NotificationEvent.id == item["id"]
            )
        done += 1
        if pause is not None:
            await pause(time.monotonic() - started)
    return done


async def _dispatch(event_id: int, queue_mail) -> bool:
    """One event, in its own transaction; False when another worker took it."""
    async with NotificationEvent._meta.db.transaction():
        # Claimed by marking it: a second worker's update finds it dispatched and stops.
        claimed = (
            await NotificationEvent.update({NotificationEvent.dispatched_at: datetime.now(UTC)})
            .where((NotificationEvent.id == event_id) & NotificationEvent.dispatched_at.is_null())
            .returning(NotificationEvent.id)
        )
        if not claimed:
            return False
        event = (
            await NotificationEvent.select()
            .where(NotificationEvent.id == event_id)
            .output(load_json=True)
            .first()
        )
        await _notify(event, queue_mail)
    return True


# One statement writes an event's notifications, whatever the number of recipients: the union of
# its audience's queries, active accounts but the actor, each with the mode its recipient chose for
# the kind (immediate when none). The database does the work, not the worker's event loop that
# answers pages meanwhile.
FAN_OUT = (
    "INSERT INTO notification (account, event, kind, created_at, mail) "
    "SELECT a.id, {}, {}, {}, coalesce(s.mode, 'immediate') "
    "FROM ({}) AS r JOIN account AS a ON a.id = r.id "
    "LEFT JOIN notification_setting AS s ON s.account = a.id AND s.kind = {} "
    "WHERE a.is_active AND a.id <> {}"
)


async def _notify(event: dict, queue_mail) -> None:
    queries = await audience(event)
    if not queries:
        return
    union = QueryString(" UNION ".join("{}" for _ in queries), *queries)
    await Notification.raw(
        FAN_OUT,
        event["id"],
        event["kind"],
        datetime.now(UTC),
        union,
        event["kind"],
        event["actor"] if event["actor"] is not None else 0,
    )
    # Only those wanted at once come back to the worker (digests and "never" stay in the database).
    immediate = await Notification.select(Notification.id, Notification.account).where(
        (Notification.event == event["id"]) & (Notification.mail == "immediate")
    )
    if immediate and queue_mail is not None:
        await queue_mail(immediate, event)
    # No announcement per recipient: each page's unread count is kept a few seconds only.


# --- what a notification says -------------------------------------------------------------------


def notification_text(kind: str, data: dict, actor: str | None) -> Message:
    """The sentence of a notification (in the reader's language when said)."""
    values = {"number": str(data.get("number", "")), "title": data.get("title", ""), "actor": actor or ""}
    if kind == "comment":
        return Message("%(actor)s commented on proposal %(number)s: %(title)s", **values)
    if kind == "revision":
        return Message("%(actor)s revised proposal %(number)s: %(title)s", **values)
    if kind == "vote_opened":
        return Message("The vote opened on proposal %(number)s: %(title)s", **values)
    if kind == "vote_closing":
        return Message(
            "The vote on proposal %(number)s closes on %(date)s UTC and you have not voted: %(title)s",
            date=data.get("closes_at", ""),
            **values,
        )
    if kind == "decision":
        status = Term("accepted") if data.get("status") == "accepted" else Term("rejected")
        return Message("Proposal %(number)s was %(status)s: %(title)s", status=status, **values)
    if kind == "last_call":
        return Message(
            "Last call on proposal %(number)s until %(date)s UTC: %(title)s",
            date=data.get("ends_at", ""),
            **values,
        )
    if kind == "release":
        return Message(
            "Release %(version)s is published, with the proposals %(changes)s",
            version=data.get("version", ""),
            changes=tuple(data.get("changes", ())),
        )
    return Message(
        "An action of %(programme)s is overdue: %(title)s", programme=data.get("programme", ""), **values
    )


def notification_path(kind: str, data: dict, proposal: int | None) -> str:
    if kind == "release":
        return urls.release_path(data["framework"], data["version"])
    if proposal is not None:
        return urls.proposal_path(proposal)
    return data.get("path", "/notifications")


# --- reading and marking ------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    created_at: datetime
    read: bool
    path: str
    text: Message


async def list_notifications(
    account_id: int, unread_only: bool = False, limit: int = PER_PAGE
) -> list[NotificationView]:
    """An account's notifications, newest first."""
    where = Notification.account == account_id
    if unread_only:
        where &= Notification.read_at.is_null()
    rows = (
        await Notification.select(
            Notification.id,
            Notification.kind,
            Notification.created_at,
            Notification.read_at,
            Notification.event.data.as_alias("data"),
            Notification.event.proposal.as_alias("proposal"),
            Notification.event.actor.display_name.as_alias("actor"),
        )
        .where(where)
        .order_by(Notification.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    return [
        NotificationView(
            id=row["id"],
            kind=row["kind"],
            created_at=row["created_at"],
            read=row["read_at"] is not None,
            path=notification_path(row["kind"], row["data"], row["proposal"]),
            text=notification_text(row["kind"], row["data"], row["actor"]),
        )
        for row in rows
    ]


async def unread_count(account_id: int) -> int:
    return await Notification.count().where(
        (Notification.account == account_id) & Notification.read_at.is_null()
    )


async def mark_read(actor: Actor | None, ids: object = None, every: bool = False) -> int:
    """Mark some of the actor's notifications read (`ids`), or all of them; returns how many changed.
    Another account's notification is never touched."""
    actor = signed_in(actor, Term("read your notifications"))
    where = (Notification.account == actor.id) & Notification.read_at.is_null()
    if not every:
        if (
            not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
        ):
            raise InvalidInput("Give the notifications to mark as read (ids), or all: true.", "ids")
        where &= Notification.id.is_in(ids)
    changed = (
        await Notification.update({Notification.read_at: datetime.now(UTC)})
        .where(where)
        .returning(Notification.id)
    )
    if changed:
        await announce(notifications_topic(actor.id))
    return len(changed)


# --- settings -----------------------------------------------------------------------------------


async def set_mail_language(actor: Actor | None, language: object) -> None:
    """The language of the e-mails an account is sent."""
    actor = signed_in(actor, Term("change your notification settings"))
    if language not in LANGUAGES:
        raise InvalidInput(
            "Unknown language %(language)r: use one of %(languages)s.",
            "language",
            language=str(language),
            languages=", ".join(LANGUAGES),
        )
    await Account.update({Account.language: language}).where(Account.id == actor.id)


async def mail_language(account_id: int) -> str:
    row = await Account.select(Account.language).where(Account.id == account_id).first()
    return row["language"] if row and row["language"] in LANGUAGES else "fr"


async def notification_settings(account_id: int) -> dict[str, str]:
    found = await settings_of([account_id])
    return {kind: found.get((account_id, kind), "immediate") for kind in KINDS}


async def set_notification_settings(actor: Actor | None, changes: object) -> dict[str, str]:
    """Each kind's mode: immediate, daily, weekly or never."""
    actor = signed_in(actor, Term("change your notification settings"))
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("Give at least one kind of event with its mode.")
    for kind, mode in changes.items():
        if kind not in KINDS:
            raise InvalidInput(
                "Unknown kind of event %(kind)r: use one of %(kinds)s.",
                kind,
                kind=kind,
                kinds=", ".join(KINDS),
            )
        if mode not in MODES:
            raise InvalidInput(
                "Unknown mode %(mode)r for %(kind)s: use one of %(modes)s.",
                kind,
                mode=str(mode),
                kind=kind,
                modes=", ".join(MODES),
            )
    await save_modes(actor.id, changes)
    return await notification_settings(actor.id)


async def save_modes(account_id: int, modes: dict[str, str]) -> None:
    """Each kind's mode for an account (checked by the caller), in one transaction."""
    async with NotificationSetting._meta.db.transaction():
        for kind, mode in modes.items():  # at most eight kinds
            await NotificationSetting.insert(
                NotificationSetting(account=account_id, kind=kind, mode=mode)
            ).on_conflict(
                target=(NotificationSetting.account, NotificationSetting.kind),
                action="DO UPDATE",
                values=[NotificationSetting.mode],
            )
