"""Piccolo's configuration: the engine named by REFERENTIEL_DATABASE_URL and our apps.

Piccolo imports this module (PICCOLO_CONF) when it first needs an engine; making the engine
connects to nothing.
"""

import os

from piccolo.conf.apps import AppRegistry

from server.settings import database_url_from
from web.database import make_engine

DB = make_engine(database_url_from(os.environ))

# The kernel first: the domains sit on top of it.
APP_REGISTRY = AppRegistry(
    apps=["web.piccolo_app", "indicators.piccolo_app", "proposals.piccolo_app", "programmes.piccolo_app"]
)
