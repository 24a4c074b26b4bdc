"""Notifications off the request path: each worker, in a loop, turns new events into notifications
(and the e-mails of those who want them at once), writes the digests that are due, and sends the
outbox through SMTP. Several workers share the work safely: an event is claimed by the update that
marks it dispatched, outbox rows by the one that claims them for a while (proposals/mail.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import time
from datetime import UTC, datetime
from functools import partial

from programmes.overdue import announce_overdue_actions
from proposals.mail import (
    MailContext,
    as_email,
    claim_due,
    mark_failed,
    mark_sent,
    queue_digests,
    queue_immediate,
)
from proposals.notifications import dispatch_events
from proposals.voting import remind_closing_votes
from server.settings import Settings, SmtpAddress

logger = logging.getLogger("referentiel.mailer")
BATCH = 50  # with SMTP_TIMEOUT, well within the claim on a batch (proposals/mail.py CLAIM)
SMTP_TIMEOUT = 10.0


def _send_batch(smtp: SmtpAddress, messages: list) -> list[str | None]:
    """Send through one SMTP connection; per message, None once the server accepted it, else the
    error. A connection that fails fails every message (they are tried again later)."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            results: list[str | None] = []
            for message in messages:
                try:
                    client.send_message(message)
                    results.append(None)
                except smtplib.SMTPException as error:
                    results.append(str(error))
            return results
    except (OSError, smtplib.SMTPException) as error:
        return [str(error) or type(error).__name__] * len(messages)


async def deliver(settings: Settings, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the outbox rows that are due; returns how many the server accepted."""
    if settings.smtp is None:
        return 0
    now = now or datetime.now(UTC)
    rows = await claim_due(now, limit)
    if not rows:
        return 0
    messages = [as_email(row, settings.mail_from, settings.base_url, "Référentiel vivant") for row in rows]
    results = await asyncio.to_thread(_send_batch, settings.smtp, messages)
    sent = 0
    for row, error in zip(rows, results, strict=True):
        if error is None:
            await mark_sent(row["id"], datetime.now(UTC))
            sent += 1
        else:
            await mark_failed(row, error, datetime.now(UTC))
    return sent


# Votes closing soon and overdue actions are looked for this often (they are told once each).
SCAN_EVERY = 60.0


async def scan_for_reminders() -> None:
    await remind_closing_votes()
    await announce_overdue_actions()


# The share of a worker's time that turning events into notifications may take: after each event,
# the loop waits long enough for the pages it answers meanwhile to keep the rest. A burst of 200
# events to 1,000 followers (about 12 ms each) is then written within a minute by two workers,
# and pages answered meanwhile keep their pace (bench/fan_out_latency.py).
FAN_OUT_SHARE = 0.05


async def _leave_time_to_pages(seconds: float) -> None:
    await asyncio.sleep(seconds * (1 / FAN_OUT_SHARE - 1))


async def run_once(settings: Settings, context: MailContext) -> None:
    """One turn of the loop: notifications of new events, digests due, the outbox sent."""
    while await dispatch_events(partial(queue_immediate, context), pause=_leave_time_to_pages):
        pass
    await queue_digests(context)
    while await deliver(settings):
        pass


class MailLoop:
    def __init__(self, settings: Settings, context: MailContext) -> None:
        self.settings = settings
        self.context = context
        self.task: asyncio.Task | None = None

    async def _run(self) -> None:
        scanned = 0.0
        while True:
            await asyncio.sleep(self.settings.mail_interval_seconds)
            try:
                if time.monotonic() - scanned >= SCAN_EVERY:
                    await scan_for_reminders()
                    scanned = time.monotonic()
                await run_once(self.settings, self.context)
            except Exception:  # keep going: one failure must not stop notifications
                logger.exception("notifications and e-mail failed")

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
