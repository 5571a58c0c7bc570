"""The optimizer race: SGD, momentum, RMSProp and Adam trained from the same start on the same batches.

Pure NumPy (no Streamlit; pandas for the table): the page caches the race on the run's settings and upload hash,
and computes a long one (`race_of_run`, from `race_arguments`) in its worker process (playground/worker.py).

Every racer is a `TrainingRun` with the experiment's data and settings (as actually run) except the
optimizer and, optionally, the learning rate. The engine draws the initial weights and then every
epoch's shuffle from one generator seeded with `settings.seed`; the optimizers draw nothing, so the
four runs start from identical parameters and see identical batches in identical order.

Learning rates: by default every racer uses the page's learning rate. With `typical=True` each uses
`TYPICAL_LEARNING_RATES`, starting points that suit these small problems (a few hundred updates):

    sgd       0.1    a common first choice for plain gradient descent on standardized data
    momentum  0.01   μ = 0.9 makes each step ≈ lr / (1 − μ) = 10 × lr·g once under way: ≈ SGD at 0.1
    rmsprop   0.01   PyTorch's default
    adam      0.1    each step moves a parameter by about lr, so lr is a distance per step here;
                     the library default 0.001 assumes many thousands of updates and barely moves
                     in this page's default 90

Library defaults (Keras: SGD 0.01, RMSProp 0.001, Adam 0.001) were tried on the built-in datasets
and left RMSProp and Adam far from the optimum after the page's default 30 epochs.

"Reached" means: the full-training-set loss L after some update has covered 99 % of the way from the
shared starting loss L0 down to the optimum L*, i.e. L ≤ L* + 1 % · (L0 − L*). This works when L* is 0
(an exact fit) as well as when it is large. L* is the loss of the exact answer when one is given (a
single neuron with a closed form), else the best final training loss among the racers — then one racer
reaches it by construction, at the latest on its last update. The step counted is the exact update: the
loss is evaluated at every recorded update (all of them up to 2,000 updates), or at fewer evenly spaced ones
when the work budget asks for less (budget.plan_race); when updates were skipped (a thinned run, or fewer
evaluated), every update up to the first evaluated one that reached it is replayed and evaluated, since an
update before it that was not evaluated may have reached it first. With a
weight penalty every "loss" here is the objective the racers descend, data loss + λ·Σ r(w), and the exact
answer is the penalised optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .engine import ACTIVATIONS, History, Network, TrainingRun, evenly_spaced, train
from .engine.losses import bce_logits_per_point, bce_per_point
from .engine.regularizers import weight_penalty
from .engine.threads import one_thread

if TYPE_CHECKING:
    import pandas as pd

RACERS = ("sgd", "momentum", "rmsprop", "adam")
TYPICAL_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "rmsprop": 0.01, "adam": 0.1}
WITHIN = 0.01  # "reached": at most 1 % of the way from the start loss to the optimum is left
NOT_REACHED = "not reached"
CHUNK_ELEMENTS = 2_000_000  # rows × frames evaluated at once when computing every frame's loss
REPLAY_BLOCK = 512  # replayed updates evaluated at once when looking for the exact update in a thinned run
NO_DIVERGENCE = "—"

REACHED_COLUMN = "reached the optimum at update"
EXPLODED_COLUMN = "exploded at update"
EXACT_OPTIMUM = "the exact answer's loss"
BEST_FINAL = "the best final training loss of the four"


@dataclass(frozen=True, eq=False)
class Racer:
    """One optimizer's run, its full training loss at every recorded step, and when it reached the optimum."""

    optimizer: str
    learning_rate: float
    history: History
    loss_steps: np.ndarray  # (L,) the recorded steps (history.step) at which the loss was evaluated: all, or fewer
    step_loss: np.ndarray  # (L,) full training-set objective (data loss + penalty) after those steps
    reached: int | None = None  # the exact update after which L ≤ the race's threshold, or None
    final_losses: tuple[float, float | None] = (np.nan, None)  # (train, validation) data loss of the last frame

    @property
    def label(self) -> str:
        """The optimizer's display name, e.g. "RMSProp"."""
        from .settings import OPTIMIZER_LABELS  # here: the worker process races without the settings' imports

        return OPTIMIZER_LABELS.get(self.optimizer, self.optimizer)


@dataclass(frozen=True, eq=False)
class Race:
    """The four racers, the optimum loss they race to, and where that optimum comes from."""

    racers: tuple[Racer, ...]
    optimum_loss: float | None  # objective L*; None when no racer has a finite final loss
    optimum_source: str  # EXACT_OPTIMUM or BEST_FINAL
    typical: bool  # True: each racer used TYPICAL_LEARNING_RATES
    exact: bool = True  # False: `reached` is the first evaluated update under the line (it may have come earlier)

    @property
    def start_loss(self) -> float:
        """L0: the full training loss at the shared start, before any update."""
        return float(self.racers[0].step_loss[0])

    @property
    def threshold(self) -> float | None:
        """The loss a racer must get down to: L* + WITHIN · (L0 − L*), or None without an optimum."""
        return None if self.optimum_loss is None else reach_threshold(self.start_loss, self.optimum_loss)

    def steps_to_optimum(self, racer: Racer) -> int | None:
        """The exact update after which `racer` reached the optimum (see the module docstring), or None."""
        return racer.reached


def _ignore(fraction: float) -> None:
    """No progress to report."""


def _part(progress, lo: float, hi: float):
    """A progress function for the part of the work from `lo` to `hi` of `progress`'s."""
    return lambda fraction: progress(lo + (hi - lo) * fraction)


def learning_rates(page_learning_rate: float, typical: bool = False) -> dict[str, float]:
    """Each racer's learning rate: the page's, or each optimizer's typical one."""
    return {name: TYPICAL_LEARNING_RATES[name] if typical else float(page_learning_rate) for name in RACERS}


def full_losses(history, X: np.ndarray, y: np.ndarray, frames: np.ndarray, progress=_ignore) -> np.ndarray:
    """Objective (data loss + weight penalty) over all of X (n, p), y (n,) at each frame; (len(frames),).
    `progress(fraction)` is called as frames are done (it may raise to stop)."""
    return objectives(history, X, y, history.params[np.asarray(frames, dtype=np.int64)], progress)


def objectives(history, X: np.ndarray, y: np.ndarray, params: np.ndarray, progress=_ignore) -> np.ndarray:
    """Objective (data loss + weight penalty) over all of X (n, p), y (n,) for each parameter vector of `params`
    (B, P) of `history`'s network; (B,).

    A single neuron is evaluated for many vectors at once (z = X·wᵀ + b for a block of them), with the engine's
    own per-point losses and penalty; a network with hidden layers vector by vector through the engine.
    """
    losses = np.empty(len(params))
    regularization, rate = history.regularization, history.regularization_rate
    with np.errstate(all="ignore"):
        if len(history.sizes) > 2:
            net = Network(*_network_args(history))
            for i, vector in enumerate(params):
                progress(i / len(params))
                net.params[:] = vector
                losses[i] = net.loss_value(X, y) + net.weight_penalty(regularization, rate)
            return losses
        block = max(1, CHUNK_ELEMENTS // max(len(y), 1))
        for start in range(0, len(params), block):
            progress(start / len(params))
            chunk = params[start : start + block]  # (B, p + 1)
            z = X @ chunk[:, :-1].T + chunk[:, -1]  # (n, B)
            losses[start : start + block] = per_point_loss(z, y[:, None], history.activation, history.loss).mean(0)
            losses[start : start + block] += [weight_penalty([w], regularization, rate) for w in chunk[:, :-1]]
    return losses


def per_point_loss(z: np.ndarray, y: np.ndarray, activation: str, loss: str) -> np.ndarray:
    """The engine's loss of each output z against its target y, elementwise (the loss before the mean)."""
    if loss == "mse":
        return (ACTIVATIONS[activation].f(z) - y) ** 2
    if activation == "sigmoid":
        return bce_logits_per_point(z, y)
    return bce_per_point(ACTIVATIONS[activation].f(z), y)


def reach_threshold(start: float, optimum: float, within: float = WITHIN) -> float:
    """L* + within · (L0 − L*): `within` of the way from the start loss L0 to the optimum L* is left."""
    return optimum + within * max(start - optimum, 0.0)


def steps_to_reach(steps: np.ndarray, losses: np.ndarray, threshold: float) -> int | None:
    """The first of `steps` whose loss is at most `threshold`, or None (a NaN loss never counts)."""
    close = np.asarray(losses, dtype=np.float64) <= threshold
    if not close.any():
        return None
    return int(np.asarray(steps)[int(np.argmax(close))])


def first_update_reaching(arguments: dict, racer: Racer, threshold: float, progress=_ignore) -> int | None:
    """The exact update after which the racer's full training loss is first at most `threshold`.

    The first evaluated step that reaches it is exact when every update before it was evaluated. When the history
    was thinned (or its loss evaluated at fewer steps), an update in between may have reached it earlier (the loss
    of a small batch jumps about), so every update up to that step is replayed, as the engine made it, and
    evaluated. `arguments` are the TrainingRun's that made the race's run (`race_of_run`). `progress(fraction)` is
    called as the replay goes (it may raise to stop).
    """
    found = steps_to_reach(racer.loss_steps, racer.step_loss, threshold)
    if found is None or found == 0:
        return found
    recorded = racer.loss_steps[: int(np.searchsorted(racer.loss_steps, found)) + 1]
    if np.array_equal(recorded, np.arange(found + 1)):
        return found
    run = TrainingRun(**{**arguments, "optimizer": racer.optimizer, "learning_rate": racer.learning_rate})
    net, optimizer, h = run.net, run.optimizer, racer.history
    block = np.empty((REPLAY_BLOCK, net.n_params))  # (B, P) the parameters after each update of a block
    filled, step = 0, 0
    with np.errstate(all="ignore"):  # as TrainingRun.run
        for _, _, X_batch, y_batch in run.batches():
            run.batch_gradient(X_batch, y_batch)
            optimizer.step(net.params, net.grads)
            step += 1
            progress(step / found)
            block[filled] = net.params
            filled += 1
            if filled == REPLAY_BLOCK or step == found:
                close = np.flatnonzero(objectives(h, run.X, run.y, block[:filled]) <= threshold)
                if close.size:
                    return step - filled + 1 + int(close[0])
                filled = 0
            if step == found:
                break
    return found


def _network_args(history) -> tuple:
    return history.sizes[0], history.sizes[1:-1], history.activation, history.hidden_activation, history.loss


def exact_loss(exp, reference) -> float | None:
    """Training objective (loss + weight penalty) of the exact answer (w, b) for a single neuron, or None."""
    if reference is None or len(exp.history.sizes) != 2:
        return None
    h = exp.history
    net = Network(exp.X_train.shape[1], (), exp.settings.activation, loss=exp.loss)
    net.params[:-1] = np.asarray(reference[0], dtype=np.float64).reshape(-1)
    net.params[-1] = float(reference[1])
    with np.errstate(all="ignore"):
        return net.loss_value(exp.X_train, exp.y_train) + net.weight_penalty(h.regularization,
                                                                               h.regularization_rate)


def run_racer(exp, optimizer: str, learning_rate: float, progress=None) -> History:
    """One training run with the experiment's data and settings except the optimizer and learning rate."""
    return _racer_run(exp.training_arguments(), optimizer, learning_rate, progress)


def _racer_run(arguments: dict, optimizer: str, learning_rate: float, progress=None) -> History:
    return train(**{**arguments, "optimizer": optimizer, "learning_rate": learning_rate}, progress=progress)


def run_race(exp, reference=None, typical: bool = False, loss_frames: int | None = None, progress=_ignore,
             exact: bool = True) -> Race:
    """The four racers on experiment `exp`; `reference` is the exact (w, b) of a single neuron, or None.

    Each racer's full loss is evaluated at `loss_frames` of its recorded steps, evenly spaced (all by default;
    the work budget asks for fewer on big runs, budget.plan_race); the update that reached the optimum is exact,
    or (`exact=False`, when the budget has no room to replay the run) the first evaluated one that did.
    `progress(fraction)` is called all along and may raise to stop the race."""
    return race_of_run(*race_arguments(exp, reference, typical, loss_frames, exact), progress=progress)


def race_arguments(exp, reference=None, typical: bool = False, loss_frames: int | None = None,
                   exact: bool = True) -> tuple:
    """`race_of_run`'s arguments for `run_race`'s: the experiment's TrainingRun arguments and history, the objective of
    the exact answer (or None) and the options. Arrays, engine objects and plain values only: what the page's worker
    process races from (playground/worker.py), importing no more than NumPy and the engine."""
    return exp.training_arguments(), exp.history, exact_loss(exp, reference), typical, loss_frames, exact


def race_of_run(arguments: dict, history: History, optimum: float | None, typical: bool = False,
                loss_frames: int | None = None, exact: bool = True, progress=_ignore) -> Race:
    """The race of the run that TrainingRun `arguments` made, `history` (the racer with its optimizer and learning
    rate); `optimum` is the exact answer's objective, or None (then the best final one of the four); the rest as in
    `run_race`."""
    with one_thread():
        return _race(arguments, history, optimum, typical, loss_frames, progress, exact)


def _race(arguments: dict, page_history: History, optimum: float | None, typical: bool, loss_frames: int | None,
          progress, exact: bool) -> Race:
    runs, X, y = [], arguments["X"], arguments["y"]
    page = arguments["optimizer"], arguments["learning_rate"]
    for i, (optimizer, lr) in enumerate(learning_rates(page[1], typical).items()):
        part = _part(progress, 0.7 * i / len(RACERS), 0.7 * (i + 1) / len(RACERS))
        history = page_history if (optimizer, lr) == page else _racer_run(arguments, optimizer, lr,
                                                                           _part(part, 0.0, 0.5))
        frames = evenly_spaced(len(history.step), loss_frames or len(history.step))
        losses = full_losses(history, X, y, frames, _part(part, 0.5, 1.0))
        final = history.final_losses(X, y, arguments["validation"])  # of the state its charts end on
        runs.append(Racer(optimizer, lr, history, history.step[frames], losses, final_losses=final))
    source = EXACT_OPTIMUM
    if optimum is None or not np.isfinite(optimum):
        finals = [r.step_loss[-1] for r in runs if np.isfinite(r.step_loss[-1])]
        optimum, source = (float(min(finals)) if finals else None), BEST_FINAL
    if optimum is not None:
        threshold = reach_threshold(float(runs[0].step_loss[0]), optimum)
        runs = [replace(r, reached=first_update_reaching(arguments, r, threshold,
                                                         _part(progress, 0.7 + 0.075 * i, 0.775 + 0.075 * i))
                        if exact else steps_to_reach(r.loss_steps, r.step_loss, threshold))
                for i, r in enumerate(runs)]
    return Race(tuple(runs), optimum, source, typical, exact)


def race_table(race: Race) -> pd.DataFrame:
    """One row per racer: learning rate, final losses (of its last recorded state, as its charts end), divergence
    and when it reached the optimum; with a weight penalty also the final objective the racers minimise."""
    import pandas as pd  # here: the worker process races without pandas

    rows = []
    for racer in race.racers:
        h = racer.history
        reached = race.steps_to_optimum(racer)
        train, validation = racer.final_losses
        row = {"optimizer": racer.label, "learning rate": racer.learning_rate, "final train loss": float(train),
               "final validation loss": validation}
        if h.regularization != "none":
            row["final objective"] = float(racer.step_loss[-1])
        rows.append({**row, EXPLODED_COLUMN: NO_DIVERGENCE if h.diverged_at is None else str(h.diverged_at),
                     REACHED_COLUMN: NOT_REACHED if reached is None else f"{'' if race.exact else '≤ '}{reached}"})
    return pd.DataFrame(rows)
