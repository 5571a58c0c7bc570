"""What the lessons' numbers are measured from: the runs each lesson describes, as plain JSON values.

Not a test module. tests/test_claims.py compares every number a lesson states with these measurements, and
with the same measurements made under changes that leave the mathematics alone (another BLAS kernel, starting
weights one unit in the last place away): a claim must hold under all of them, not only on one machine's last
bits. Run as a script it prints the measurements as JSON, with the perturbation the environment asks for:

    OPENBLAS_CORETYPE=Sandybridge PLAYGROUND_NUDGE_ULPS=-1 python -m tests.lesson_measurements
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np

from playground.engine.network import Network
from playground.experiment import run_experiment
from playground.lessons import LESSONS
from playground.settings import Settings

NUDGE_ENV = "PLAYGROUND_NUDGE_ULPS"
SEEDS_DIGITS = range(20)
SEEDS_NONLINEAR = range(10)
SATURATED_Z = 4.6  # σ'(z) < 0.01 beyond it: a saturated sigmoid passes on less than 4 % of its steepest gradient


def nudge_starting_weights(ulps: int) -> None:
    """From now on every network starts with each Glorot weight `ulps` units in the last place away (biases stay
    0): the same mathematics, other last bits."""
    if not ulps:
        return
    glorot = Network.init_glorot
    toward = np.inf if ulps > 0 else -np.inf

    def nudged(self, rng):
        glorot(self, rng)
        for W in self.weights:
            for _ in range(abs(ulps)):
                W[...] = np.nextafter(W, toward)

    Network.init_glorot = nudged


def part(lesson: str, index: int = 0, **changes) -> Settings:
    """A lesson part's settings with `changes` (validated like a link)."""
    return Settings.from_mapping({**LESSONS[lesson].parts[index].preset, **changes})[0]


def accuracy(exp, X, y) -> float:
    """Share of points whose P(class 1) ≥ 0.5 agrees with the label."""
    return float(np.mean((exp.history.predict(X) >= 0.5) == (y == 1)))


def held_out(exp) -> float:
    """Held-out (validation) accuracy of a run's final state."""
    return accuracy(exp, exp.X_val, exp.y_val)


def line() -> dict:
    """Notebook 000's neuron: which learning rates explode, and how far 30 and 500 epochs at 0.001 end from lstsq."""
    base = part("line")
    diverged = {f"{optimizer} {rate:g}": run_experiment(replace(base, optimizer=optimizer, learning_rate=rate))
                .history.diverged_at is not None for optimizer, rate in (("sgd", 0.6), ("sgd", 1.5), ("adam", 10.0))}
    slow = {epochs: run_experiment(replace(base, learning_rate=0.001, epochs=epochs)) for epochs in (30, 500)}
    X, y = slow[30].X_train, slow[30].y_train
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    return {"diverged": diverged, "slope_gap": {str(e): abs(float(r.history.w[-1, 0] - exact[0]))
                                                for e, r in slow.items()}}


def gradient_descent() -> dict:
    """Notebook 001's data and run: sizes, the slope, the spread of x, w's goal, the path's straightness."""
    exp = run_experiment(part("gradient-descent"))
    raw = exp.scaler.inverse_transform(exp.X_train)[:, 0]
    path = exp.history.params[:, :2]  # (F, 2): (w, b) at every update
    along, moved = path[-1] - path[0], path - path[0]
    off_line = np.abs(along[0] * moved[:, 1] - along[1] * moved[:, 0]) / np.linalg.norm(along)
    return {
        "epochs": exp.settings.epochs, "steps_per_epoch": exp.history.steps_per_epoch, "n_train": len(exp.y_train),
        "raw_slope": float(np.polyfit(raw, exp.y_train, 1)[0]), "x_scale": float(exp.scaler.scale_[0]),
        "standardized_slope": float(np.polyfit(exp.X_train[:, 0], exp.y_train, 1)[0]),
        "path_off_line": float(off_line.max() / np.linalg.norm(along)),
        "unscaled_diverged": run_experiment(replace(exp.settings, standardize=False)).history.diverged_at is not None,
    }


def digits() -> dict:
    """Notebook 002 over 20 seeds (each its own split and start): held-out accuracy of one neuron and of the hidden
    layer of 4, with the lesson's standardized pixels and with the notebook's raw ones."""
    found = {}
    for standardize in (True, False):
        kind = "standardized" if standardize else "raw"
        for index in (0, 1):
            runs = [run_experiment(part("digits", index, seed=seed, standardize=standardize)) for seed in SEEDS_DIGITS]
            found[f"{kind} {index}"] = [held_out(exp) for exp in runs]
        # Share of (training image, hidden neuron) pairs whose sigmoid starts saturated: σ'(z) < 0.01, |z| > 4.6.
        found[f"{kind} saturated at the start"] = [
            float(np.mean(np.abs(exp.history.network(0).forward(exp.X_train)[0][0]) > SATURATED_Z)) for exp in runs]
    found["parameters 1"] = int(run_experiment(part("digits", 1)).history.params.shape[1])
    return found


def set_weights() -> dict:
    """Notebook 003: the line Adam finds on the two houses."""
    h = run_experiment(part("set-weights")).history
    return {"w": float(h.w[-1, 0]), "b": float(h.b[-1])}


def nonlinear() -> dict:
    """TensorFlow Playground's ground over 10 seeds: held-out accuracies of each part, and the overfitting runs'
    validation losses."""
    def runs(index, **changes):
        return [run_experiment(part("nonlinear", index, seed=seed, **changes)) for seed in SEEDS_NONLINEAR]

    found = {f"{index} {dataset}": [held_out(exp) for exp in runs(index, dataset=dataset)]
             for index, dataset in ((0, "circles"), (0, "xor"), (1, "circles"), (2, "xor"), (2, "circles"))}
    found["sizes 1"] = list(run_experiment(part("nonlinear", 1)).history.sizes)
    found["sizes 2"] = list(run_experiment(part("nonlinear", 2)).history.sizes)
    for index in (3, 4):
        each = runs(index)
        found[f"{index} val_loss"] = [exp.history.val_loss.tolist() for exp in each]
        found[f"{index} held_out"] = [held_out(exp) for exp in each]
        found[f"{index} train"] = [accuracy(exp, exp.X_train, exp.y_train) for exp in each]
        found[f"{index} penalty"] = [[exp.history.regularization, exp.history.regularization_rate] for exp in each]
    shown = run_experiment(part("nonlinear", 3))  # the seed the page opens on
    found["3 shown"] = {"seed": shown.settings.seed, "val_loss": shown.history.val_loss.tolist(),
                        "parameters": int(shown.history.params.shape[1]), "n_train": len(shown.y_train)}
    return found


MEASUREMENTS = {"line": line, "gradient-descent": gradient_descent, "digits": digits, "set-weights": set_weights,
                "nonlinear": nonlinear}


def measure_all() -> dict:
    """Every lesson's measurements, keyed by lesson id."""
    return {lesson: measure() for lesson, measure in MEASUREMENTS.items()}


if __name__ == "__main__":
    nudge_starting_weights(int(os.environ.get(NUDGE_ENV, "0")))
    print(json.dumps(measure_all()))
