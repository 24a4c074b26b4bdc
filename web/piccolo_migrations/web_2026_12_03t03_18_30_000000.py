"""The unique index of web/tables.py (UNIQUE_INDEXES), which Piccolo cannot declare: one row per
owner and key. Its own migration: a migration runs its raw steps before its table changes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T03:18:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index of idempotent_request"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="web", description=DESCRIPTION)

    async def create_index() -> None:
        # Written out rather than read from tables.py: a migration says what the schema was when it ran.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX idempotent_request_key ON idempotent_request (owner, key)"
        )

    manager.add_raw(create_index)
    return manager
