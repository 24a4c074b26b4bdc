"""E-mail of notifications: written to an outbox in the transaction that makes the notification, then
sent by the mailer (server/mailer.py) through SMTP with retries and backoff. Each message keeps one
Message-ID at every attempt and is marked sent once the server accepted it, so that none is lost
while the server is down and a crash between the two can at worst repeat one message the receiving
side recognises. Every message says in the reader's language what happened, in plain text and HTML,
with a one-click unsubscribe link (RFC 8058)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from proposals.notifications import KINDS, notification_path, notification_text, save_modes
from proposals.tables import Account, MailOutbox, Notification
from web.i18n import LANGUAGES, translated
from web.messages import Message
from web.templating import Templates

DIGEST_HOUR = 6  # UTC: daily digests leave each morning, weekly ones on Monday morning
MAX_BACKOFF = timedelta(hours=1)
# A worker sending a batch holds it this long: longer than a batch can take (server/mailer.py BATCH
# messages, each given SMTP_TIMEOUT).
CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class MailContext:
    """What writing e-mails needs from the composition root."""

    base_url: str
    secret_key: str
    templates: Templates
    site_name: str = "Référentiel vivant"


# --- unsubscribe links --------------------------------------------------------------------------


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unsubscribe_token(secret: str, account_id: int, scope: str) -> str:
    """A link's token: who, from what (a kind of event, or "all"), signed."""
    payload = f"{account_id}.{scope}"
    return f"{payload}.{_signature(secret, payload)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str] | None:
    """(account id, scope) of a genuine token, None for any other text."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 10 or parts[1] not in (*KINDS, "all"):
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(secret, payload)):
        return None
    return int(parts[0]), parts[1]


async def unsubscribe(account_id: int, scope: str) -> None:
    """Stop the e-mails of one kind of event, or of all (the notifications stay in the app)."""
    kinds = KINDS if scope == "all" else (scope,)
    await save_modes(account_id, dict.fromkeys(kinds, "never"))


# --- writing e-mails ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One notification in an e-mail: its sentence (in the reader's language) and its address."""

    text: str
    url: str


def _said(message: Message, language: str) -> str:
    return translated(message, language)


async def _recipients(account_ids: list[int]) -> dict[int, dict]:
    rows = await Account.select(Account.id, Account.email, Account.display_name, Account.language).where(
        Account.id.is_in(account_ids or [0]) & (Account.is_active == True)  # noqa: E712 (SQL)
    )
    return {row["id"]: row for row in rows}


def _language(account: dict) -> str:
    return account["language"] if account["language"] in LANGUAGES else "fr"


def _write(context: MailContext, account: dict, subject: str, lines: list[Line], scope: str) -> MailOutbox:
    """An outbox row for `account`, in its language: `subject` and `lines` are said in it already."""
    language = _language(account)
    token = unsubscribe_token(context.secret_key, account["id"], scope)
    unsubscribe_url = f"{context.base_url}/notifications/unsubscribe/{token}"
    settings_url = f"{context.base_url}/notifications/settings"

    footer = _said(
        Message("You receive this e-mail because of your notification settings: %(url)s", url=settings_url),
        language,
    )
    stop = _said(Message("Stop these e-mails: %(url)s", url=unsubscribe_url), language)
    text = "\n\n".join([*(f"{line.text}\n{line.url}" for line in lines), f"-- \n{footer}\n{stop}"]) + "\n"
    html = context.templates.render(
        "mail/notification.html",
        language,
        subject=subject,
        lines=lines,
        settings_url=settings_url,
        unsubscribe_url=unsubscribe_url,
    )
    now = datetime.now(UTC)
    return MailOutbox(
        account=account["id"],
        to_address=account["email"],
        subject=subject,
        text_body=text,
        html_body=html,
        unsubscribe_url=unsubscribe_url,
        token=secrets.token_hex(16),
        created_at=now,
        next_attempt_at=now,
    )


def _line(context: MailContext, row: dict, language: str) -> Line:
    text = _said(notification_text(row["kind"], row["data"], row["actor"]), language)
    return Line(text, context.base_url + notification_path(row["kind"], row["data"], row["proposal"]))


async def _notification_rows(ids: list[int]) -> list[dict]:
    return (
        await Notification.select(
            Notification.id,
            Notification.account,
            Notification.kind,
            Notification.event.data.as_alias("data"),
            Notification.event.proposal.as_alias("proposal"),
            Notification.event.actor.display_name.as_alias("actor"),
        )
        .where(Notification.id.is_in(ids or [0]))
        .order_by(Notification.id)
        .output(load_json=True)
    )


async def queue_immediate(context: MailContext, notifications: list[dict], _event: dict) -> None:
    """One e-mail per notification wanted at once, in the caller's transaction (the dispatch's)."""
    rows = await _notification_rows([n["id"] for n in notifications])
    accounts = await _recipients(sorted({row["account"] for row in rows}))
    mails = []
    for row in rows:
        account = accounts.get(row["account"])
        if account is None:
            continue
        line = _line(context, row, _language(account))
        mails.append(_write(context, account, line.text, [line], row["kind"]))
    if mails:
        await MailOutbox.insert(*mails)
        await Notification.update({Notification.mailed_at: datetime.now(UTC)}).where(
            Notification.id.is_in([row["id"] for row in rows])
        )


def digest_cutoff(mode: str, now: datetime) -> datetime:
    """The last moment a digest of `mode` was due: today's (or this Monday's) DIGEST_HOUR."""
    today = now.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if mode == "daily":
        return today if now >= today else today - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    return monday if now >= monday else monday - timedelta(days=7)


async def queue_digests(context: MailContext, now: datetime | None = None) -> int:
    """One e-mail per account and period gathering the notifications it wants as a daily or weekly
    digest, made before the period's last due moment and not yet mailed. Returns how many."""
    now = now or datetime.now(UTC)
    queued = 0
    for mode in ("daily", "weekly"):
        cutoff = digest_cutoff(mode, now)
        pending = await Notification.select(Notification.id, Notification.account).where(
            (Notification.mail == mode)
            & Notification.mailed_at.is_null()
            & (Notification.created_at < cutoff)
        )
        if not pending:
            continue
        async with MailOutbox._meta.db.transaction():
            # Claimed by marking them: another worker's digest finds them mailed and leaves them.
            claimed = (
                await Notification.update({Notification.mailed_at: now})
                .where(
                    Notification.id.is_in([row["id"] for row in pending]) & Notification.mailed_at.is_null()
                )
                .returning(Notification.id)
            )
            rows = await _notification_rows([row["id"] for row in claimed])
            accounts = await _recipients(sorted({row["account"] for row in rows}))
            by_account: dict[int, list[dict]] = defaultdict(list)
            for row in rows:
                by_account[row["account"]].append(row)
            mails = []
            for account_id, items in by_account.items():
                account = accounts.get(account_id)
                if account is None:
                    continue
                language = _language(account)
                lines = [_line(context, row, language) for row in items]
                subject = (
                    Message("Your daily digest: %(n)s notifications", n=len(lines))
                    if mode == "daily"
                    else Message("Your weekly digest: %(n)s notifications", n=len(lines))
                )
                mails.append(_write(context, account, _said(subject, language), lines, "all"))
            if mails:
                await MailOutbox.insert(*mails)
            queued += len(mails)
    return queued


# --- sending ------------------------------------------------------------------------------------


def message_id(token: str, base_url: str) -> str:
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"<{token}@{host}>"


def as_email(row: dict, mail_from: str, base_url: str, site_name: str) -> EmailMessage:
    """The outbox row as the message sent: plain text and HTML parts, a stable Message-ID, and the
    List-Unsubscribe headers of RFC 8058 (one click: a POST to the link)."""
    message = EmailMessage()
    message["From"] = formataddr((site_name, mail_from))
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(row["created_at"])
    message["Message-ID"] = message_id(row["token"], base_url)
    message["List-Unsubscribe"] = f"<{row['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["text_body"])
    message.add_alternative(row["html_body"], subtype="html")
    return message


async def claim_due(now: datetime, limit: int) -> list[dict]:
    """The outbox rows due now, claimed for CLAIM by this worker (no other worker sends them)."""
    due = (
        await MailOutbox.select(MailOutbox.id)
        .where(
            MailOutbox.sent_at.is_null()
            & (MailOutbox.next_attempt_at <= now)
            & (MailOutbox.claimed_until.is_null() | (MailOutbox.claimed_until < now))
        )
        .order_by(MailOutbox.id)
        .limit(limit)
    )
    if not due:
        return []
    claimed = (
        await MailOutbox.update({MailOutbox.claimed_until: now + CLAIM})
        .where(
            MailOutbox.id.is_in([row["id"] for row in due])
            & (MailOutbox.claimed_until.is_null() | (MailOutbox.claimed_until < now))
            & MailOutbox.sent_at.is_null()
        )
        .returning(MailOutbox.id)
    )
    ids = [row["id"] for row in claimed]
    return await MailOutbox.select().where(MailOutbox.id.is_in(ids or [0])).order_by(MailOutbox.id)


async def mark_sent(outbox_id: int, now: datetime) -> None:
    await MailOutbox.update({MailOutbox.sent_at: now, MailOutbox.claimed_until: None}).where(
        MailOutbox.id == outbox_id
    )


async def mark_failed(row: dict, error: str, now: datetime) -> None:
    """Try again later: 2, 4, 8... seconds, at most MAX_BACKOFF."""
    attempts = row["attempts"] + 1
    delay = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
    await MailOutbox.update(
        {
            MailOutbox.attempts: attempts,
            MailOutbox.next_attempt_at: now + delay,
            MailOutbox.claimed_until: None,
            MailOutbox.last_error: error[:500],
        }
    ).where(MailOutbox.id == row["id"])


async def outbox_state() -> dict[str, int]:
    """For the steward page: messages waiting, and those that failed at least once."""
    waiting = await MailOutbox.count().where(MailOutbox.sent_at.is_null())
    failing = await MailOutbox.count().where(MailOutbox.sent_at.is_null() & (MailOutbox.attempts > 0))
    return {"waiting": waiting, "failing": failing}
