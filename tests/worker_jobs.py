"""Jobs that tests/test_worker.py sends to the worker process (a job must be importable there)."""

import os


def process_id(progress=None) -> int:
    """The id of the process that computes this job."""
    return os.getpid()
