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
neuron with a closed form), else the best final training loss among the racers. The engine records
the full training loss only per epoch, so the race evaluates it at up to `MAX_LOSS_FRAMES` recorded
frames, evenly spaced (all of them for short runs), in one vectorised pass per chunk of frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine import ACTIVATIONS, History, Network, TrainingRun
from .engine.losses import bce_logits_per_point, bce_per_point
from .settings import OPTIMIZER_LABELS

RACERS = ("sgd", "momentum", "rmsprop", "adam")
TYPICAL_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "rmsprop": 0.01, "adam": 0.1}
MAX_LOSS_FRAMES = 500  # frames per racer at which the full training loss is evaluated
WITHIN = 0.01  # "within 1 % of the optimum"
CHUNK_ELEMENTS = 2_000_000  # frames × rows × units evaluated at once
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
    step_loss: np.ndarray  # (K,) full training-set loss at those steps

    @property
    def label(self) -> str:
        """The optimizer's display name, e.g. "RMSProp"."""
        return OPTIMIZER_LABELS.get(self.optimizer, self.optimizer)


@dataclass(frozen=True, eq=False)
class Race:
    """The four racers, the optimum loss they race to, and where that optimum comes from."""

    racers: tuple[Racer, ...]
    optimum_loss: float | None  # None when no racer has a finite final loss
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


def evaluation_frames(n_frames: int, max_frames: int = MAX_LOSS_FRAMES) -> np.ndarray:
    """At most `max_frames` evenly spaced frame indices, always the first and the last."""
    if n_frames <= max_frames:
        return np.arange(n_frames)
    return np.unique(np.round(np.linspace(0, n_frames - 1, max_frames)).astype(int))


def full_losses(history, X: np.ndarray, y: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Loss over all of X (n, p), y (n,) with the parameters of each frame; (len(frames),).

    The same value as `history.network(frame).loss_value(X, y)` (up to rounding), for many frames
    at once: layer by layer as a batched matrix product over (frames, rows, units).
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    frames = np.asarray(frames, dtype=int)
    sizes = tuple(history.sizes)
    output, hidden = ACTIVATIONS[history.activation], ACTIVATIONS[history.hidden_activation]
    last = len(sizes) - 2
    chunk = max(1, CHUNK_ELEMENTS // max(1, y.size * max(sizes)))
    losses = np.empty(frames.size)
    with np.errstate(all="ignore"):
        for start in range(0, frames.size, chunk):
            params = history.params[frames[start : start + chunk]]  # (R, P)
            a, offset = X, 0  # the first layer's input, (n, p), is the same for every frame
            for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                W = params[:, offset : offset + fan_in * fan_out].reshape(-1, fan_in, fan_out)  # (R, in, out)
                offset += fan_in * fan_out
                b = params[:, offset : offset + fan_out]  # (R, out)
                offset += fan_out
                if layer == 0:  # one matrix product for all frames: (n, p) @ (p, R·out)
                    z = (X @ W.transpose(1, 0, 2).reshape(fan_in, -1)).reshape(y.size, -1, fan_out)
                    z = z.transpose(1, 0, 2) + b[:, None, :]  # (R, n, out)
                else:
                    z = a @ W + b[:, None, :]  # (R, n, out)
                if layer < last:
                    a = hidden.f(z)
            z = z[..., 0]  # (R, n) the output neuron's pre-activation
            if history.loss == "mse":
                per_point = (output.f(z) - y) ** 2
            elif history.activation == "sigmoid":  # the engine's exact from-logits cross-entropy
                per_point = bce_logits_per_point(z, y)
            else:
                per_point = bce_per_point(output.f(z), y)
            losses[start : start + chunk] = per_point.mean(axis=1)
    return losses


def steps_to_reach(steps: np.ndarray, losses: np.ndarray, optimum: float, within: float = WITHIN) -> int | None:
    """The first step whose loss is within `within` (relative) of `optimum`: L ≤ L* + within·|L*|; or None."""
    close = np.asarray(losses, dtype=np.float64) <= optimum + within * abs(optimum)  # NaN compares False
    if not close.any():
        return None
    return int(np.asarray(steps)[int(np.argmax(close))])


def exact_loss(exp, reference) -> float | None:
    """Training loss of the exact answer (w, b) for a single neuron, or None without one."""
    if reference is None or len(exp.history.sizes) != 2:
        return None
    net = Network(exp.X_train.shape[1], (), exp.settings.activation, loss=exp.loss)
    net.params[:-1] = np.asarray(reference[0], dtype=np.float64).reshape(-1)
    net.params[-1] = float(reference[1])
    with np.errstate(all="ignore"):
        return net.loss_value(exp.X_train, exp.y_train)


def run_racer(exp, optimizer: str, learning_rate: float) -> History:
    """One training run with the experiment's data and settings except the optimizer and learning rate."""
    s = exp.settings
    run = TrainingRun(
        exp.X_train, exp.y_train, activation=s.activation, loss=exp.loss, optimizer=optimizer,
        learning_rate=learning_rate, batch_size=s.batch_size, epochs=s.epochs, shuffle=s.shuffle, seed=s.seed,
        hidden=s.hidden, hidden_activation=s.hidden_activation,
        validation=(exp.X_val, exp.y_val) if len(exp.y_val) else None,
    )
    return run.run()


def run_race(exp, reference=None, typical: bool = False) -> Race:
    """The four racers on experiment `exp`; `reference` is the exact (w, b) of a single neuron, or None."""
    racers, s = [], exp.settings
    for optimizer, lr in learning_rates(s.learning_rate, typical).items():
        same_as_page = optimizer == s.optimizer and lr == s.learning_rate
        history = exp.history if same_as_page else run_racer(exp, optimizer, lr)  # the page's run: reuse it
        frames = evaluation_frames(len(history.step))
        losses = full_losses(history, exp.X_train, exp.y_train, frames)
        racers.append(Racer(optimizer, lr, history, history.step[frames], losses))
    optimum, source = exact_loss(exp, reference), EXACT_OPTIMUM
    if optimum is None or not np.isfinite(optimum):
        finals = [r.history.train_loss[-1] for r in racers if np.isfinite(r.history.train_loss[-1])]
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
