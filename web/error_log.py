"""What the server log says of a refused request: one line for a client's error (4xx), the
traceback only for the server's own (5xx and the unexpected)."""

from __future__ import annotations

import sys
from logging import Logger

from litestar.logging import LoggingConfig
from litestar.types import Scope


def log_exception(logger: Logger, scope: Scope, traceback: list[str]) -> None:
    error = sys.exc_info()[1]
    status = getattr(error, "status_code", 500)
    where = f"{scope.get('method', '')} {scope.get('path', '')}"
    if isinstance(status, int) and 400 <= status < 500:
        logger.info("%s: %s %s (%s)", where, status, type(error).__name__, error)
    else:
        logger.error("%s: uncaught exception\n%s", where, "".join(traceback))


def logging_config() -> LoggingConfig:
    return LoggingConfig(log_exceptions="always", exception_logging_handler=log_exception)
