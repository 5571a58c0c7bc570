"""The work budget: how much computing one request may ask of the server, counted before the work starts.

Every setting is in the link and a link is public, so no request may hold a shared server for long.
Work is counted in *work units*: one unit is about one row through one parameter of the network
(forward, backward and update); on the 2-core machines this page is developed on, one CPU second does
0.4–1.6 billion of them, whatever the shape (`benchmarks/bench_budget.py` measures it). A training run costs

    updates × STEP_UNITS × layers                       (each update's fixed cost, per layer)
  + rows trained × row_units                            (epochs × training rows)
  + rows evaluated × row_units / 3                      (the full losses after every epoch: forward only)

with row_units = parameters + 3 · inputs + 10 · neurons + ROW_BASE. Settings over the budget are trimmed,
each with a notice that says what and why, never refused:

- the training rows, to at most PASS_UNITS per pass (a random subset drawn with the seed): only an uploaded
  file is that large; it also bounds one update and every view that passes over the data (landscape,
  network pictures, references);
- the batch size, to at most MAX_STEPS updates an epoch;
- the epochs, to at most MAX_STEPS updates and RUN_UNITS in all;
- the optimizer race (four runs, their full loss at many updates, replays to find the exact update): its
  full loss is evaluated at fewer recorded updates, then its epochs are trimmed, to fit RACE_UNITS;
- memory: a run records at most HISTORY_BYTES of parameters (fewer than 2,000 frames only for networks of
  more than ~500 parameters), so a session's run and a race's four stay small.

Every lesson and every built-in dataset at its default settings, with any network, is within the budget on
every view (tests/test_budget.py); the heaviest request, a run and its race, costs RUN_UNITS + RACE_UNITS.

    plan = plan_run(settings, DataShape(rows=1797, inputs=64))
    plan.settings, plan.rows, plan.cost, plan.notices     # as run, rows kept, work units by part, why
    race = plan_race(plan.settings, DataShape(plan.rows, 64))
    race.settings, race.loss_frames, race.cost, race.notices

No Streamlit: a later feature recomputing many runs on the server calls the same two functions to trim or
refuse them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .engine.training import MAX_FRAMES
from .settings import MAX_STEPS, Settings

STEP_UNITS = 12_000  # fixed cost of one update, per layer (~12 µs of Python and small NumPy calls)
ROW_BASE = 40  # per row, on top of its parameters, inputs and neurons (loss, copies, shuffling)
EVAL_SHARE = 3  # a row evaluated after an epoch (forward only) costs 1/3 of a trained one
RACE_EVAL_SHARE = 12  # a row of the race's full loss (forward only, all rows at once): 1/12 of a trained one
LANDSCAPE_POINT_UNITS = 20  # one grid point × one row of a landscape evaluated point by point
READ_UNITS_PER_BYTE = 250  # reading an uploaded CSV file (pandas, every cell checked): ~5 s for 20 MB
PASS_UNITS = 60_000_000  # one pass over the training rows: at most this (≈ 0.05–0.15 s)
LONG_UNITS = 250_000_000  # work this long (≈ 0.2–0.6 s) is computed in the page's worker process
RUN_UNITS = 1_000_000_000  # one training run (≈ 1 s of one core)
RACE_UNITS = 2_400_000_000  # the optimizer race on top of the run it races
RACERS = 4
HISTORY_BYTES = 8 * 1024 * 1024  # the parameters a run records at its frames: at most this (sessions hold runs)


@dataclass(frozen=True)
class DataShape:
    """What the budget needs of the data: its rows (before the validation split) and the network's inputs."""

    rows: int
    inputs: int


@dataclass(frozen=True)
class Plan:
    """Settings as they will run, the rows kept, the work they cost by part and what was trimmed, in words."""

    settings: Settings
    rows: int  # rows of the data to use (a seeded random subset when fewer than the data has)
    cost: dict[str, int] = field(default_factory=dict)  # work units by part
    notices: tuple[str, ...] = ()
    loss_frames: int = MAX_FRAMES + 1  # the race: recorded updates at which the full training loss is evaluated
    exact_race: bool = True  # the race: replay every update up to the first evaluated one under the line

    @property
    def total(self) -> int:
        """All the work units of this plan."""
        return sum(self.cost.values())


def split_sizes(rows: int, validation_split: float) -> tuple[int, int]:
    """(training rows, validation rows) of `rows` split as the page splits them (no split if it leaves < 2)."""
    n_val = int(round(validation_split * rows))
    if n_val == 0 or rows - n_val < 2:
        return rows, 0
    return rows - n_val, n_val


def sizes(settings: Settings, inputs: int) -> tuple[int, ...]:
    """(inputs, *hidden, 1): the network's layer widths."""
    return (inputs, *settings.hidden, 1)


def parameters(settings: Settings, inputs: int) -> int:
    """Trainable parameters: Σ (fan_in + 1) · fan_out."""
    widths = sizes(settings, inputs)
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


def row_units(settings: Settings, inputs: int) -> int:
    """Work units of one row trained through this network."""
    return parameters(settings, inputs) + 3 * inputs + 10 * (sum(settings.hidden) + 1) + ROW_BASE


def steps_per_epoch(settings: Settings, n_train: int) -> int:
    """Updates in one epoch: ceil(training rows / batch size)."""
    return -(-n_train // max(1, min(settings.batch_size, n_train)))


def training_units(settings: Settings, shape: DataShape) -> int:
    """Work units of one training run with these settings on data of this shape (rows as given, not trimmed)."""
    n_train, n_val = split_sizes(shape.rows, settings.validation_split)
    per_row, layers = row_units(settings, shape.inputs), len(settings.hidden) + 1
    steps = settings.epochs * steps_per_epoch(settings, n_train)
    evaluated = (settings.epochs + 1) * (n_train + n_val)
    return steps * STEP_UNITS * layers + settings.epochs * n_train * per_row + evaluated * per_row // EVAL_SHARE


def read_units(n_bytes: int) -> int:
    """Work units of reading an uploaded file of `n_bytes` bytes into a table."""
    return n_bytes * READ_UNITS_PER_BYTE


def landscape_units(n_train: int) -> int:
    """Work units of a landscape slice drawn point by point (charts/landscape.slice_resolution's grid)."""
    return slice_resolution(n_train) ** 2 * n_train * LANDSCAPE_POINT_UNITS


def slice_resolution(n_train: int, fast: bool = False) -> int:
    """Grid points per side of a landscape slice: 90 on the closed-form path, else about 1.2 M grid points ×
    rows, between 12 and 60 per side (below 25 only for data larger than any built-in dataset)."""
    if fast:
        return 90
    return int(min(60, max(12, math.sqrt(1.2e6 / max(n_train, 1)))))


def plan_run(settings: Settings, shape: DataShape) -> Plan:
    """The run's settings trimmed to the budget (rows, batch size, epochs), its cost by part and the notices."""
    notices = []
    rows = _rows_within_pass(settings, shape)
    n_train, _ = split_sizes(rows, settings.validation_split)
    if rows < shape.rows:
        notices.append(
            f"This data has {shape.rows:,} rows: with {parameters(settings, shape.inputs):,} parameters the page "
            f"uses {rows:,} of them (drawn at random with the seed), so that one pass over the training rows stays "
            f"within the work a request may ask of the shared server. Fewer features or a smaller network allow more."
        )
    if settings.batch_size > n_train:
        settings = replace(settings, batch_size=n_train)
    if steps_per_epoch(settings, n_train) > MAX_STEPS:
        batch = -(-n_train // MAX_STEPS)
        notices.append(
            f"Batch size {settings.batch_size} on {n_train:,} training rows is {steps_per_epoch(settings, n_train):,} "
            f"updates an epoch, more than this page runs at once ({MAX_STEPS:,}): trained with batch size {batch}."
        )
        settings = replace(settings, batch_size=batch)
    shape = DataShape(rows, shape.inputs)
    steps = steps_per_epoch(settings, n_train)
    max_epochs = max(1, MAX_STEPS // steps)
    if settings.epochs > max_epochs:
        notices.append(
            f"{settings.epochs} epochs of {steps} steps is more than this page runs at once "
            f"({MAX_STEPS:,} updates): trained {max_epochs} epochs. A larger batch size allows more epochs."
        )
        settings = replace(settings, epochs=max_epochs)
    fitting = _most_epochs(settings, shape, RUN_UNITS)
    if fitting < settings.epochs:
        notices.append(
            f"{settings.epochs} epochs of this network on {n_train:,} rows is more work than one request may ask "
            f"of the shared server ({RUN_UNITS / 1e9:g} billion work units; see the README's limits): trained "
            f"{fitting} epochs. A smaller network, fewer rows or a larger batch size allow more."
        )
        settings = replace(settings, epochs=fitting)
    cost = {"training": training_units(settings, shape), "landscape": landscape_units(n_train)}
    return Plan(settings, rows, cost, tuple(notices))


def _rows_within_pass(settings: Settings, shape: DataShape) -> int:
    """The most rows (before the split) whose training rows pass through the network within PASS_UNITS."""
    most_train = max(2, PASS_UNITS // row_units(settings, shape.inputs))
    rows = shape.rows
    if split_sizes(rows, settings.validation_split)[0] <= most_train:
        return rows
    rows = int(most_train / (1.0 - settings.validation_split))
    while rows > 2 and split_sizes(rows, settings.validation_split)[0] > most_train:
        rows -= 1
    return rows


def _most_epochs(settings: Settings, shape: DataShape, units: int) -> int:
    """The most epochs (at least 1, at most settings.epochs) whose training fits within `units`."""
    if training_units(settings, shape) <= units:
        return settings.epochs
    lo, hi = 1, settings.epochs  # training_units grows with the epochs
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if training_units(replace(settings, epochs=mid), shape) <= units else (lo, mid - 1)
    return lo


def race_units(settings: Settings, shape: DataShape, loss_frames: int, exact: bool = True) -> int:
    """Work units of the optimizer race: four runs, each racer's full training loss (forward only, on all training
    rows at once) at `loss_frames` recorded updates and, when those skip updates and the race is `exact`, a replay
    of the run up to its exact update with the full loss at every update up to it (race.first_update_reaching): at
    most the whole run again, evaluated after each of its updates."""
    n_train, _ = split_sizes(shape.rows, settings.validation_split)
    updates = settings.epochs * steps_per_epoch(settings, n_train)
    frames = min(loss_frames, recorded_frames(settings, shape))
    training = training_units(settings, shape)
    replay, replayed = 0, 0
    if exact and frames < updates + 1:
        replay, replayed = training, updates
    evaluated = (frames + replayed) * n_train * row_units(settings, shape.inputs) // RACE_EVAL_SHARE
    return RACERS * (training + replay + evaluated)


def plan_race(settings: Settings, shape: DataShape) -> Plan:
    """The race for a run with these settings (as run, on `shape.rows` rows): at how many recorded updates its
    full loss is evaluated; exact (every update up to the one that reached the optimum replayed and evaluated) when
    that fits, else the first evaluated update that reached it; fewer epochs (then a larger batch) when even the
    fewest evaluated updates do not fit."""
    n_train, _ = split_sizes(shape.rows, settings.validation_split)
    frames = _most_frames(settings, shape)
    if frames is not None:
        return Plan(settings, shape.rows, {"race": race_units(settings, shape, frames)}, (), frames)
    asked, notices = settings, []
    if _most_frames(settings, shape, exact=False) is None:
        settings = replace(settings, epochs=_largest(1, settings.epochs, lambda e: replace(settings, epochs=e), shape))
        if _most_frames(settings, shape, exact=False) is None:  # one epoch is too much: fewer, larger batches
            batch = _smallest(settings.batch_size, n_train, lambda b: replace(settings, batch_size=b), shape)
            settings = replace(settings, batch_size=batch)
        trimmed = f"{settings.epochs} epoch{'s' if settings.epochs != 1 else ''}"
        if settings.batch_size != asked.batch_size:
            trimmed += f" with batch size {settings.batch_size}"
        notices.append(
            f"The race trains four runs and evaluates each on every training row many times: {asked.epochs} epochs "
            f"of this network on {n_train:,} rows is more work than one request may ask of the shared server, so "
            f"the race ran {trimmed}. A smaller network or fewer epochs race the page's own run."
        )
    frames = _most_frames(settings, shape, exact=False) or 2
    return Plan(settings, shape.rows, {"race": race_units(settings, shape, frames, exact=False)}, tuple(notices),
                frames, exact_race=False)


def _largest(lo: int, hi: int, make, shape: DataShape) -> int:
    """The largest value in [lo, hi] whose settings `make(value)` race within the budget (lo if none)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if _most_frames(make(mid), shape, exact=False) is not None else (lo, mid - 1)
    return lo


def _smallest(lo: int, hi: int, make, shape: DataShape) -> int:
    """The smallest value in [lo, hi] whose settings `make(value)` race within the budget (hi if none)."""
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _most_frames(make(mid), shape, exact=False) is not None else (mid + 1, hi)
    return lo


def history_frames(settings: Settings, inputs: int) -> int:
    """The most updates a run records (the engine's max_frames): 2,000, fewer for a network so big that 2,000
    frames of its parameters would be more than HISTORY_BYTES (3 × 16 hidden on 64 inputs: 654)."""
    return int(min(MAX_FRAMES, max(100, HISTORY_BYTES // (8 * parameters(settings, inputs)) - 1)))


def recorded_frames(settings: Settings, shape: DataShape) -> int:
    """The frames a run records: every state, or history_frames + 1 evenly spaced ones."""
    n_train, _ = split_sizes(shape.rows, settings.validation_split)
    return min(settings.epochs * steps_per_epoch(settings, n_train), history_frames(settings, shape.inputs)) + 1


def _most_frames(settings: Settings, shape: DataShape, exact: bool = True) -> int | None:
    """The most recorded updates (at least about √updates) at which the race (`exact` or not) can evaluate its full
    loss within RACE_UNITS, or None when even that many do not fit."""
    n_train, _ = split_sizes(shape.rows, settings.validation_split)
    updates = settings.epochs * steps_per_epoch(settings, n_train)
    recorded = recorded_frames(settings, shape)
    if race_units(settings, shape, recorded, exact) <= RACE_UNITS:
        return recorded
    fewest = min(recorded, max(2, math.isqrt(updates) + 1))
    if race_units(settings, shape, fewest, exact) > RACE_UNITS:
        return None
    lo, hi = fewest, recorded
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if race_units(settings, shape, mid, exact) <= RACE_UNITS else (lo, mid - 1)
    return lo
