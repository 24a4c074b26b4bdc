"""Framework, themes, indicators, revisions and releases, with the triggers that keep
published rows immutable. Written as SQL so that both engines get the same schema,
composite unique indexes and triggers (Piccolo's own DDL cannot express them on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from indicators.sql_schema import (
    POSTGRES_REFUSE_FUNCTION,
    refuse_changes,
    run_statements,
    table_statements,
)

ID = "2026-11-27T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "living framework: tables, unique indexes, immutability triggers"

TABLES = """
CREATE TABLE framework (
    id {pk},
    slug VARCHAR(100) NOT NULL UNIQUE,
    language VARCHAR(10) NOT NULL DEFAULT 'fr',
    title TEXT NOT NULL,
    title_en TEXT,
    description TEXT NOT NULL DEFAULT '',
    description_en TEXT,
    revision_policy TEXT NOT NULL DEFAULT '',
    evidence_levels JSON NOT NULL DEFAULT '[]',
    bibliography JSON NOT NULL DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE theme (
    id {pk},
    framework INTEGER NOT NULL REFERENCES framework (id) ON DELETE RESTRICT,
    code VARCHAR(20) NOT NULL,
    title TEXT NOT NULL,
    title_en TEXT,
    description TEXT NOT NULL DEFAULT '',
    description_en TEXT,
    position INTEGER NOT NULL
);
CREATE UNIQUE INDEX theme_code ON theme (framework, code);
CREATE TABLE indicator (
    id {pk},
    framework INTEGER NOT NULL REFERENCES framework (id) ON DELETE RESTRICT,
    code VARCHAR(20) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX indicator_code ON indicator (framework, code);
CREATE TABLE indicator_revision (
    id {pk},
    indicator INTEGER NOT NULL REFERENCES indicator (id) ON DELETE RESTRICT,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    title_en TEXT,
    statement TEXT NOT NULL,
    statement_en TEXT,
    rationale TEXT NOT NULL,
    rationale_en TEXT,
    evidence_level VARCHAR(20) NOT NULL,
    measurement TEXT NOT NULL DEFAULT '',
    territorial_note TEXT,
    proposal_id INTEGER,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX indicator_revision_number ON indicator_revision (indicator, number);
CREATE TABLE framework_release (
    id {pk},
    framework INTEGER NOT NULL REFERENCES framework (id) ON DELETE RESTRICT,
    version VARCHAR(40) NOT NULL,
    major INTEGER NOT NULL,
    minor INTEGER NOT NULL,
    patch INTEGER NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    summary_en TEXT,
    content_hash VARCHAR(64) NOT NULL,
    proposal_id INTEGER,
    published_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX framework_release_version ON framework_release (framework, version);
CREATE UNIQUE INDEX framework_release_order ON framework_release (framework, major, minor, patch);
CREATE TABLE release_entry (
    id {pk},
    release INTEGER NOT NULL REFERENCES framework_release (id) ON DELETE RESTRICT,
    indicator INTEGER NOT NULL REFERENCES indicator (id) ON DELETE RESTRICT,
    revision INTEGER NOT NULL REFERENCES indicator_revision (id) ON DELETE RESTRICT,
    theme INTEGER NOT NULL REFERENCES theme (id) ON DELETE RESTRICT,
    position INTEGER NOT NULL
);
CREATE UNIQUE INDEX release_entry_indicator ON release_entry (release, indicator);
CREATE INDEX release_entry_revision ON release_entry (revision)
"""

# Everything a release is made of, or points at, is immutable once written (the framework's
# title, evidence levels and references are shown with every release).
IMMUTABLE_TABLES = (
    "framework",
    "theme",
    "indicator",
    "indicator_revision",
    "framework_release",
    "release_entry",
)


def statements(engine_type: str) -> list[str]:
    result = table_statements(TABLES, engine_type)
    if engine_type == "postgres":
        result.append(POSTGRES_REFUSE_FUNCTION.strip())
    for table in IMMUTABLE_TABLES:
        result += refuse_changes(table, f"published rows of {table} are immutable", engine_type)
    return result


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="indicators", description=DESCRIPTION)

    async def create_schema():
        await run_statements(statements(engine_finder().engine_type))

    manager.add_raw(create_schema)
    return manager
