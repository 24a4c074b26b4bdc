from pathlib import Path

from piccolo.conf.apps import AppConfig

from web.tables import ChangeEvent, IdempotentRequest

APP_CONFIG = AppConfig(
    app_name="web",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[ChangeEvent, IdempotentRequest],
    migration_dependencies=[],
    commands=[],
)
