"""An event's notifications are found by their event and mode (those wanted at once): an index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T17:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index notification_of_event"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl("CREATE INDEX notification_of_event ON notification (event, mail)")

    manager.add_raw(create_index)
    return manager
