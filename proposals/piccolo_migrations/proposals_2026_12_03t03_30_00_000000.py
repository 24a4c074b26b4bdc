"""The list of proposals is read newest first, a page at a time, by cursor: an index on (created_at,
id) after each filter it takes, so that a page is a seek whatever the number of proposals."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of the proposals list"

INDEXES = {
    "proposal_recent": "created_at, id",
    "proposal_framework_recent": "framework, created_at, id",
    "proposal_framework_status_recent": "framework, status, created_at, id",
    "proposal_status_recent": "status, created_at, id",
    "proposal_theme_recent": "theme, created_at, id",
    "proposal_adaptation_recent": "adaptation, created_at, id",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def create_indexes() -> None:
        for name, columns in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX {name} ON proposal ({columns})")

    manager.add_raw(create_indexes)
    return manager
