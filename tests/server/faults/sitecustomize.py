"""A fault for tests/server/test_crash.py, kept out of the application's code.

test_crash.py puts this folder on the PYTHONPATH of the server it starts, so that Python imports
this module at start-up in the server and in each of its workers. It makes publishing a release
kill the server with SIGKILL (the worker that publishes and the `referentiel serve` process that
started it) just after the new indicator revisions are written, before the release row is: no
clean-up, no rollback by us, exactly as if the machine had lost power.
"""

import multiprocessing
import os
import signal

from indicators import publication

_write_revisions = publication._write_revisions


def _kill_server() -> None:
    parent = multiprocessing.parent_process()  # the `referentiel serve` process, in a granian worker
    if parent is not None and parent.pid is not None:
        os.kill(parent.pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


async def _write_revisions_then_die(*args, **kwargs):
    await _write_revisions(*args, **kwargs)
    _kill_server()


publication._write_revisions = _write_revisions_then_die
