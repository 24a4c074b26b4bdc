"""Piccolo's configuration: the engine named by REFERENTIEL_DATABASE_URL and our apps."""

from piccolo.conf.apps import AppRegistry

from server.db import make_engine
from server.settings import Settings

DB = make_engine(Settings.from_env().database_url)

APP_REGISTRY = AppRegistry(apps=["indicators.piccolo_app", "proposals.piccolo_app"])
