"""The composite unique indexes of programmes/tables.py (UNIQUE_INDEXES), which Piccolo cannot declare.

Its own migration because a migration runs its raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T12:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "programme_member, assessment_answer, field_evidence: unique indexes"

# Written out rather than read from tables.py: a migration says what the schema was when it ran.
INDEXES = (
    "CREATE UNIQUE INDEX programme_member_once ON programme_member (programme, account)",
    "CREATE UNIQUE INDEX assessment_answer_once ON assessment_answer (assessment, indicator_code)",
    "CREATE UNIQUE INDEX field_evidence_once ON field_evidence (release, territory_kind, indicator_code)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="programmes", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
