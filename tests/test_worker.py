"""Long computations in the worker process (playground/worker.py): the same results as computed in the server, bit
for bit; a stopped page ends the job within 0.5 s; progress comes back; a job's error is raised as it was raised
there; the worker imports no more than NumPy and the engine to train and race; the page sends only long work there."""

import os
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from playground import worker
from playground.budget import LONG_UNITS
from playground.data import DataError, read_upload
from playground.engine import train
from playground.experiment import run_experiment
from playground.race import race_arguments, race_of_run, run_race
from playground.reference import reference_answer
from playground.sections import state
from playground.settings import Settings
from tests import worker_jobs

# Issue 18's heaviest link, trimmed by the work budget to about 1 s of training.
HEAVY_LINK = Settings(dataset="digits", hidden_layers=3, hidden_units=16, activation="sigmoid",
                      hidden_activation="sigmoid", batch_size=45, epochs=500, validation_split=0.0,
                      learning_rate=0.0001)
GRACE_S = 0.5  # a stopped job must end within this (issue 18)


def in_worker(job, *args, progress=None, **kwargs):
    """`job` computed in the worker process, as the page does it (holding the turn)."""
    with worker.TURN:
        return worker.compute(job, *args, progress=progress or (lambda fraction: None), **kwargs)


def through_worker(units, text, job, *args, **kwargs):
    """An experiment.py `compute` that sends every job to the worker process."""
    return in_worker(job, *args, **kwargs)


def assert_same_history(a, b):
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name  # every bit of every number
        else:
            assert x == y, f.name


@pytest.mark.parametrize("settings", [
    Settings(dataset="digits", hidden_layers=1, hidden_units=16, activation="sigmoid", epochs=20),
    Settings(dataset="circles", regularization="l2", regularization_rate=0.01, optimizer="rmsprop", batch_size=1),
    Settings(dataset="line", optimizer="sgd", learning_rate=10.0),  # explodes: the state before it is kept
], ids=["digits hidden", "circles l2", "line exploding"])
def test_a_run_trained_in_the_worker_is_the_run_trained_here(settings):
    here, there = run_experiment(settings), run_experiment(settings, None, through_worker)
    assert_same_history(here.history, there.history)
    assert here.settings == there.settings and here.final_losses() == there.final_losses()


def test_a_race_computed_in_the_worker_is_the_race_computed_here_and_shares_the_pages_run():
    exp = run_experiment(Settings(dataset="line", batch_size=1, epochs=30))  # 2,400 updates: thinned, replayed
    assert len(exp.history.step) < exp.history.step[-1] + 1
    reference = reference_answer(exp.X_train, exp.y_train, exp.settings.activation, exp.loss)
    here = run_race(exp, reference)
    there = in_worker(race_of_run, *race_arguments(exp, reference))
    assert (here.optimum_loss, here.optimum_source, here.exact) == (there.optimum_loss, there.optimum_source,
                                                                   there.exact)
    for a, b in zip(here.racers, there.racers, strict=True):
        assert_same_history(a.history, b.history)
        assert np.array_equal(a.loss_steps, b.loss_steps) and np.array_equal(a.step_loss, b.step_loss)
        assert (a.optimizer, a.learning_rate, a.reached, a.final_losses) == (b.optimizer, b.learning_rate, b.reached,
                                                                            b.final_losses)
    assert [r.history is exp.history for r in there.racers] == [r.optimizer == "adam" for r in there.racers]


CSV = b"name;x;z;y\nA;1,5;;0\nB;-2,25;3;1\nC;4;5,125;1\nD;1e-3;NA;0\nE;7;8;0\n"


def test_a_file_read_in_the_worker_is_the_file_read_here():
    here, there = read_upload(CSV), in_worker(read_upload, CSV)
    assert np.array_equal(here.X, there.X) and np.array_equal(here.y, there.y)
    assert (here.feature_names, here.target_name, here.task, here.description) == (
        there.feature_names, there.target_name, there.task, there.description)
    pd.testing.assert_frame_equal(here.table, there.table, check_exact=True)


def test_a_jobs_error_is_raised_here_as_it_was_raised_there():
    bad = b"x,y\n1,2\n3,abc\n"
    with pytest.raises(DataError) as here:
        read_upload(bad)
    with pytest.raises(DataError) as there:
        in_worker(read_upload, bad)
    assert str(there.value) == str(here.value) and "abc" in str(there.value)


def test_progress_comes_back_often_and_a_stopped_job_ends_within_half_a_second():
    class Stopped(Exception):
        pass

    calls, pids = [], set()

    def progress(fraction):  # as the page's Progress does when its reader presses Stop
        calls.append((time.perf_counter(), fraction))
        pids.add(worker.worker_pid())
        if fraction > 0.1:
            raise Stopped

    arguments = run_experiment(replace(HEAVY_LINK, epochs=2)).training_arguments() | {"epochs": 400}
    with pytest.raises(Stopped):
        in_worker(train, progress=progress, **arguments)
    stopped = time.perf_counter()
    gaps = np.diff([t for t, _ in calls])
    assert len(calls) >= 5 and gaps.max() < 4 * worker.CHECK_S  # the page could stop it at any moment
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and 0.1 < fractions[-1] < 0.9  # stopped on its way
    (pid,) = pids
    assert stopped - calls[-1][0] < GRACE_S and not Path(f"/proc/{pid}").exists()  # the process computing it is gone
    assert worker.worker_pid() is None
    exp = run_experiment(replace(HEAVY_LINK, epochs=2), None, through_worker)  # the next job starts a new one
    assert_same_history(exp.history, run_experiment(replace(HEAVY_LINK, epochs=2)).history)


def test_the_worker_trains_and_races_without_pandas_or_scikit_learn():
    exp = run_experiment(Settings(dataset="digits", epochs=5), None, through_worker)
    in_worker(race_of_run, *race_arguments(exp))
    pid = worker.worker_pid()
    maps = Path(f"/proc/{pid}/maps").read_text()
    loaded = {name for name in ("pandas", "sklearn", "scipy", "streamlit", "plotly") if f"/{name}/" in maps}
    assert "/numpy/" in maps and loaded == set()


def test_the_page_computes_only_long_work_in_the_worker():
    assert state.run_long(LONG_UNITS - 1, "…", worker_jobs.process_id) == os.getpid()
    there = state.run_long(LONG_UNITS, "…", worker_jobs.process_id)
    assert there != os.getpid() and there == worker.worker_pid()


def test_the_heavy_link_opened_in_the_page_is_trained_in_the_worker_as_here(app):
    at = app(**{name: str(value) for name, value in (
        ("dataset", "digits"), ("hidden_layers", 3), ("hidden_units", 16), ("activation", "sigmoid"),
        ("hidden_activation", "sigmoid"), ("batch_size", 45), ("epochs", 500), ("validation_split", 0.0),
        ("learning_rate", 0.0001))})
    assert not at.exception
    assert worker.worker_pid() is not None  # trained there
    ((settings, upload), (page_run, _)), = state.RUNS._entries.items()
    assert settings.epochs == 500 and settings.batch_size == 45  # the link's settings (the budget trims the run)
    assert_same_history(page_run.history, run_experiment(settings, upload).history)
