"""One core per computation: BLAS (and OpenMP) limited to one thread while the engine or a reference computes.

A server runs many sessions' computations at once; a BLAS library free to use every core lets one heavy run
take them all (and threaded BLAS on small matrices stalls on a busy 2-core machine). The limit is process-wide
(BLAS has no per-thread setting), set for the duration of a computation and restored after it.
`threadpoolctl.threadpool_limits` inspects the loaded libraries on every call (~2 ms); one controller, made
once, sets the limit in ~15 µs.
"""

from __future__ import annotations

import sys
from functools import cache

from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()  # lists the thread pools of the libraries loaded by now (NumPy's BLAS, …)


def one_thread():
    """A context in which BLAS and OpenMP use one thread."""
    return _controller().limit(limits=1)


SWITCH_INTERVAL_S = 0.001  # Python's default 5 ms let one long computation hold up every other session's run


@cache
def one_thread_for_this_process() -> None:
    """A server shared by many sessions: BLAS and OpenMP use one thread from now on in this process (every
    computation of every session, the figures' and the landscape's too; the contexts above then keep it at one),
    and a thread computing hands Python's interpreter lock to a waiting one after 1 ms, not 5 (a page's run takes
    and gives it back hundreds of times, so beside a long computation each wait added up to seconds)."""
    _controller().limit(limits=1)  # not a context: the limit stays
    sys.setswitchinterval(SWITCH_INTERVAL_S)
