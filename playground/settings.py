"""The one settings schema: every control of the page, declared once.

Each field of `Settings` carries its metadata (kind, range, step, options, label, help, group).
From it come the sidebar widgets (sections/sidebar.py), the shareable URL (`to_query` /
`from_query`), the lesson presets (lessons.py) and the validation (`Settings.validated`): values
outside a range are clamped and unknown ones ignored, each with a notice, never an exception.
Text settings (the target and feature names) are names: one line of printable characters, at most
`safe_text.MAX_NAME_CHARS` each and MAX_FEATURES features (`safe_text.clean_name`); the target exists
only for an uploaded CSV and is dropped for any other dataset. Which names are columns of the data is
decided where the data is known (`experiment.drop_unknown_columns`).
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from . import features as input_features
from .data import MAX_FEATURES
from .datasets import DATASETS, DIGIT_TARGETS, UPLOAD
from .engine import ACTIVATIONS, OPTIMIZERS, REGULARIZERS
from .safe_text import clean_name, quoted, quoted_list

GROUPS = ("Data", "Model", "Training")

# Learning rates on a log scale, 1e-4 … 10: 1, 1.5, 2, 3, 4, 5, 6, 8 per decade (0.6 is seed 000's).
LEARNING_RATES = tuple(
    round(m * 10.0**d, 10) for d in range(-4, 1) for m in (1, 1.5, 2, 3, 4, 5, 6, 8)
) + (10.0,)
# Penalty strengths λ, 0 then 1e-4 … 10 (TensorFlow Playground's ladder).
REGULARIZATION_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_EPOCHS = 500
MAX_POINTS = 2000
MAX_STEPS = 20_000  # updates per run (≈1–2 s at most); longer requests are trimmed to fewer epochs, with a message

_NAMES = {"linear": "Linear", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
          "sgd": "SGD", "momentum": "Momentum", "rmsprop": "RMSProp", "adam": "Adam",
          "none": "None", "l1": "L1 (λ·Σ|w|)", "l2": "L2 (λ·Σw²)"}
ACTIVATION_LABELS = {key: _NAMES[key] for key in ACTIVATIONS}  # the engine decides what exists
OPTIMIZER_LABELS = {key: _NAMES[key] for key in OPTIMIZERS}
REGULARIZATION_LABELS = {key: _NAMES[key] for key in REGULARIZERS}
LOSS_LABELS = {"auto": "From the task", "mse": "Mean squared error", "bce": "Cross-entropy"}


def _meta(kind: str, default, label: str, help: str, group: str, **extra) -> Any:
    return field(default=default, metadata={"kind": kind, "label": label, "help": help, "group": group, **extra})


def choice(default: str, options: dict[str, str], label: str, help: str, group: str) -> Any:
    """A field picked from `options` (value → label)."""
    return _meta("choice", default, label, help, group, options=options)


def integer(default: int, lo: int, hi: int, label: str, help: str, group: str, step: int = 1) -> Any:
    """An integer field in [lo, hi]."""
    return _meta("int", default, label, help, group, min=lo, max=hi, step=step)


def number(default: float, lo: float, hi: float, step: float, label: str, help: str, group: str) -> Any:
    """A float field in [lo, hi]."""
    return _meta("float", default, label, help, group, min=lo, max=hi, step=step)


def log_number(default: float, values: tuple[float, ...], label: str, help: str, group: str) -> Any:
    """A float field picked from a log-spaced ladder of values, possibly led by 0 (a URL value snaps to the nearest)."""
    return _meta("log", default, label, help, group, values=values, min=values[0], max=values[-1])


def flag(default: bool, label: str, help: str, group: str, view_only: bool = False) -> Any:
    """An on/off field; `view_only` ones change what is drawn, never the run (see Settings.run_part)."""
    return _meta("bool", default, label, help, group, view_only=view_only)


@dataclass(frozen=True)
class Settings:
    """Everything that decides a run: the same settings give the same data, run and charts."""

    # Data
    dataset: str = choice(
        "line", {key: d.label for key, d in DATASETS.items()}, "Dataset",
        "Which data the neuron learns from.", "Data",
    )
    digit_target: str = choice(
        "odd", DIGIT_TARGETS, "Digits target", "What the digits model answers (digits dataset only).", "Data"
    )
    target: str = _meta(
        "column", "", "Target column", "The column to predict (your CSV file). Empty = the last one.", "Data"
    )
    features: str = _meta(
        "features", "", "Features", "Input columns (multi-feature datasets). Empty = all.", "Data"
    )
    inputs: str = _meta(
        "inputs", "", "Input features",
        "What the network is fed, computed from the raw x1, x2 (or x): as TensorFlow Playground's FEATURES. "
        "Empty = the raw inputs.", "Data", options=input_features.LABELS,
    )
    n_points: int = integer(
        100, 4, MAX_POINTS, "Number of points", "How many points to generate (generated datasets).", "Data"
    )
    noise: float = number(
        1.0, 0.0, 3.0, 0.1, "Noise (× the notebook's)",
        "Scales the random noise of generated datasets; 1 = as in the notebook.", "Data",
    )
    validation_split: float = number(
        0.2, 0.0, 0.5, 0.05, "Validation fraction",
        "Share of the points held out to measure generalisation (never trained on).", "Data",
    )
    standardize: bool = flag(
        False, "Standardize features", "Rescale each feature to mean 0 and standard deviation 1.", "Data"
    )
    seed: int = integer(
        0, 0, 999_999, "Seed", "Fixes the data, the starting weights and the batch order.", "Data"
    )
    show_validation: bool = flag(
        True, "Show validation points",
        "Draw the held-out points on the fit (TensorFlow Playground's 'Show test data'); training never sees "
        "them either way.", "Data", view_only=True,
    )
    # Model
    activation: str = choice(
        "linear", ACTIVATION_LABELS, "Output activation",
        "g in ŷ = g(w·x + b). Sigmoid turns the neuron into logistic regression.", "Model",
    )
    hidden_layers: int = integer(
        0, 0, 3, "Hidden layers", "Layers of neurons between input and output (0 = a single neuron).", "Model"
    )
    hidden_units: int = integer(4, 1, 16, "Neurons per hidden layer", "Width of each hidden layer.", "Model")
    hidden_activation: str = choice(
        "tanh", ACTIVATION_LABELS, "Hidden activation", "Activation of the hidden neurons.", "Model"
    )
    loss: str = choice(
        "auto", LOSS_LABELS, "Loss",
        "What training minimises. 'From the task': MSE for numbers, cross-entropy for classes.", "Model",
    )
    # Training
    optimizer: str = choice(
        "adam", OPTIMIZER_LABELS, "Optimizer", "How each gradient becomes a step on the weights.", "Training"
    )
    learning_rate: float = log_number(
        0.6, LEARNING_RATES, "Learning rate",
        "Size of each step. Too big, and plain SGD overshoots the valley further at every step until the loss "
        "explodes; Adam keeps each step to about the learning rate, so it wanders instead.", "Training"
    )
    batch_size: int = integer(
        32, 1, MAX_POINTS, "Batch size",
        "Points per update: 1 = stochastic, all = full batch, in between = mini-batch.", "Training",
    )
    epochs: int = integer(30, 1, MAX_EPOCHS, "Epochs", "Passes over the training data.", "Training")
    shuffle: bool = flag(True, "Shuffle each epoch", "Draw the batches in a new random order each epoch.", "Training")
    regularization: str = choice(
        "none", REGULARIZATION_LABELS, "Regularization",
        "Adds a penalty on large weights (never the biases) to what training minimises.", "Training",
    )
    regularization_rate: float = log_number(
        0.01, REGULARIZATION_RATES, "Regularization rate",
        "λ, the penalty's weight: 0 = no penalty, larger = smaller weights.", "Training",
    )

    def validated(self) -> tuple[Settings, list[str]]:
        """A copy with every value coerced into its range, and a notice for each change."""
        return Settings.from_mapping(asdict(self))

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], base: Settings | None = None) -> tuple[Settings, list[str]]:
        """Settings from loose values (URL strings, JSON, presets) on top of `base`, plus notices."""
        base = base or cls()
        values, notices = {}, []
        for f in fields(cls):
            if f.name not in raw:
                continue
            value, notice = _coerce(f, raw[f.name])
            if notice:
                notices.append(notice)
            if value is not MISSING:
                values[f.name] = value
        settings = replace(base, **values)
        settings, dropped = _usable_inputs(settings, bool(raw.get("inputs")), bool(raw.get("features")))
        notices += dropped
        if settings.target and settings.dataset != UPLOAD:  # only a CSV file has columns to pick a target from
            if raw.get("target"):
                notices.append(f"{FIELDS['target'].metadata['label']}: {quoted(settings.target)} applies only to "
                               "an uploaded CSV file; ignored.")
            settings = replace(settings, target="")
        return settings, notices

    @classmethod
    def from_query(cls, params: dict[str, str], start: Settings | None = None) -> tuple[Settings, list[str]]:
        """Settings from URL query parameters, read as `to_query` writes them from `start` (default: the defaults):
        a link's dataset is switched to as the page switches it (`with_dataset`), then its other values apply.
        Names that are not settings are left to the caller."""
        raw = {k: v for k, v in params.items() if k in FIELDS}
        start = start or cls()
        dataset, _ = _coerce(FIELDS["dataset"], raw["dataset"]) if "dataset" in raw else (MISSING, None)
        base = start if dataset is MISSING or dataset == start.dataset else with_dataset(start, dataset)
        return cls.from_mapping(raw, base=base)

    def to_query(self, start: Settings | None = None) -> dict[str, str]:
        """URL query parameters that make these settings from `start` (default: the defaults), as `from_query`
        reads them: the dataset if it is another, then every setting that differs from what switching to that
        dataset gives (its recommended output, loss, scaling…). The shortest link that is this run."""
        start = start or Settings()
        base = start if self.dataset == start.dataset else with_dataset(start, self.dataset)
        return {
            f.name: _to_text(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(base, f.name) or (f.name == "dataset" and self.dataset != start.dataset)
        }

    def run_part(self) -> Settings:
        """These settings with every view-only field at its default: what decides the run (a cache key)."""
        return replace(self, **{f.name: f.default for f in fields(self) if f.metadata.get("view_only")})

    @property
    def hidden(self) -> tuple[int, ...]:
        """Hidden layer sizes, e.g. (4,) or ()."""
        return (self.hidden_units,) * self.hidden_layers


FIELDS = {f.name: f for f in fields(Settings)}


def with_dataset(current: Settings, dataset: str) -> Settings:
    """`current` switched to `dataset` as the page switches it: its features cleared and the settings that suit that
    dataset applied (a sigmoid output for classes, scaling, the number of points…: DatasetSpec.recommended)."""
    base = replace(current, dataset=dataset, features="")
    return Settings.from_mapping(DATASETS[dataset].recommended, base=base)[0]


def _usable_inputs(settings: Settings, asked: bool, asked_features: bool) -> tuple[Settings, list[str]]:
    """The input features this dataset can compute, canonical ("" when they are just its raw inputs), and a
    notice for what had to go (only when the value was asked for, not when a dataset change made it moot)."""
    n_raw = DATASETS[settings.dataset].raw_inputs
    ids = [key for key in settings.inputs.split(",") if key]
    kept = input_features.usable(ids, n_raw)
    label = FIELDS["inputs"].metadata["label"]
    notices = []
    if n_raw and settings.features:  # one or two raw inputs: the input features say what the network is fed
        if asked_features:
            notices.append(f"{FIELDS['features'].metadata['label']}: this dataset picks its inputs under "
                           f"{label}; ignored {quoted(settings.features)}.")
        settings = replace(settings, features="")
    if asked and ids and n_raw == 0:
        notices.append(f"{label}: this dataset's inputs are its own columns; ignored.")
    elif asked and len(kept) < len(ids):
        notices.append(f"{label}: this dataset has only {'x' if n_raw == 1 else 'x1 and x2'} to compute from; "
                       f"ignored {', '.join(input_features.LABELS[key] for key in ids if key not in kept)}.")
    value = "" if kept == input_features.RAW[:n_raw] else ",".join(kept)
    return replace(settings, inputs=value), notices


def _to_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _coerce(f, raw) -> tuple[Any, str | None]:
    """(value, notice) for one field; MISSING means the raw value is unusable and ignored."""
    meta, label = f.metadata, f.metadata["label"]
    kind = meta["kind"]
    if isinstance(raw, list | tuple):  # a repeated URL parameter: the last one wins
        raw = raw[-1] if raw else ""
    text = str(raw).strip()
    if kind == "choice":
        if text in meta["options"]:
            return text, None
        return MISSING, f"{label}: {quoted(text)} is not an option; kept the current value."
    if kind == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True, None
        if text.lower() in ("0", "false", "no", "off"):
            return False, None
        return MISSING, f"{label}: {quoted(text)} is not on/off; kept the current value."
    if kind == "features":
        return _names(label, text)
    if kind == "inputs":
        ids = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [key for key in ids if key not in meta["options"]]
        known = ",".join(key for key in meta["options"] if key in ids)  # the schema's order, no repeats
        return known, f"{label}: ignored {quoted_list(unknown, 3)}, not an input feature." if unknown else None
    if kind == "column":
        name, changes = clean_name(text)
        return name, f"{label}: {', '.join(changes)}; using {quoted(name)}." if changes else None
    try:
        number_ = float(text)
    except ValueError:
        return MISSING, f"{label}: {quoted(text)} is not a number; kept the current value."
    if not math.isfinite(number_):
        return MISSING, f"{label}: {quoted(text)} is not a finite number; kept the current value."
    lo, hi = meta["min"], meta["max"]
    clamped = min(max(number_, lo), hi)
    notice = None if clamped == number_ else f"{label}: {quoted(text)} is outside {lo:g}–{hi:g}; using {clamped:g}."
    if kind == "int":
        return int(round(clamped)), notice
    if kind == "log":
        positive = [v for v in meta["values"] if v > 0]  # 0, if on the ladder, is only ever exactly 0
        nearest = 0.0 if clamped <= 0 else min(positive, key=lambda v: abs(math.log(v) - math.log(clamped)))
        if notice is None and not math.isclose(nearest, clamped, rel_tol=1e-9):
            notice = f"{label}: {quoted(text)} is not on the scale; using the nearest, {nearest:g}."
        return nearest, notice
    step = meta["step"]
    return round(lo + round((clamped - lo) / step) * step, 10), notice


def _names(label: str, text: str) -> tuple[str, str | None]:
    """Comma-separated names, each cleaned by the name policy, empty ones dropped, at most MAX_FEATURES."""
    names, changes = [], []
    for part in text.split(","):
        name, changed = clean_name(part)
        changes += [change for change in changed if change not in changes]
        if name:
            names.append(name)
    if len(names) > MAX_FEATURES:
        changes.append(f"kept the first {MAX_FEATURES} of {len(names)} names")
        names = names[:MAX_FEATURES]
    return ",".join(names), f"{label}: {', '.join(changes)}." if changes else None
