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
RAISE_PG = f"RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'restrict_violation'"
RAISE_SQLITE = f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END"


def submitted(row: str) -> str:
    """SQL: the answer `row` (OLD or NEW) belongs to a submitted assessment."""
    # `row` is the constant OLD or NEW of the triggers below, never input.
    return f"(SELECT status FROM assessment WHERE id = {row}.assessment) = 'submitted'"  # nosec B608


# A submitted assessment is never changed nor deleted; no answer of one is added, changed, moved or deleted.
TRIGGERS = {
    "postgres": (
        "CREATE FUNCTION assessment_refuse_when_submitted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF OLD.status = 'submitted' THEN {RAISE_PG}; END IF; "
        "RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END $$",
        "CREATE TRIGGER assessment_frozen BEFORE UPDATE OR DELETE ON assessment "
        "FOR EACH ROW EXECUTE FUNCTION assessment_refuse_when_submitted()",
        "CREATE FUNCTION assessment_answer_refuse_when_submitted() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN IF {submitted('OLD')} THEN {RAISE_PG}; END IF; END IF; "
        f"IF TG_OP <> 'DELETE' THEN IF {submitted('NEW')} THEN {RAISE_PG}; END IF; END IF; "
        "RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END $$",
        "CREATE TRIGGER assessment_answer_frozen BEFORE INSERT OR UPDATE OR DELETE ON assessment_answer "
        "FOR EACH ROW EXECUTE FUNCTION assessment_answer_refuse_when_submitted()",
    ),
    "sqlite": tuple(
        f"CREATE TRIGGER {table}_frozen_{action} BEFORE {action} ON {table} WHEN {condition} {RAISE_SQLITE}"
        for table, action, condition in (
            ("assessment", "UPDATE", "OLD.status = 'submitted'"),
            ("assessment", "DELETE", "OLD.status = 'submitted'"),
            ("assessment_answer", "INSERT", submitted("NEW")),
            ("assessment_answer", "UPDATE", f"{submitted('OLD')} OR {submitted('NEW')}"),
            ("assessment_answer", "DELETE", submitted("OLD")),
        )
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
