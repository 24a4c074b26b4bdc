"""Faults injected on purpose, for crash tests only: nothing happens unless REFERENTIEL_FAULT is set.

`REFERENTIEL_FAULT=kill-during-publication referentiel serve` kills the server with SIGKILL (the
worker that publishes and the `referentiel serve` process that started it) in the middle of
publishing a release: after the new indicator revisions are written, before the release row is.
tests/server/test_crash.py uses it to show that such a crash leaves the previous release intact
and no half release. Never set it in production.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Mapping

from indicators import publication
from server.settings import SettingsError

FAULT_VARIABLE = "REFERENTIEL_FAULT"
KILL_DURING_PUBLICATION = "kill-during-publication"


def kill_server() -> None:
    """SIGKILL: no clean-up, no rollback by us, exactly as if the machine had lost power."""
    parent = multiprocessing.parent_process()  # the `referentiel serve` process, in a granian worker
    if parent is not None and parent.pid is not None:
        os.kill(parent.pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def install_faults(environ: Mapping[str, str] | None = None) -> None:
    fault = (os.environ if environ is None else environ).get(FAULT_VARIABLE, "")
    if not fault:
        return
    if fault != KILL_DURING_PUBLICATION:
        raise SettingsError(f"{FAULT_VARIABLE}={fault!r}: the only fault is {KILL_DURING_PUBLICATION}")
    if kill_server not in publication.after_revisions_written:
        publication.after_revisions_written.append(kill_server)
