from pathlib import Path

from piccolo.conf.apps import AppConfig

from proposals.tables import (
    Account,
    ApiToken,
    AuditEntry,
    Ballot,
    Comment,
    Concern,
    DecisionRule,
    DelphiComment,
    DelphiItem,
    DelphiProcess,
    DelphiRating,
    DelphiRound,
    Proposal,
    ProposalRevision,
    RateLimit,
    Session,
    WorkingGroup,
    WorkingGroupMember,
    WorkingGroupTheme,
)

APP_CONFIG = AppConfig(
    app_name="proposals",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Account,
        Session,
        ApiToken,
        RateLimit,
        DecisionRule,
        WorkingGroup,
        WorkingGroupTheme,
        WorkingGroupMember,
        Proposal,
        ProposalRevision,
        Comment,
        Concern,
        Ballot,
        AuditEntry,
        DelphiProcess,
        DelphiRound,
        DelphiItem,
        DelphiRating,
        DelphiComment,
    ],
    migration_dependencies=["indicators.piccolo_app"],
    commands=[],
)
