"""Web application, settings and command line of Référentiel vivant."""

import os

# Piccolo finds its engine and apps through this module.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
