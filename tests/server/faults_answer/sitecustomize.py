"""A fault for tests/server/test_idempotency_crash.py, kept out of the application's code.

The test puts this folder on the PYTHONPATH of the server it starts, so that Python imports this
module at start-up in the server and in each of its workers. It makes keeping the answer of a
request sent with an Idempotency-Key kill the server with SIGKILL (the worker and the `referentiel
serve` process that started it): the request's change has committed, its answer is neither kept
nor sent, exactly as if the machine had lost power between the two.
"""

import multiprocessing
import os
import signal

from web import idempotent_requests


async def _die_instead_of_keeping_the_answer(*args, **kwargs):
    parent = multiprocessing.parent_process()  # the `referentiel serve` process, in a granian worker
    if parent is not None and parent.pid is not None:
        os.kill(parent.pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


idempotent_requests.store_answer = _die_instead_of_keeping_the_answer
