"""Accounts, sessions, tokens, rate limits, decision rules, working groups, proposals and their
revisions, comments, ballots and the append-only audit log."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from indicators.sql_schema import refuse_changes, run_statements, table_statements

ID = "2026-11-27T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "co-design loop: accounts, working groups, proposals, comments, ballots, audit log"

TABLES = """
CREATE TABLE account (
    id {pk},
    email VARCHAR(254) NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name VARCHAR(100) NOT NULL,
    organisation VARCHAR(200) NOT NULL DEFAULT '',
    territory VARCHAR(100) NOT NULL DEFAULT '',
    role VARCHAR(20) NOT NULL DEFAULT 'practitioner',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE account_session (
    id {pk},
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    account INTEGER NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX account_session_account ON account_session (account);
CREATE TABLE api_token (
    id {pk},
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    account INTEGER NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE rate_limit (
    key VARCHAR(200) PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    hits INTEGER NOT NULL
);
CREATE TABLE decision_rule (
    id {pk},
    framework INTEGER NOT NULL UNIQUE REFERENCES framework (id) ON DELETE RESTRICT,
    min_discussion_days INTEGER NOT NULL DEFAULT 7,
    voting_days INTEGER NOT NULL DEFAULT 7,
    quorum VARCHAR(20) NOT NULL DEFAULT '1/2',
    retire_threshold VARCHAR(20) NOT NULL DEFAULT '2/3'
);
CREATE TABLE working_group (
    id {pk},
    framework INTEGER NOT NULL REFERENCES framework (id) ON DELETE RESTRICT,
    name VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX working_group_name ON working_group (framework, name);
CREATE TABLE working_group_theme (
    id {pk},
    working_group INTEGER NOT NULL REFERENCES working_group (id) ON DELETE RESTRICT,
    theme INTEGER NOT NULL UNIQUE REFERENCES theme (id) ON DELETE RESTRICT
);
CREATE TABLE working_group_member (
    id {pk},
    working_group INTEGER NOT NULL REFERENCES working_group (id) ON DELETE RESTRICT,
    account INTEGER NOT NULL REFERENCES account (id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX working_group_member_once ON working_group_member (working_group, account);
CREATE TABLE proposal (
    id {pk},
    framework INTEGER NOT NULL REFERENCES framework (id) ON DELETE RESTRICT,
    kind VARCHAR(10) NOT NULL,
    status VARCHAR(12) NOT NULL DEFAULT 'discussion',
    change_class VARCHAR(10) NOT NULL,
    author INTEGER NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    base_release INTEGER NOT NULL REFERENCES framework_release (id) ON DELETE RESTRICT,
    theme INTEGER NOT NULL REFERENCES theme (id) ON DELETE RESTRICT,
    indicator_code VARCHAR(20),
    base_revision INTEGER,
    title VARCHAR(200) NOT NULL,
    rationale TEXT NOT NULL,
    rationale_html TEXT NOT NULL,
    content JSON,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    vote_opened_at TIMESTAMPTZ,
    closes_at TIMESTAMPTZ,
    decided_at TIMESTAMPTZ,
    tally JSON,
    release INTEGER REFERENCES framework_release (id) ON DELETE RESTRICT
);
CREATE INDEX proposal_listing ON proposal (framework, status, id);
CREATE TABLE proposal_revision (
    id {pk},
    proposal INTEGER NOT NULL REFERENCES proposal (id) ON DELETE RESTRICT,
    number INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    rationale TEXT NOT NULL,
    content JSON,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX proposal_revision_number ON proposal_revision (proposal, number);
CREATE TABLE comment (
    id {pk},
    proposal INTEGER NOT NULL REFERENCES proposal (id) ON DELETE RESTRICT,
    author INTEGER NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    parent INTEGER REFERENCES comment (id) ON DELETE RESTRICT,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    hidden_at TIMESTAMPTZ,
    hidden_by INTEGER REFERENCES account (id) ON DELETE RESTRICT,
    hidden_reason TEXT
);
CREATE INDEX comment_proposal ON comment (proposal, id);
CREATE TABLE ballot (
    id {pk},
    proposal INTEGER NOT NULL REFERENCES proposal (id) ON DELETE RESTRICT,
    voter INTEGER NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    choice VARCHAR(10) NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    cast_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ballot_once ON ballot (proposal, voter);
CREATE TABLE audit_log (
    id {pk},
    at TIMESTAMPTZ NOT NULL,
    actor INTEGER REFERENCES account (id) ON DELETE RESTRICT,
    action VARCHAR(50) NOT NULL,
    target_type VARCHAR(30) NOT NULL,
    target_id INTEGER NOT NULL,
    detail JSON NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    entry_hash VARCHAR(64) NOT NULL UNIQUE
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id)
"""

APPEND_ONLY = ("audit_log", "proposal_revision")


def statements(engine_type: str) -> list[str]:
    result = table_statements(TABLES, engine_type)
    for table in APPEND_ONLY:
        result += refuse_changes(table, f"rows of {table} are append-only", engine_type)
    return result


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def create_schema():
        await run_statements(statements(engine_finder().engine_type))

    manager.add_raw(create_schema)
    return manager
