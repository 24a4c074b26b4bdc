from pathlib import Path

from piccolo.conf.apps import AppConfig

from indicators.tables import (
    Framework,
    Indicator,
    IndicatorRevision,
    Release,
    ReleaseEntry,
    Theme,
)

APP_CONFIG = AppConfig(
    app_name="indicators",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Framework, Theme, Indicator, IndicatorRevision, Release, ReleaseEntry],
    migration_dependencies=[],
    commands=[],
)
