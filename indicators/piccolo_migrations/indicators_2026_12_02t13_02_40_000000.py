"""The composite unique indexes of the adaptations' tables, and the triggers that make the database
itself refuse to change a published version of an adaptation or its changes (as for releases).

Its own migration because a migration runs its raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from indicators.sql_schema import refuse_changes

ID = "2026-12-02T13:02:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "adaptation_version, adaptation_change: unique indexes; published versions immutable"

INDEXES = (
    "CREATE UNIQUE INDEX adaptation_version_number ON adaptation_version (adaptation, number)",
    "CREATE UNIQUE INDEX adaptation_change_once ON adaptation_change (version, indicator_code)",
)
PUBLISHED = {
    "adaptation_version": "a published version of an adaptation is immutable",
    "adaptation_change": "the changes of a published version of an adaptation are immutable",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="indicators", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        triggers = [
            sql
            for table, message in PUBLISHED.items()
            for sql in refuse_changes(table, message, engine.engine_type)
        ]
        for sql in (*INDEXES, *triggers):
            await engine.run_ddl(sql)

    manager.add_raw(create)
    return manager
