from pathlib import Path

from piccolo.conf.apps import AppConfig

from indicators.tables import (
    Adaptation,
    AdaptationChange,
    AdaptationVersion,
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
    table_classes=[
        Framework,
        Theme,
        Indicator,
        IndicatorRevision,
        Release,
        ReleaseEntry,
        Adaptation,
        AdaptationVersion,
        AdaptationChange,
    ],
    migration_dependencies=[],
    commands=[],
)
