"""Notifications by hand (never from the tests): the cost of an event on the request path, the
fan-out off it, and how fast the outbox drains to a local SMTP server (aiosmtpd).

    .venv/bin/python bench/notifications.py [--followers 1000] [--events 200] [--mails 1000]

Runs in-process on a new SQLite file (or REFERENTIEL_DATABASE_URL if set), prints JSON figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FOLDER = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
os.environ.setdefault("REFERENTIEL_DATABASE_URL", f"sqlite:///{FOLDER / 'bench.db'}")
os.environ.setdefault("REFERENTIEL_SECRET_KEY", "bench-secret-key")
os.environ.setdefault("REFERENTIEL_PASSWORD_HASHING", "fast")


class Inbox:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def main(followers: int, events: int, mails: int) -> dict:
    from aiosmtpd.controller import Controller

    from indicators import urls
    from proposals.mail import MailContext, queue_immediate
    from proposals.notifications import dispatch_events, emit
    from proposals.proposing import create_proposal
    from proposals.roles import Actor, Role
    from proposals.tables import Account, Follow, MailOutbox, Notification, NotificationSetting
    from server.bootstrap import bootstrap
    from server.mailer import deliver
    from server.settings import Settings, SmtpAddress
    from web.templating import Templates

    settings = Settings.from_env()
    await bootstrap(settings)
    now = datetime.now(UTC)
    await Account.insert(
        *(
            Account(email=f"f{n}@example.org", password_hash="x", display_name=f"F{n}", created_at=now)
            for n in range(followers + 1)
        )
    )
    ids = [row["id"] for row in await Account.select(Account.id).order_by(Account.id)]
    author = Actor(ids[0], Role.practitioner, "F0")
    proposal = await create_proposal(
        author, "qualite-mentorat", "retire", "latest", "Retirer", "Parce que.", indicator="REC-4"
    )
    await Follow.insert(
        *(Follow(account=a, target="theme", key="qualite-mentorat/REC", created_at=now) for a in ids[1:])
    )
    # The fan-out is measured without e-mails (each follower takes a daily digest of comments).
    await NotificationSetting.insert(
        *(NotificationSetting(account=a, kind="comment", mode="daily") for a in ids[1:])
    )

    started = time.perf_counter()
    for n in range(events):
        async with Account._meta.db.transaction():  # as a request's own transaction writes it
            await emit(
                "comment", actor=ids[0], proposal=proposal.id, data={"number": proposal.id, "title": f"E{n}"}
            )
    emit_ms = (time.perf_counter() - started) * 1000 / max(events, 1)

    context = MailContext(
        "https://bench.example.org",
        settings.secret_key,
        Templates({"urls": urls, "default_framework": "qualite-mentorat"}),
    )
    started = time.perf_counter()
    while await dispatch_events(partial(queue_immediate, context)):
        pass
    fan_out_s = time.perf_counter() - started
    notifications = await Notification.count()
    if not mails:
        return {"followers": followers}

    # The outbox: `mails` messages, drained to a local SMTP server.
    await MailOutbox.insert(
        *(
            MailOutbox(
                account=ids[1 + n % followers],
                to_address=f"f{n}@example.org",
                subject=f"Message {n}",
                text_body="Bonjour.\n",
                html_body="<p>Bonjour.</p>",
                unsubscribe_url="https://bench.example.org/u",
                token=f"bench{n:08d}",
                created_at=now,
                next_attempt_at=now,
            )
            for n in range(mails)
        )
    )
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_settings = Settings(
            database_url=settings.database_url,
            secret_key=settings.secret_key,
            base_url="https://bench.example.org",
            smtp=SmtpAddress("127.0.0.1", port),
        )
        started = time.perf_counter()
        while await deliver(smtp_settings):
            pass
        drain_s = time.perf_counter() - started
    finally:
        controller.stop()
    return {
        "followers": followers,
        "events": events,
        "emit_ms_per_event_on_the_request_path": round(emit_ms, 2),
        "fan_out_seconds": round(fan_out_s, 2),
        "notifications_written": notifications,
        "notifications_per_second": round(notifications / fan_out_s),
        "mails": mails,
        "mails_received": inbox.count,
        "outbox_drain_messages_per_second": round(inbox.count / drain_s),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--mails", type=int, default=1000)
    arguments = parser.parse_args()
    from server import use_piccolo_conf

    use_piccolo_conf()
    print(json.dumps(asyncio.run(main(arguments.followers, arguments.events, arguments.mails)), indent=2))
