from pathlib import Path

from piccolo.conf.apps import AppConfig

from programmes.tables import Action, Answer, Assessment, FieldEvidence, Programme, ProgrammeMember, ShareLink

APP_CONFIG = AppConfig(
    app_name="programmes",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Programme, ProgrammeMember, Assessment, Answer, ShareLink, Action, FieldEvidence],
    migration_dependencies=["proposals.piccolo_app"],
    commands=[],
)
