"""Exports of a finished run, and the run file read back in. Pure Python/NumPy/pandas/Plotly (no Streamlit).

- `history_table` / `epoch_table`: the History as tables (CSV via `csv_bytes`).
- `run_json` / `parse_run_file`: settings + final parameters as JSON, and that file validated on the way
  back (`RunFileError` carries a message for the page; settings go through `Settings.from_mapping`).
- `animation_html`: a figure dict as one self-contained HTML page (Plotly's library inlined).
- `python_script`: a NumPy-only script that embeds the training data and re-runs the training; it
  reproduces the engine's final parameters (tests/test_export.py checks this to 1e-9).
"""

from __future__ import annotations

import hashlib
import json
import math
import string
import textwrap
from dataclasses import asdict, dataclass, fields
from functools import cache

import numpy as np
import pandas as pd

from .engine import EXPLODE_FACTOR
from .settings import FIELDS, Settings

APP = "neuron-playground"
FORMAT_VERSION = 1
MAX_RUN_FILE_BYTES = 2_000_000  # a run file is a few KB (its parameters); anything bigger is not one
_TOP_LEVEL = ("app", "version", "settings", "final", "data")
_FINAL_NUMBERS = ("bias", "train_loss", "validation_loss")
_SHOWN_NAMES = 8


# ---------------------------------------------------------------------------------------------- CSV


def weight_columns(exp) -> list[str]:
    """Column names of the output neuron's weights: w[<feature>], or w[h<j>] after hidden layers."""
    h = exp.history
    if len(h.sizes) > 2:
        return [f"w[h{j + 1}]" for j in range(h.sizes[-2])]
    return [f"w[{name}]" for name in exp.dataset.feature_names]


def history_table(exp) -> pd.DataFrame:
    """One row per recorded frame: step, epoch, batch, batch_loss, the output neuron's weights and bias."""
    h = exp.history
    table = pd.DataFrame({"step": h.step, "epoch": h.epoch, "batch": h.batch, "batch_loss": h.batch_loss})
    weights = pd.DataFrame(h.w, columns=weight_columns(exp))
    return pd.concat([table, weights], axis=1).assign(b=h.b)


def epoch_table(exp) -> pd.DataFrame:
    """Full-data losses before training (epoch 0) and after each epoch; validation empty without it."""
    h = exp.history
    validation = h.val_loss if h.val_loss is not None else np.full(h.train_loss.size, np.nan)
    return pd.DataFrame({"epoch": np.arange(h.train_loss.size), "train_loss": h.train_loss,
                         "validation_loss": validation})


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV, floats at full precision (they read back bit for bit)."""
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


# --------------------------------------------------------------------------------------------- JSON


def csv_fingerprint(upload: bytes | None) -> str | None:
    """A short hash of an uploaded CSV, to tell later whether the same file is loaded."""
    return None if upload is None else hashlib.sha256(upload).hexdigest()[:12]


def run_record(exp, upload: bytes | None = None) -> dict:
    """Settings (as run) and final parameters, in the run-file format (see `run_json`)."""
    h = exp.history
    return {
        "app": APP,
        "version": FORMAT_VERSION,
        "settings": asdict(exp.settings),
        "final": {
            "params": h.params[-1].tolist(),
            "weights": h.w[-1].tolist(),
            "bias": float(h.b[-1]),
            "train_loss": _finite_or_none(h.train_loss[-1]),
            "validation_loss": None if h.val_loss is None else _finite_or_none(h.val_loss[-1]),
            "updates": int(h.step[-1]),
            "diverged_at": h.diverged_at,
        },
        "data": {
            "name": exp.dataset.name,
            "train_rows": len(exp.y_train),
            "validation_rows": len(exp.y_val),
            "csv_sha256": csv_fingerprint(upload) if exp.settings.dataset == "upload" else None,
        },
    }


def run_json(exp, upload: bytes | None = None) -> str:
    """The run file: {"app", "version", "settings", "final": {params, weights, bias, train_loss, …}, "data"}.

    Floats are written with `repr` precision, so the parameters read back exactly.
    """
    return json.dumps(run_record(exp, upload), indent=2, allow_nan=False) + "\n"


def _finite_or_none(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


class RunFileError(ValueError):
    """A run file that cannot be loaded; the message says why, in words for the page."""


@dataclass(frozen=True)
class LoadedRun:
    """A validated run file: the settings to apply and what the file says the run reached."""

    settings: Settings
    notices: tuple[str, ...]  # values clamped, unknown fields ignored, fields missing
    params: tuple[float, ...] | None  # final parameters, if the file has them
    csv_sha256: str | None  # the uploaded CSV the run was trained on, if any
    adjusted: bool = False  # some setting is not the file's (out of range, unusable or missing)


def parse_run_file(data: bytes) -> LoadedRun:
    """Validate a run file (bytes of JSON); RunFileError with a readable message if it is unusable."""
    record = _decode_json(data)
    if not isinstance(record, dict):
        raise RunFileError(f"This file holds a JSON {_json_type(record)}, not a run: a run file is an object "
                           '{"app": "neuron-playground", "version": 1, "settings": {…}, "final": {…}}.')
    if record.get("app") != APP:
        raise RunFileError('This JSON file was not saved by the Neuron Playground (it needs "app": '
                           f'"{APP}"; found {_shown(record.get("app"))}).')
    version = record.get("version")
    if isinstance(version, bool) or not isinstance(version, int | float) or version != FORMAT_VERSION:
        newer = isinstance(version, int | float) and not isinstance(version, bool) and version > FORMAT_VERSION
        raise RunFileError(f"This run file is format version {_shown(version)}; this page reads version "
                           f"{FORMAT_VERSION}" + (" (the file comes from a newer playground)." if newer else "."))
    raw = record.get("settings")
    if not isinstance(raw, dict):
        raise RunFileError(f'The file has no "settings" object (found {_shown(raw)}).')
    notices = []
    unknown_top = [key for key in record if key not in _TOP_LEVEL]
    if unknown_top:
        notices.append(f"Ignored unknown entries in the file: {_names(unknown_top)}.")
    unknown = [key for key in raw if key not in FIELDS]
    if unknown:
        notices.append(f"Ignored unknown settings: {_names(unknown)}.")
    missing = [f.name for f in fields(Settings) if f.name not in raw]
    if missing:
        notices.append(f"Not in the file, so left at their defaults: {_names(missing)}.")
    settings, coerced = Settings.from_mapping({k: v for k, v in raw.items() if k in FIELDS})
    params = _final_params(record.get("final"))
    csv_sha = (record.get("data") or {}).get("csv_sha256") if isinstance(record.get("data"), dict) else None
    return LoadedRun(settings, tuple(notices + coerced), params, csv_sha if isinstance(csv_sha, str) else None,
                     adjusted=bool(coerced or missing))


def _decode_json(data: bytes):
    if len(data) > MAX_RUN_FILE_BYTES:
        raise RunFileError(f"This file is {len(data) / 1e6:.1f} MB; a run file is a few KB. "
                           "Load the .json file that “Settings and final weights” saves.")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RunFileError("This file is not text (UTF-8), so it is not a run file: load the .json file "
                           "that “Settings and final weights” saves.") from error
    if not text.strip():
        raise RunFileError("This file is empty.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RunFileError(f"This file is not valid JSON: {error.msg} (line {error.lineno}, "
                           f"column {error.colno}).") from error
    except RecursionError as error:
        raise RunFileError("This file is not a run file: its JSON is nested too deeply.") from error


def _final_params(final) -> tuple[float, ...] | None:
    """The final parameters of a file's "final" object (None without one); RunFileError if malformed."""
    if final is None:
        return None
    if not isinstance(final, dict):
        raise RunFileError(f'"final" must be an object with the final parameters (found {_shown(final)}).')
    params = final.get("params")
    if not isinstance(params, list) or not params or not all(_is_number(v) for v in params):
        raise RunFileError('"final.params" must be a non-empty list of finite numbers '
                           f"(found {_shown(params)}).")
    weights = final.get("weights", [])
    if not isinstance(weights, list) or not all(_is_number(v) for v in weights):
        raise RunFileError(f'"final.weights" must be a list of numbers (found {_shown(weights)}).')
    for key in _FINAL_NUMBERS:
        if final.get(key) is not None and not _is_number(final[key]):
            raise RunFileError(f'"final.{key}" must be a number (found {_shown(final[key])}).')
    return tuple(float(v) for v in params)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_type(value) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "true/false",
            type(None): "null"}.get(type(value), "value")


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "nothing"
    return text if len(text) <= 40 else text[:39] + "…"


def _names(names: list[str]) -> str:
    shown = ", ".join(str(name)[:40] for name in names[:_SHOWN_NAMES])
    return shown + (f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else "")


def compare_final(expected: tuple[float, ...], params: np.ndarray) -> tuple[bool, str]:
    """(equal, sentence): whether the re-created run ended at the file's parameters, bit for bit."""
    params = np.asarray(params, dtype=np.float64)
    if len(expected) != params.size:
        return False, (f"The file has {len(expected)} parameters but this run has {params.size}: "
                       "the network is not the same.")
    difference = float(np.max(np.abs(np.asarray(expected) - params)))
    if difference == 0.0:
        return True, f"The re-created run ends at the file's final weights: all {params.size} parameters equal."
    return False, f"The re-created run does not end at the file's final weights (largest difference {difference:.3g})."


# --------------------------------------------------------------------------------------------- HTML


@cache
def plotly_js_bytes() -> int:
    """Size of Plotly's JavaScript library, which a self-contained HTML file carries."""
    from plotly.offline import get_plotlyjs

    return len(get_plotlyjs().encode("utf-8"))


def figure_json(figure: dict) -> str:
    """The figure as the JSON an HTML export embeds."""
    import plotly.io as pio

    return pio.to_json(figure, validate=False)


def animation_html(figure: dict, title: str = "Neuron Playground") -> str:
    """The figure as a standalone page that works offline (Plotly inlined), paused at its last frame."""
    import plotly.io as pio

    html = pio.to_html(figure, include_plotlyjs=True, auto_play=False, full_html=True, validate=False,
                       config={"displaylogo": False})
    return html.replace("<head>", f"<head><title>{_escape(title)}</title>", 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ------------------------------------------------------------------------------------------- Script


def python_script(exp) -> str:
    """A standalone NumPy script that re-runs this training and prints the final parameters."""
    s, h = exp.settings, exp.history
    has_val = len(exp.y_val) > 0
    features = ", ".join(exp.dataset.feature_names)
    scaled = ("The features below are already standardized (mean 0, sd 1 on the training rows), as the "
              "playground\ntrained on them." if s.standardize else "The features below are as the playground "
              "trained on them (not standardized).")
    network = " → ".join(str(size) for size in h.sizes)
    return _SCRIPT.substitute(
        DATASET=_comment_safe(f"{exp.dataset.name}: {exp.dataset.description}"),
        SHAPE=f"{len(exp.y_train)} training rows" + (f" and {len(exp.y_val)} validation rows" if has_val else "")
        + f"; {len(exp.dataset.feature_names)} feature(s): {_comment_safe(features)[:300]}",
        TARGET=_comment_safe(exp.dataset.target_name),
        SCALED=scaled,
        NETWORK=network,
        SETTINGS=textwrap.fill(", ".join(f"{key}={value!r}" for key, value in asdict(s).items()), width=100,
                               subsequent_indent=" " * 10, break_long_words=False),
        OUTPUT_ACTIVATION=repr(h.activation),
        HIDDEN_ACTIVATION=repr(h.hidden_activation),
        HIDDEN=repr(tuple(h.sizes[1:-1])),
        LOSS=repr(h.loss),
        OPTIMIZER=repr(s.optimizer),
        LEARNING_RATE=repr(float(s.learning_rate)),
        BATCH_SIZE=repr(int(s.batch_size)),
        EPOCHS=repr(int(s.epochs)),
        SHUFFLE=repr(bool(s.shuffle)),
        SEED=repr(int(s.seed)),
        EXPLODE_FACTOR=repr(float(EXPLODE_FACTOR)),
        X_TRAIN=_matrix_literal(exp.X_train),
        Y_TRAIN=_vector_literal(exp.y_train),
        X_VAL=_matrix_literal(exp.X_val) if has_val else "None",
        Y_VAL=_vector_literal(exp.y_val) if has_val else "None",
    )


def _comment_safe(text: str) -> str:
    return " ".join(str(text).split()).replace('"""', "'''").replace("\\", "/")


def _floats(values) -> str:
    return ", ".join(repr(v) for v in np.asarray(values, dtype=np.float64).tolist())


def _matrix_literal(X: np.ndarray) -> str:
    """np.array([[...], ...]) with one row per line; repr floats read back exactly."""
    rows = ",\n".join(f"    [{_floats(row)}]" for row in X)
    return f"np.array([\n{rows},\n])"


def _vector_literal(y: np.ndarray, per_line: int = 8) -> str:
    values = np.asarray(y, dtype=np.float64).tolist()
    lines = ",\n".join("    " + ", ".join(repr(v) for v in values[i : i + per_line])
                       for i in range(0, len(values), per_line))
    return f"np.array([\n{lines},\n])"


_SCRIPT = string.Template('''\
"""A run of the Neuron Playground, reproduced with NumPy only (no playground code needed).

Data:     $DATASET
          $SHAPE; target: $TARGET.
          $SCALED
Network:  $NETWORK (inputs → hidden layers → one output neuron)
Settings: $SETTINGS

Run:  python this_file.py     It prints the loss after each epoch, then the final weights, bias and
training loss, and last one JSON line with every parameter (the same numbers as the playground's).
"""

import json

import numpy as np

OUTPUT_ACTIVATION = $OUTPUT_ACTIVATION
HIDDEN_ACTIVATION = $HIDDEN_ACTIVATION  # used only by hidden layers
HIDDEN = $HIDDEN  # neurons per hidden layer; () = a single neuron
LOSS = $LOSS  # "mse" (mean squared error) or "bce" (binary cross-entropy)
OPTIMIZER = $OPTIMIZER
LEARNING_RATE = $LEARNING_RATE
BATCH_SIZE = $BATCH_SIZE
EPOCHS = $EPOCHS
SHUFFLE = $SHUFFLE  # draw the batches in a new random order each epoch
SEED = $SEED  # fixes the starting weights and the batch order
EXPLODE_FACTOR = $EXPLODE_FACTOR  # a loss above this × max(initial loss, 1) stops training: diverged


# Activations g(z), each with its derivative dg/dz written from z and a = g(z).
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))  # 1 / (1 + e^-z), without overflow for any z


ACTIVATIONS = {
    "linear": (lambda z: z, lambda z, a: 1.0),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z, a: np.where(z > 0, 1.0, 0.01)),
}
EPS = 1e-7  # cross-entropy clips probabilities to [EPS, 1 - EPS]


def loss_and_delta(z, a, y):
    """Loss of the output (z, a) against targets y, all (m, 1), and dL/dz for backpropagation."""
    if LOSS == "bce" and OUTPUT_ACTIVATION == "sigmoid":  # computed from z: exact, never log(0)
        value = np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))))
        return float(value), (sigmoid(z) - y) / z.size  # the famous "prediction - target"
    if LOSS == "mse":
        err = a - y
        value, dL_da = float(np.vdot(err, err)) / err.size, (2.0 / a.size) * (a - y)
    else:
        p = np.clip(a, EPS, 1.0 - EPS)
        value = float(np.mean(-(y * np.log(p) + (1.0 - y) * np.log1p(-p))))
        inside = (a > EPS) & (a < 1.0 - EPS)
        dL_da = np.where(inside, (p - y) / (p * (1.0 - p)), 0.0) / a.size
    return value, dL_da * ACTIVATIONS[OUTPUT_ACTIVATION][1](z, a)  # chain rule: dL/dz = dL/da · da/dz


def layers(flat, sizes):
    """(W, b) views into one flat vector: W (fan_in, fan_out) then b (fan_out,), layer after layer."""
    views, start = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        views.append((W, flat[start : start + fan_out]))
        start += fan_out
    return views


def forward(net, X):
    """(z, a) of every layer: z = a_prev @ W + b, a = g(z). The last pair is the output neuron."""
    cache, a = [], X
    for i, (W, b) in enumerate(net):
        z = a @ W + b
        a = ACTIVATIONS[OUTPUT_ACTIVATION if i == len(net) - 1 else HIDDEN_ACTIVATION][0](z)
        cache.append((z, a))
    return cache


def loss_and_gradient(net, grads, X, y):
    """Loss on a batch; writes dL/dW and dL/db of every layer into `grads` (backpropagation)."""
    cache = forward(net, X)
    value, delta = loss_and_delta(*cache[-1], y)  # delta = dL/dz of the current layer, (m, units)
    for i in range(len(net) - 1, -1, -1):
        a_prev = cache[i - 1][1] if i else X
        np.matmul(a_prev.T, delta, out=grads[i][0])  # dL/dW = a_prevᵀ · delta
        np.sum(delta, axis=0, out=grads[i][1])  # dL/db = delta summed over the batch
        if i:
            z_prev, a_prev = cache[i - 1]
            delta = (delta @ net[i][0].T) * ACTIVATIONS[HIDDEN_ACTIVATION][1](z_prev, a_prev)
    return value


def make_optimizer(n_params):
    """The update rule θ ← θ - step, with PyTorch's formulas and defaults; it updates θ in place."""
    m, v, t = np.zeros(n_params), np.zeros(n_params), [0]
    beta1, beta2, alpha, mu, eps = 0.9, 0.999, 0.99, 0.9, 1e-8

    def step(theta, g):
        if OPTIMIZER == "sgd":  # θ -= lr·g
            theta -= LEARNING_RATE * g
        elif OPTIMIZER == "momentum":  # v = μ·v + g;  θ -= lr·v
            v[:] = v * mu + g
            theta -= LEARNING_RATE * v
        elif OPTIMIZER == "rmsprop":  # v = α·v + (1-α)·g²;  θ -= lr·g / (√v + ε)
            v[:] = v * alpha + (1.0 - alpha) * g * g
            theta -= LEARNING_RATE * g / (np.sqrt(v) + eps)
        else:  # adam: moments m (of g) and v (of g²), bias-corrected by 1 - β^t
            t[0] += 1
            m[:] = m * beta1 + (1.0 - beta1) * g
            v[:] = v * beta2 + (1.0 - beta2) * g * g
            m_hat, v_hat = m / (1.0 - beta1 ** t[0]), v / (1.0 - beta2 ** t[0])
            theta -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + eps)

    return step


def train(X, y, X_val=None, y_val=None):
    """Mini-batch training; returns the final parameters, the per-epoch losses and the divergence step."""
    n, p = X.shape
    sizes = (p, *HIDDEN, 1)
    rng = np.random.default_rng(SEED)
    theta = np.zeros(sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])))
    grad = np.zeros_like(theta)
    net, grads = layers(theta, sizes), layers(grad, sizes)
    for W, b in net:  # Glorot-uniform starting weights, zero biases (as Keras's Dense layer)
        limit = np.sqrt(6.0 / (W.shape[0] + W.shape[1]))
        W[...] = rng.uniform(-limit, limit, size=W.shape)
        b[...] = 0.0
    step_rule = make_optimizer(theta.size)

    def full_loss(step):  # (step, train loss, validation loss) on all the data
        train_loss = loss_and_delta(*forward(net, X)[-1], y[:, None])[0]
        val_loss = None if X_val is None else loss_and_delta(*forward(net, X_val)[-1], y_val[:, None])[0]
        return step, train_loss, val_loss

    epochs = [full_loss(0)]
    too_big = EXPLODE_FACTOR * max(epochs[0][1], 1.0)
    previous = theta.copy()  # the state before the latest update, kept in case the loss explodes

    def exploded(step):  # stop: keep the state before the bad update and the losses before it
        return previous, [e for e in epochs if e[0] < step] or epochs[:1], step

    if not epochs[0][1] <= too_big:
        return exploded(0)
    step, batch_size, y_col = 0, min(BATCH_SIZE, n), y[:, None]
    for _ in range(EPOCHS):
        X_epoch, y_epoch = X, y_col
        if SHUFFLE:
            order = rng.permutation(n)
            X_epoch, y_epoch = X[order], y_col[order]
        for start in range(0, n, batch_size):  # the last batch may be smaller
            batch_loss = loss_and_gradient(net, grads, X_epoch[start : start + batch_size],
                                           y_epoch[start : start + batch_size])
            if not batch_loss <= too_big:  # exploded, or NaN: this state came from a bad update
                return exploded(step)
            previous[:] = theta
            step_rule(theta, grad)
            step += 1
        epochs.append(full_loss(step))
        if not epochs[-1][1] <= too_big:
            return exploded(step)
    return theta, epochs, None


def main():
    np.seterr(all="ignore")  # a diverging run overflows on purpose; the check above stops it
    theta, epochs, diverged_at = train(X_TRAIN, Y_TRAIN, X_VAL, Y_VAL)
    print("epoch  train loss" + ("  validation loss" if X_VAL is not None else ""))
    for epoch, (_, train_loss, val_loss) in enumerate(epochs):
        print(f"{epoch:5d}  {train_loss:10.6g}" + (f"  {val_loss:15.6g}" if val_loss is not None else ""))
    if diverged_at is not None:
        print(f"The loss exploded at step {diverged_at}: kept the parameters from just before it.")
    k = (HIDDEN or (X_TRAIN.shape[1],))[-1]  # inputs of the output neuron
    print("output neuron weights:", theta[-k - 1 : -1].tolist())
    print("output neuron bias:   ", float(theta[-1]))
    print("final training loss:  ", epochs[-1][1])
    print(json.dumps({"params": theta.tolist(), "weights": theta[-k - 1 : -1].tolist(), "bias": float(theta[-1]),
                      "train_loss": epochs[-1][1], "diverged_at": diverged_at}))


# The data, exactly as the playground trained on it (every float written to full precision).
X_TRAIN = $X_TRAIN
Y_TRAIN = $Y_TRAIN
X_VAL = $X_VAL
Y_VAL = $Y_VAL

if __name__ == "__main__":
    main()
''')

SCRIPT_CODE_LINES = _SCRIPT.template.partition("# The data, exactly")[0].count("\n")  # lines before the data
