"""The composition root of Référentiel vivant: settings, the app factory, the command line, and
the wiring of routes, caches and background tasks. Nothing imports it."""

import os

# Piccolo finds its engine and apps through this module; the entry points call this before anything
# asks Piccolo for an engine.
PICCOLO_CONF = "server.piccolo_conf"


def use_piccolo_conf() -> None:
    os.environ.setdefault("PICCOLO_CONF", PICCOLO_CONF)
