"""One update of a finished run taken apart: the forward pass, the chain rule and the optimizer's step,
with the numbers the engine itself used.

    detail = explain_step(exp, 5)   # the 5th update of the run (1-based), as a StepDetail

The run is replayed from the start with the arguments `run_experiment` gave the engine (same data,
settings and seed, hence the same initial weights and batch order), calling the engine's own
`batch_gradient` (the loss's gradient by backpropagation, plus the weight penalty's if any) and optimizer
`step` as `TrainingRun._run` does; `params_after` is therefore the parameter vector `exp.history`
recorded after that update, bit for bit. `Replay` keeps the replay
going between calls, so stepping forward costs one update. Pure NumPy, no Streamlit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .engine.losses import EPS, bce_logits_per_point, bce_per_point, output_loss_and_delta
from .engine.threads import one_thread
from .experiment import Experiment


def last_step(exp: Experiment) -> int:
    """The last update the engine applied: the run's final step, or the update after which the loss exploded.

    After a divergence the History stops at the state before the bad update (step `diverged_at` - 1),
    but the engine did apply update `diverged_at`, so it can be explained too.
    """
    diverged_at = exp.history.diverged_at
    return int(exp.history.step[-1]) if diverged_at is None else int(diverged_at)


def step_of(epoch: int, batch: int, steps_per_epoch: int) -> int:
    """The 1-based update number of (1-based epoch, 0-based batch)."""
    return (epoch - 1) * steps_per_epoch + batch + 1


def epoch_and_batch(step: int, steps_per_epoch: int) -> tuple[int, int]:
    """(1-based epoch, 0-based batch) of the 1-based update `step`, as History counts them."""
    return (step - 1) // steps_per_epoch + 1, (step - 1) % steps_per_epoch


def _optimizer_state(optimizer) -> dict:
    """Every attribute of an engine optimizer (hyperparameters and state, not its _scratch space), arrays copied."""
    return {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in vars(optimizer).items()
            if not name.startswith("_")}


@dataclass(frozen=True, eq=False)
class StepDetail:
    """Everything about one update. Per-sample arrays cover the whole batch (m rows).

    Per-sample derivatives are those of the sample's own loss ℓ_i (no 1/m): the batch loss is
    E = mean(ℓ_i), so every gradient of E is the batch mean of the per-sample gradients.
    """

    step: int  # 1-based update number
    epoch: int  # 1-based
    batch: int  # 0-based batch within the epoch
    steps_per_epoch: int
    sizes: tuple[int, ...]  # (n_features, *hidden, 1)
    activation: str
    hidden_activation: str
    loss_name: str  # "mse" or "bce"
    optimizer: str
    X_batch: np.ndarray  # (m, p)
    y_batch: np.ndarray  # (m,)
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (z, a) of every layer at params_before, each (m, units)
    loss: float  # the batch loss E the engine computed (data only)
    penalty: float  # λ·Σ r(w) at params_before (0 without a penalty); the step descends E + penalty
    sample_loss: np.ndarray  # (m,) ℓ_i
    dloss_da: np.ndarray  # (m,) dℓ_i/da_i
    da_dz: np.ndarray  # (m,) da_i/dz_i = g'(z_i)
    dloss_dz: np.ndarray  # (m,) dℓ_i/dz_i as the engine computes it (fused for sigmoid + cross-entropy)
    grads: np.ndarray  # (P,) d(E + penalty)/dθ, the engine's net.grads for this batch: dE/dθ + penalty_grads
    penalty_grads: np.ndarray  # (P,) λ·dr/dθ at params_before: 0 at biases and without a penalty
    params_before: np.ndarray  # (P,)
    params_after: np.ndarray  # (P,)
    regularization: str  # "none", "l1" or "l2", as applied (see engine/regularizers.effective)
    regularization_rate: float
    state_before: dict  # optimizer attributes before the update (lr, mu, velocity, m, v, t, …)
    state_after: dict  # … and after

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays of this detail."""
        arrays = [self.X_batch, self.y_batch, self.sample_loss, self.dloss_da, self.da_dz, self.dloss_dz, self.grads,
                  self.penalty_grads, self.params_before, self.params_after,
                  *(x for layer in self.layers for x in layer),
                  *(v for s in (self.state_before, self.state_after) for v in s.values() if isinstance(v, np.ndarray))]
        return sum(x.nbytes for x in arrays)

    @property
    def m(self) -> int:
        """Rows in this batch."""
        return self.y_batch.size

    @property
    def k(self) -> int:
        """Inputs of the output neuron (features, or units of the last hidden layer)."""
        return self.sizes[-2]

    @property
    def hidden(self) -> bool:
        """Whether the network has hidden layers."""
        return len(self.sizes) > 2

    @property
    def fused(self) -> bool:
        """Sigmoid output with cross-entropy: the engine uses dℓ/dz = a − y directly."""
        return self.activation == "sigmoid" and self.loss_name == "bce"

    @property
    def clipped(self) -> np.ndarray:
        """(m,) True where cross-entropy clipped the output a to [EPS, 1 − EPS]: no gradient flows there.

        Only cross-entropy on an output that is not a sigmoid clips (the fused sigmoid form never does).
        """
        if self.loss_name != "bce" or self.fused:
            return np.zeros(self.m, dtype=bool)
        return (self.a <= EPS) | (self.a >= 1.0 - EPS)

    @property
    def inputs(self) -> np.ndarray:
        """(m, k) inputs of the output neuron: x, or the last hidden layer's activations h."""
        return self.layers[-2][1] if self.hidden else self.X_batch

    @property
    def z(self) -> np.ndarray:
        """(m,) the output neuron's pre-activation."""
        return self.layers[-1][0][:, 0]

    @property
    def a(self) -> np.ndarray:
        """(m,) the output neuron's activation (the prediction)."""
        return self.layers[-1][1][:, 0]

    @property
    def output_slice(self) -> slice:
        """Where the output neuron's weights and bias sit in the flat parameter vector."""
        return slice(self.params_before.size - self.k - 1, self.params_before.size)

    @property
    def sample_grads(self) -> np.ndarray:
        """(m, k + 1) dℓ_i/dw_j = dℓ_i/dz_i · x_ij (or h_ij), and dℓ_i/db = dℓ_i/dz_i in the last column."""
        return self.dloss_dz[:, None] * np.hstack([self.inputs, np.ones((self.m, 1))])

    def moments_hat(self) -> tuple[np.ndarray, np.ndarray]:
        """Adam's bias-corrected moments after the update: m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)."""
        s = self.state_after
        return s["m"] / (1.0 - s["beta1"] ** s["t"]), s["v"] / (1.0 - s["beta2"] ** s["t"])


class Replay:
    """A run replayed update by update, for stepping through it.

    Asking for a later update continues from where the replay stands, so ▶ costs one update. The
    updates just before the one asked for are captured on the way and remembered (up to `keep`
    of them, within `max_bytes`), so ◀ rarely has to replay the run from the start.
    """

    def __init__(self, exp: Experiment, keep: int = 64, behind: int = 16, max_bytes: int = 32_000_000):
        self.exp, self.keep, self.behind, self.max_bytes = exp, keep, behind, max_bytes
        self.last_step = last_step(exp)
        self._explained: OrderedDict[int, StepDetail] = OrderedDict()
        self._restart()

    def _restart(self) -> None:
        self.run = self.exp.training_run()
        self._batches = self.run.batches()
        self.applied = 0  # updates applied so far

    def explain(self, step: int, progress=None) -> StepDetail:
        """The StepDetail of update `step` (1 ≤ step ≤ last_step); `progress(fraction)`, if given, is called after
        every update replayed on the way (it may raise to stop)."""
        step = int(step)
        if not 1 <= step <= self.last_step:
            raise ValueError(f"step must be between 1 and {self.last_step}, got {step}")
        if step in self._explained:
            self._explained.move_to_end(step)
            return self._explained[step]
        if step <= self.applied:
            self._restart()
        net, optimizer = self.run.net, self.run.optimizer
        with np.errstate(all="ignore"), one_thread():  # as TrainingRun.run
            while self.applied < step:
                batch = next(self._batches)
                if self.applied + 1 >= step - self.behind:
                    self._remember(self._capture(*batch))
                else:
                    self.run.batch_gradient(batch[2], batch[3])
                    optimizer.step(net.params, net.grads)
                self.applied += 1
                if progress is not None:
                    progress(self.applied / step)
        return self._explained[step]

    def _remember(self, detail: StepDetail) -> None:
        self._explained[detail.step] = detail
        self._explained.move_to_end(detail.step)
        size = sum(d.nbytes for d in self._explained.values())
        while len(self._explained) > 1 and (len(self._explained) > self.keep or size > self.max_bytes):
            size -= self._explained.popitem(last=False)[1].nbytes

    def _capture(self, epoch: int, batch: int, X_batch: np.ndarray, y_batch: np.ndarray) -> StepDetail:
        """Apply the next update exactly as the engine does, recording every number along the way."""
        net, optimizer = self.run.net, self.run.optimizer
        X_batch, y_batch = X_batch.copy(), y_batch.copy()
        params_before, state_before = net.params.copy(), _optimizer_state(optimizer)
        layers = tuple(net.forward(X_batch))
        penalty_grads = net.penalty_gradient(self.run.regularization, self.run.regularization_rate)
        loss, penalty = self.run.batch_gradient(X_batch, y_batch)
        grads = net.grads.copy()
        optimizer.step(net.params, net.grads)
        z, a = layers[-1]
        m = y_batch.shape[0]
        _, delta = output_loss_and_delta(z, a, y_batch, net.output_activation, net.loss)  # (m, 1), includes 1/m
        dloss_da = net.loss.df(a, y_batch)[:, 0] * m
        da_dz = np.broadcast_to(np.asarray(net.output_activation.df(z, a), dtype=np.float64), z.shape)[:, 0]
        if net.loss.name == "mse":
            sample_loss = (a - y_batch)[:, 0] ** 2
        elif net.output_activation.name == "sigmoid":
            sample_loss = bce_logits_per_point(z, y_batch)[:, 0]
        else:
            sample_loss = bce_per_point(a, y_batch)[:, 0]
        return StepDetail(
            step=self.applied + 1, epoch=epoch, batch=batch, steps_per_epoch=self.run.steps_per_epoch,
            sizes=net.sizes, activation=net.output_activation.name,
            hidden_activation=net.hidden_activation.name, loss_name=net.loss.name,
            optimizer=self.exp.settings.optimizer, X_batch=X_batch, y_batch=y_batch[:, 0], layers=layers,
            loss=loss, penalty=penalty, sample_loss=sample_loss, dloss_da=dloss_da, da_dz=da_dz.copy(),
            dloss_dz=delta[:, 0] * m, grads=grads, penalty_grads=penalty_grads, params_before=params_before,
            params_after=net.params.copy(), regularization=self.run.regularization,
            regularization_rate=self.run.regularization_rate, state_before=state_before,
            state_after=_optimizer_state(optimizer),
        )


def explain_step(exp: Experiment, step: int) -> StepDetail:
    """Update `step` (1-based, up to `last_step(exp)`) of the run of `exp`, replayed from the start."""
    return Replay(exp, keep=1, behind=0).explain(step)


def parameter_names(sizes: tuple[int, ...]) -> list[tuple[str, str]]:
    """(layer, parameter) names in the flat parameter order of network.py, e.g. ("hidden 1", "w x2→h1").

    Inputs are x1…xp and the output ŷ; hidden units are h1…hk with one hidden layer, else h<layer>.<unit>.
    """
    n_hidden = len(sizes) - 2

    def unit(layer: int, j: int) -> str:  # layer 0: inputs; 1…n_hidden: hidden; n_hidden + 1: output
        if layer == 0:
            return f"x{j + 1}"
        if layer > n_hidden:
            return "ŷ"
        return f"h{j + 1}" if n_hidden == 1 else f"h{layer}.{j + 1}"

    names = []
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        label = "output" if layer > n_hidden else f"hidden {layer}"
        names += [(label, f"w {unit(layer - 1, i)}→{unit(layer, j)}") for i in range(fan_in) for j in range(fan_out)]
        names += [(label, f"b {unit(layer, j)}") for j in range(fan_out)]
    return names


def gradient_table(detail: StepDetail) -> dict[str, list]:
    """Every parameter of the network, layer by layer: value before, gradient dE/dθ, value after."""
    layers, names = zip(*parameter_names(detail.sizes))
    return {
        "layer": list(layers),
        "parameter": list(names),
        "before": detail.params_before.tolist(),
        "gradient": detail.grads.tolist(),
        "after": detail.params_after.tolist(),
    }
