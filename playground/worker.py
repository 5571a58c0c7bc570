"""Long computations in one worker process beside the server, so that a heavy link cannot stall a class.

Streamlit runs every session's script in one Python process, whose interpreter lock lets one thread compute at a
time: a heavy link's training, race or 20 MB upload computed there slowed every student's rerun (one heavy
session left the students' rerun p95 at 2.5–3.3× the quiet run's, three at 8.8×: benchmarks/bench_hostile.py).
Here they run in one persistent process of their own, one at a time (`TURN` is the queue), at a lower priority:

    with TURN:
        history = compute(train, X, y, progress=progress, epochs=500)  # train(X, y, epochs=500, progress=…) there

- The process is a fresh interpreter (`python -m playground.worker`, never a fork of the multi-threaded server),
  started on first use, with one BLAS thread and `NICE` more niceness than the server; it imports NumPy and the
  modules of the jobs it is given (the engine, the race; pandas only to read a file).
- `progress(fraction)` is called here every CHECK_S at least, with the fraction the job last reported; it may raise
  (Streamlit's stop or rerun: ⏹ Stop, a new run, a closed tab): then the process is killed at once and the next job
  starts a new one. If the process cannot start or dies, the job is computed here instead.
- Arguments and results travel as pickles, arrays as raw buffers (no copies); an argument a result holds comes back
  as the server's own object, so the server keeps one copy (a race returns the page's run it was given).
- A process holding more than MAX_RSS_BYTES after a job (pandas keeps the memory of a big file it read) exits; the
  next job starts a new one.

Pure Python (no Streamlit); a job is any module-level function taking `progress=` (it may ignore it).
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

CHECK_S = 0.05  # the page may stop a job this often; the job reports its progress at most this often
NICE = 10  # the worker yields the CPU to the server's sessions (CFS: about a tenth of a busy core's share)
MAX_RSS_BYTES = 200 * 1024 * 1024
TURN = threading.Lock()  # one long computation at a time in the server: the worker's queue (sections/state.py)
ROOT = Path(__file__).resolve().parents[1]  # where `python -m playground.worker` finds the package
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}

_process: subprocess.Popen | None = None


def compute(job, *args, progress, **kwargs):
    """`job(*args, progress=…, **kwargs)` computed in the worker process; `progress(fraction)` called here as the
    job reports, at least every CHECK_S (it may raise to end the job). The caller holds TURN."""
    global _process
    try:
        if _process is None or _process.poll() is not None:
            _process = _start()
        _send(_process.stdin, (job, args, kwargs))
    except OSError:  # no worker process here (a platform that refuses one): compute in this process
        _stop_worker()
        return job(*args, progress=progress, **kwargs)
    fraction = 0.0
    try:
        while True:
            progress(fraction)
            if select.select([_process.stdout], [], [], CHECK_S)[0]:
                kind, value, leaving = _receive(_process.stdout, [*args, *kwargs.values()])
                if kind != "progress":
                    break
                fraction = value
    except (EOFError, OSError):  # the worker died (killed from outside, out of memory): compute here
        _stop_worker()
        return job(*args, progress=progress, **kwargs)
    except BaseException:  # the page was stopped: end the job at once
        _stop_worker()
        raise
    if leaving:
        _stop_worker()
    if kind == "error":
        raise value
    return value


def _start() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "playground.worker"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0, env={**os.environ, **ONE_THREAD})


def _stop_worker() -> None:
    """Kill the worker process, if any: the next job starts a new one."""
    global _process
    if _process is not None:
        _process.kill()
        _process.wait()
        _process.stdin.close()
        _process.stdout.close()
        _process = None


def worker_pid() -> int | None:
    """The worker process's id, or None when none is running."""
    return None if _process is None or _process.poll() is not None else _process.pid


# A message: a header (how many parts, each part's length), the pickle, then each out-of-band buffer's bytes.


def _send(pipe, message, shared=()) -> None:
    """Write `message` to a pipe; objects of `shared` (the job's arguments) go as references, not copies."""
    data, buffers = io.BytesIO(), []
    pickler = pickle.Pickler(data, protocol=5, buffer_callback=buffers.append)
    positions = {id(x): i for i, x in enumerate(shared) if not isinstance(x, (int, float, str, bytes, type(None)))}
    pickler.persistent_id = lambda obj: positions.get(id(obj))
    pickler.dump(message)
    parts = [data.getbuffer(), *(buffer.raw() for buffer in buffers)]
    _write(pipe, struct.pack(f"<I{len(parts)}Q", len(parts), *(part.nbytes for part in parts)))
    for part in parts:
        _write(pipe, part)


def _receive(pipe, shared=()):
    """Read one message from a pipe; references to `shared` objects become those objects."""
    (count,) = struct.unpack("<I", _read(pipe, 4))
    sizes = struct.unpack(f"<{count}Q", _read(pipe, 8 * count))
    data, buffers = _read(pipe, sizes[0]), [_read(pipe, size) for size in sizes[1:]]
    unpickler = pickle.Unpickler(io.BytesIO(data), buffers=buffers)
    unpickler.persistent_load = lambda position: shared[position]
    return unpickler.load()


def _write(pipe, data) -> None:
    view = memoryview(data).cast("B")
    while view:
        view = view[pipe.write(view):]


def _read(pipe, size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    while view:
        n = pipe.readinto(view)
        if not n:
            raise EOFError("the worker process closed its pipe")
        view = view[n:]
    return buffer


# The worker process.


def _rss_bytes() -> int:
    """This process's resident memory (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def main() -> None:
    """Serve jobs from stdin until it closes (the server ended) or the process holds too much memory."""
    os.nice(NICE)
    requests, replies = os.fdopen(0, "rb", buffering=0), os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # a job's prints go to the server's log, not into the replies
    next_report = [0.0]

    def report(fraction: float) -> None:
        now = time.perf_counter()
        if now >= next_report[0]:
            next_report[0] = now + CHECK_S
            _send(replies, ("progress", float(fraction), False))

    while True:
        try:
            job, args, kwargs = _receive(requests)
        except EOFError:
            return
        try:
            kind, value = "result", job(*args, progress=report, **kwargs)
        except Exception as error:  # the page shows it as it would have shown it computed there
            kind, value = "error", error
        leaving = _rss_bytes() > MAX_RSS_BYTES
        try:
            _send(replies, (kind, value, leaving), [*args, *kwargs.values()])
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            problem = RuntimeError(f"the result of {getattr(job, '__name__', job)} could not be sent back: {error}")
            _send(replies, ("error", problem, leaving))
        if leaving:
            return
        del job, args, kwargs, value


if __name__ == "__main__":
    main()
