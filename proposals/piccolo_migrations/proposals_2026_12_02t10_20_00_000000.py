"""The API tokens made before tokens expired get an expiry: 90 days after they were made.

Raw SQL: a data update, which Piccolo's migration operations do not express. It is its own
migration because a migration runs its raw steps before its column changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "api_token: expires_at of the tokens made before, 90 days after they were made"

FILL = {
    "postgres": "UPDATE api_token SET expires_at = created_at + interval '90 days' WHERE expires_at IS NULL",
    # Timestamps are stored as text such as "2026-12-02 10:18:49.796527+00:00" (UTC).
    "sqlite": (
        "UPDATE api_token SET expires_at = strftime('%Y-%m-%d %H:%M:%f', created_at, '+90 days') || '+00:00' "
        "WHERE expires_at IS NULL"
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def fill() -> None:
        engine = engine_finder()
        await engine.run_ddl(FILL[engine.engine_type])

    manager.add_raw(fill)
    return manager
