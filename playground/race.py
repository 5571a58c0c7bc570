"""The optimizer race: SGD, momentum, RMSProp and Adam trained from the same start on the same batches.

Pure NumPy/pandas (no Streamlit): the page caches `run_race` on the run's settings and upload hash.

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

"Steps to reach 1 % of the optimum" is the first recorded step whose full-training-set loss L
satisfies L ≤ L* + 1 % · |L*|. L* is the loss of the exact answer when one is given (a single
neuron with a closed form), else the best final training loss among the racers. With a weight
penalty every "loss" here is the objective the racers descend, data loss + λ·Σ r(w), and the
exact answer is the penalised optimum. The engine records
the full training loss only per epoch, so the race evaluates it at up to `MAX_LOSS_FRAMES` recorded
frames, evenly spaced (all of them for short runs), in one vectorised pass per chunk of frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .engine import History, Network, evenly_spaced
from .experiment import make_training_run
from .settings import OPTIMIZER_LABELS

RACERS = ("sgd", "momentum", "rmsprop", "adam")
TYPICAL_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "rmsprop": 0.01, "adam": 0.1}
MAX_LOSS_FRAMES = 500  # frames per racer at which the full training loss is evaluated
WITHIN = 0.01  # "within 1 % of the optimum"
NOT_REACHED = "not reached"
NO_DIVERGENCE = "—"

EXACT_OPTIMUM = "the exact answer's loss"
BEST_FINAL = "the best final training loss of the four"


@dataclass(frozen=True, eq=False)
class Racer:
    """One optimizer's run and its full training loss at evenly spaced recorded steps."""

    optimizer: str
    learning_rate: float
    history: History
    loss_steps: np.ndarray  # (K,) steps at which the full training loss was evaluated
    step_loss: np.ndarray  # (K,) full training-set objective at those steps (data loss + penalty)

    @property
    def label(self) -> str:
        """The optimizer's display name, e.g. "RMSProp"."""
        return OPTIMIZER_LABELS.get(self.optimizer, self.optimizer)


@dataclass(frozen=True, eq=False)
class Race:
    """The four racers, the optimum loss they race to, and where that optimum comes from."""

    racers: tuple[Racer, ...]
    optimum_loss: float | None  # objective L*; None when no racer has a finite final loss
    optimum_source: str  # EXACT_OPTIMUM or BEST_FINAL
    typical: bool  # True: each racer used TYPICAL_LEARNING_RATES

    def steps_to_optimum(self, racer: Racer) -> int | None:
        """First evaluated step within WITHIN of the optimum loss, or None."""
        if self.optimum_loss is None:
            return None
        return steps_to_reach(racer.loss_steps, racer.step_loss, self.optimum_loss)


def learning_rates(page_learning_rate: float, typical: bool = False) -> dict[str, float]:
    """Each racer's learning rate: the page's, or each optimizer's typical one."""
    return {name: TYPICAL_LEARNING_RATES[name] if typical else float(page_learning_rate) for name in RACERS}


def full_losses(history, X: np.ndarray, y: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Objective (loss + weight penalty) over all of X (n, p), y (n,) at each frame, by the engine; (len(frames),)."""
    net = Network(history.sizes[0], history.sizes[1:-1], history.activation, history.hidden_activation,
                  history.loss)
    losses = np.empty(len(frames))
    with np.errstate(all="ignore"):
        for i, frame in enumerate(frames):
            net.params[:] = history.params[frame]
            losses[i] = net.loss_value(X, y) + net.weight_penalty(history.regularization,
                                                                   history.regularization_rate)
    return losses


def steps_to_reach(steps: np.ndarray, losses: np.ndarray, optimum: float, within: float = WITHIN) -> int | None:
    """The first step whose loss is within `within` (relative) of `optimum`: L ≤ L* + within·|L*|; or None."""
    close = np.asarray(losses, dtype=np.float64) <= optimum + within * abs(optimum)  # NaN compares False
    if not close.any():
        return None
    return int(np.asarray(steps)[int(np.argmax(close))])


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


def run_racer(exp, optimizer: str, learning_rate: float) -> History:
    """One training run with the experiment's data and settings except the optimizer and learning rate."""
    settings = replace(exp.settings, optimizer=optimizer, learning_rate=learning_rate)
    return make_training_run(settings, exp.loss, exp.X_train, exp.y_train, exp.X_val, exp.y_val).run()


def run_race(exp, reference=None, typical: bool = False) -> Race:
    """The four racers on experiment `exp`; `reference` is the exact (w, b) of a single neuron, or None."""
    racers, s = [], exp.settings
    for optimizer, lr in learning_rates(s.learning_rate, typical).items():
        same_as_page = optimizer == s.optimizer and lr == s.learning_rate
        history = exp.history if same_as_page else run_racer(exp, optimizer, lr)  # the page's run: reuse it
        frames = evenly_spaced(len(history.step), MAX_LOSS_FRAMES)
        losses = full_losses(history, exp.X_train, exp.y_train, frames)
        racers.append(Racer(optimizer, lr, history, history.step[frames], losses))
    optimum, source = exact_loss(exp, reference), EXACT_OPTIMUM
    if optimum is None or not np.isfinite(optimum):
        finals = [r.history.objective[-1] for r in racers if np.isfinite(r.history.objective[-1])]
        optimum, source = (float(min(finals)) if finals else None), BEST_FINAL
    return Race(tuple(racers), optimum, source, typical)


def race_table(race: Race) -> pd.DataFrame:
    """One row per racer: learning rate, final losses, divergence and steps to the optimum."""
    rows = []
    for racer in race.racers:
        h = racer.history
        reached = race.steps_to_optimum(racer)
        rows.append({
            "optimizer": racer.label,
            "learning rate": racer.learning_rate,
            "final train loss": float(h.train_loss[-1]),
            "final validation loss": float(h.val_loss[-1]) if h.val_loss is not None else None,
            "diverged at": NO_DIVERGENCE if h.diverged_at is None else str(h.diverged_at),
            "steps to reach 1 % of optimum": NOT_REACHED if reached is None else str(reached),
        })
    return pd.DataFrame(rows)
