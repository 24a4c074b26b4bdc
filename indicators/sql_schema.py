"""SQL that migrations write for both engines: one text for the tables, triggers per engine."""

from __future__ import annotations

from piccolo.engine import engine_finder

PRIMARY_KEY = {"postgres": "SERIAL PRIMARY KEY", "sqlite": "INTEGER PRIMARY KEY"}

# Created once (by the first migration); each trigger passes its own message.
POSTGRES_REFUSE_FUNCTION = """
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$
"""


def table_statements(sql: str, engine_type: str) -> list[str]:
    """`sql`: statements separated by ';', with {pk} standing for the primary key's type."""
    return [part.strip() for part in sql.replace("{pk}", PRIMARY_KEY[engine_type]).split(";") if part.strip()]


def refuse_changes(table: str, message: str, engine_type: str) -> list[str]:
    """Triggers that make the database itself refuse UPDATE and DELETE on `table`."""
    if engine_type == "postgres":
        return [
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_change('{message}')"
        ]
    return [
        f"CREATE TRIGGER {table}_refuse_{action} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for action in ("UPDATE", "DELETE")
    ]


async def run_statements(statements: list[str]) -> None:
    engine = engine_finder()
    for sql in statements:
        await engine.run_ddl(sql)
