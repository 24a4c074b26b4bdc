"""A stream of the audit log cannot fork: its entries' numbers are unique (proposals/tables.py,
UNIQUE_INDEXES). Its own migration: a migration runs its raw steps before its table changes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T03:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index audit_log_stream_seq"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl("CREATE UNIQUE INDEX audit_log_stream_seq ON audit_log (stream, seq)")

    manager.add_raw(create_index)
    return manager
