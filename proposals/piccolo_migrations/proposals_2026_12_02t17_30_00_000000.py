"""The composite indexes of following and notifications (proposals/tables.py, UNIQUE_INDEXES and
INDEXES), which Piccolo cannot declare. Its own migration: a migration runs its raw steps before its
table changes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of follow, notification, notification_setting, notification_event, mail_outbox"

# Written out rather than read from tables.py: a migration says what the schema was when it ran.
INDEXES = (
    "CREATE UNIQUE INDEX follow_once ON follow (account, target, key)",
    "CREATE UNIQUE INDEX notification_setting_once ON notification_setting (account, kind)",
    "CREATE INDEX follow_target ON follow (target, key)",
    "CREATE INDEX notification_inbox ON notification (account, id)",
    "CREATE INDEX notification_event_pending ON notification_event (dispatched_at, id)",
    "CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
