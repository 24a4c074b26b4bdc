"""The composite unique indexes of programmes/tables.py (UNIQUE_INDEXES), which Piccolo cannot declare,
and the triggers that make the database itself refuse to change a submitted assessment or its answers.

Its own migration because a migration runs its raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T12:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes of programme_member, assessment_answer, field_evidence; frozen submissions"

# Written out rather than read from tables.py: a migration says what the schema was when it ran.
INDEXES = (
    "CREATE UNIQUE INDEX programme_member_once ON programme_member (programme, account)",
    "CREATE UNIQUE INDEX assessment_answer_once ON assessment_answer (assessment, indicator_code)",
    "CREATE UNIQUE INDEX field_evidence_once ON field_evidence (release, territory_kind, indicator_code)",
)


FROZEN = "a submitted assessment is frozen"
# Each table, and when one of its rows belongs to a submitted assessment.
FROZEN_WHEN = (
    ("assessment", "OLD.status = 'submitted'"),
    ("assessment_answer", "(SELECT status FROM assessment WHERE id = OLD.assessment) = 'submitted'"),
)
TRIGGERS = {
    "postgres": tuple(
        statement
        for table, condition in FROZEN_WHEN
        for statement in (
            f"CREATE FUNCTION {table}_refuse_when_submitted() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {condition} THEN RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'restrict_violation'; "
            "END IF; RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END $$",
            f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse_when_submitted()",
        )
    ),
    "sqlite": tuple(
        f"CREATE TRIGGER {table}_frozen_{action} BEFORE {action} ON {table} WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END"
        for table, condition in FROZEN_WHEN
        for action in ("UPDATE", "DELETE")
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="programmes", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for sql in (*INDEXES, *TRIGGERS[engine.engine_type]):
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
