"""Mini-batch training with a full record of what happened (`History`).

One step = forward pass on a batch, loss, backpropagation, one optimizer update. An epoch is
ceil(n / batch_size) steps over the (shuffled) training rows; the last partial batch is used and
every batch gradient is the mean over its rows. With a weight penalty (regularizers.py) each step
follows the gradient of the batch objective: the batch's data loss + λ·Σ r(w) over all weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .losses import LOSSES
from .network import Network
from .optimizers import OPTIMIZERS
from .regularizers import REGULARIZERS, effective
from .threads import one_thread

MAX_FRAMES = 2000  # every update is recorded up to this many steps; longer runs are thinned evenly
EXPLODE_FACTOR = 1e6  # an objective above 1e6 × max(initial objective, 1) counts as exploded


@dataclass(frozen=True, eq=False)
class History:
    """What a training run did, as arrays. Frame 0 is the state before any update.

    Losses are data losses (mse or bce), without the weight penalty, so they compare across penalties
    and with an unpenalised reference. The penalty λ·Σ r(w) is recorded apart, per epoch; what the
    optimizer descended is `objective` = train_loss + penalty (the same as train_loss without one).
    Divergence is judged on the objective.
    """

    step: np.ndarray  # (F,) int, updates applied before this frame; step[0] == 0
    epoch: np.ndarray  # (F,) int, 1-based epoch of the update; 0 for frame 0
    batch: np.ndarray  # (F,) int, 0-based batch within the epoch; 0 for frame 0
    batch_loss: np.ndarray  # (F,) data loss of the batch that made this update; frame 0: full train loss
    params: np.ndarray  # (F, P) every parameter (layout: see network.py)
    train_loss: np.ndarray  # (E+1,) full training-set data loss before training and after each epoch
    val_loss: np.ndarray | None  # (E+1,) the same on validation data, if given
    penalty: np.ndarray  # (E+1,) λ·Σ r(w) over all weights at the same moments; zeros without a penalty
    diverged_at: int | None  # the update after which the objective was non-finite or exploding
    steps_per_epoch: int
    sizes: tuple[int, ...]  # (n_features, *hidden, 1)
    activation: str
    hidden_activation: str
    loss: str
    regularization: str  # "none", "l1" or "l2", as applied ("none" when the rate is 0)
    regularization_rate: float  # λ as applied (0.0 without a penalty)

    @property
    def objective(self) -> np.ndarray:
        """(E+1,) what training minimised on the whole training set: train_loss + penalty."""
        return self.train_loss + self.penalty

    def frame_penalty(self, frame: int = -1) -> float:
        """λ·Σ r(w) over all weights at one frame (0.0 without a penalty)."""
        return self.network(frame).weight_penalty(self.regularization, self.regularization_rate)

    @property
    def batch_number(self) -> np.ndarray:
        """(F,) the batch of each frame counted from 1 within its epoch, as people count; 0 for frame 0."""
        return np.where(self.step > 0, self.batch + 1, 0)

    @property
    def w(self) -> np.ndarray:
        """(F, k) weights of the output neuron at each frame."""
        return self.params[:, -self.sizes[-2] - 1 : -1]

    @property
    def b(self) -> np.ndarray:
        """(F,) bias of the output neuron at each frame."""
        return self.params[:, -1]

    def network(self, frame: int = -1) -> Network:
        """A Network holding the parameters of one frame."""
        net = Network(self.sizes[0], self.sizes[1:-1], self.activation, self.hidden_activation, self.loss)
        net.params[:] = self.params[frame]
        return net

    def predict(self, X: np.ndarray, frame: int = -1) -> np.ndarray:
        """Predictions (m,) of the network at one frame for inputs X (m, p)."""
        return self.network(frame).predict(X)

    def final_losses(self, X: np.ndarray, y: np.ndarray, validation: tuple | None = None) -> tuple[float, float | None]:
        """(train, validation) data loss of the last recorded parameters on X (n, p), y (n,) and `validation`
        (X_val, y_val) or None: after an explosion, of the state before it."""
        net = self.network(-1)
        with np.errstate(all="ignore"):
            return net.loss_value(X, y), net.loss_value(*validation) if validation is not None else None


def _as_float_inputs(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"X must be (n, p) and y (n,) with n ≥ 1; got {X.shape} and {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite numbers (no NaN or infinity)")
    return X, y


def evenly_spaced(count: int, at_most: int) -> np.ndarray:
    """All of range(count), or at most `at_most` evenly spaced indices of it, always the first and the last."""
    if count <= at_most:
        return np.arange(count)
    return np.unique(np.round(np.linspace(0, count - 1, at_most)).astype(np.int64))


class TrainingRun:
    """A configured training run: network, optimizer, data and batch order (seeded)."""

    def __init__(
        self,
        X,
        y,
        activation: str = "linear",
        loss: str = "mse",
        optimizer: str = "adam",
        learning_rate: float = 0.01,
        batch_size: int = 32,
        epochs: int = 30,
        shuffle: bool = True,
        seed: int | None = 0,
        hidden: tuple[int, ...] = (),
        init: tuple | None = None,
        validation: tuple | None = None,
        hidden_activation: str | None = None,
        regularization: str = "none",
        regularization_rate: float = 0.0,
        max_frames: int = MAX_FRAMES,
    ):
        for name, value, table in (
            ("activation", activation, ACTIVATIONS),
            ("hidden_activation", hidden_activation or activation, ACTIVATIONS),
            ("loss", loss, LOSSES),
            ("optimizer", optimizer, OPTIMIZERS),
            ("regularization", regularization, REGULARIZERS),
        ):
            if value not in table:
                raise ValueError(f"unknown {name} {value!r}; choose from {', '.join(table)}")
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate}")
        if not (np.isfinite(regularization_rate) and regularization_rate >= 0):
            raise ValueError(f"regularization_rate must be a number ≥ 0, got {regularization_rate}")
        self.regularization, self.regularization_rate = effective(regularization, regularization_rate)
        if int(batch_size) < 1 or int(epochs) < 1 or any(int(u) < 1 for u in hidden):
            raise ValueError("batch_size, epochs and hidden layer sizes must be at least 1")
        self.X, self.y = _as_float_inputs(X, y)
        self.y_col = self.y[:, None]  # (n, 1)
        self.validation = None if validation is None else _as_float_inputs(*validation)
        n, p = self.X.shape
        self.batch_size, self.epochs, self.shuffle = min(int(batch_size), n), int(epochs), shuffle
        self.steps_per_epoch = -(-n // self.batch_size)
        self.rng = np.random.default_rng(seed)
        self.net = Network(p, tuple(int(u) for u in hidden), activation, hidden_activation, loss)
        if init is None:
            self.net.init_glorot(self.rng)
        elif hidden:
            raise ValueError("init=(w, b) sets a single neuron; it cannot be used with hidden layers")
        else:
            w0, b0 = init
            self.net.params[:-1] = np.asarray(w0, dtype=np.float64).reshape(p)
            self.net.params[-1] = float(b0)
        self.optimizer = OPTIMIZERS[optimizer](self.net.n_params, float(learning_rate))
        self.max_frames = max(1, int(max_frames))  # states recorded beyond the first: every update up to this many

    def batches(self):
        """Yield (epoch, batch, X_batch (m, p), y_batch (m, 1)) in training order."""
        X, y_col, size = self.X, self.y_col, self.batch_size
        for epoch in range(1, self.epochs + 1):
            if self.shuffle:
                order = self.rng.permutation(X.shape[0])
                X, y_col = self.X[order], self.y_col[order]
            for batch, start in enumerate(range(0, X.shape[0], size)):
                yield epoch, batch, X[start : start + size], y_col[start : start + size]

    def run(self, progress=None) -> History:
        """Train to the end (or to divergence) and return the History, with one BLAS thread (threads.py).

        `progress(fraction)`, if given, is called after every update with the fraction of updates done; it may
        raise to stop the run (the page stops a run that way when its reader presses Stop or leaves).
        """
        with np.errstate(all="ignore"), one_thread():
            return self._run(progress)

    def _run(self, progress) -> History:
        net, optimizer = self.net, self.optimizer
        params, grads, last_batch = net.params, net.grads, self.steps_per_epoch - 1
        total_steps = self.epochs * self.steps_per_epoch
        record_steps = evenly_spaced(total_steps + 1, self.max_frames + 1).tolist()  # steps whose state is recorded
        thinned = len(record_steps) < total_steps + 1  # else every state is a frame, the one before a bad update too
        frame_params = np.empty((len(record_steps), net.n_params))  # (F, P)
        frame_loss = np.empty(len(record_steps))  # (F,)
        train_loss, val_loss, epoch_end_step = [self._full_loss(self.X, self.y)], [], [0]
        penalty = [self._penalty()]
        if self.validation is not None:
            val_loss.append(self._full_loss(*self.validation))
        limit = EXPLODE_FACTOR * max(train_loss[0] + penalty[0], 1.0)
        frame_params[0], frame_loss[0] = net.params, train_loss[0]
        previous = net.params.copy()  # state before the latest update, kept for divergence
        state_loss = previous_loss = train_loss[0]  # batch loss of the update that made each state
        n_frames, next_record, step, diverged_at = 1, 1, 0, None
        if not train_loss[0] + penalty[0] <= limit:
            diverged_at = 0
        for _epoch, batch, X_batch, y_batch in self.batches() if diverged_at is None else ():
            batch_loss, batch_penalty = self.batch_gradient(X_batch, y_batch)
            if not batch_loss + batch_penalty <= limit:  # also catches NaN: this state was reached by a bad update
                diverged_at = step
                break
            if thinned:
                previous[:] = params
            previous_loss, state_loss = state_loss, batch_loss
            optimizer.step(params, grads)
            step += 1
            if progress is not None:
                progress(step / total_steps)
            if next_record < len(record_steps) and record_steps[next_record] == step:
                frame_params[n_frames], frame_loss[n_frames] = params, batch_loss
                n_frames, next_record = n_frames + 1, next_record + 1
            if batch == last_batch:
                train_loss.append(self._full_loss(self.X, self.y))
                penalty.append(self._penalty())
                epoch_end_step.append(step)
                if self.validation is not None:
                    val_loss.append(self._full_loss(*self.validation))
                if not train_loss[-1] + penalty[-1] <= limit:
                    diverged_at = step
                    break
        steps = np.array(record_steps[:n_frames])
        if diverged_at is not None:
            # Keep only states before the bad update; the state just before it becomes the last frame.
            keep = int(np.searchsorted(steps, diverged_at))
            n_frames = max(keep, 1)
            if diverged_at > 0 and steps[n_frames - 1] != diverged_at - 1:
                frame_params[n_frames], frame_loss[n_frames] = previous, previous_loss
                steps = np.append(steps[:n_frames], diverged_at - 1)
                n_frames += 1
            steps = steps[:n_frames]
            n_epochs_kept = max(int(np.searchsorted(epoch_end_step, diverged_at)), 1)
            train_loss, val_loss = train_loss[:n_epochs_kept], val_loss[:n_epochs_kept]
            penalty = penalty[:n_epochs_kept]
        epoch = np.where(steps > 0, (steps - 1) // self.steps_per_epoch + 1, 0)
        batch = np.where(steps > 0, (steps - 1) % self.steps_per_epoch, 0)
        return History(
            step=steps,
            epoch=epoch,
            batch=batch,
            batch_loss=frame_loss[:n_frames].copy(),
            params=frame_params[:n_frames].copy(),
            train_loss=np.array(train_loss),
            val_loss=np.array(val_loss) if self.validation is not None else None,
            penalty=np.array(penalty),
            diverged_at=diverged_at,
            steps_per_epoch=self.steps_per_epoch,
            sizes=net.sizes,
            activation=net.output_activation.name,
            hidden_activation=net.hidden_activation.name,
            loss=net.loss.name,
            regularization=self.regularization,
            regularization_rate=self.regularization_rate,
        )

    def batch_gradient(self, X_batch: np.ndarray, y_batch: np.ndarray) -> tuple[float, float]:
        """(data loss, penalty) on a batch X (m, p), y (m, 1); writes the gradient of their sum into net.grads."""
        loss = self.net.loss_and_gradient(X_batch, y_batch)
        if self.regularization == "none":
            return loss, 0.0
        return loss, self.net.add_penalty_gradient(self.regularization, self.regularization_rate)

    def _full_loss(self, X: np.ndarray, y: np.ndarray) -> float:
        return self.net.loss_value(X, y)

    def _penalty(self) -> float:
        return self.net.weight_penalty(self.regularization, self.regularization_rate)


def train(X, y, progress=None, **settings) -> History:
    """Train a network on X (n, p), y (n,) and return its History (arguments: see TrainingRun and its `run`)."""
    return TrainingRun(X, y, **settings).run(progress)
