"""From settings to a finished run: data, split, scaling, training and the exact answer beside it.

Pure Python/NumPy/scikit-learn (no Streamlit): the page caches `run_experiment` on its inputs. The work that may
take long (reading an uploaded file, training) goes through a `compute(units, text, job, *args, **kwargs)` the
caller gives, `here` by default: the page's runs it in its worker process when the work budget counts it as long
(sections/state.py's `run_long`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from . import budget
from . import features as input_features
from .cache import MB, SharedCache
from .data import CLASSIFICATION, DataError, Dataset, read_upload
from .datasets import DATASETS, UPLOAD, make_dataset
from .engine import History, TrainingRun, train
from .reference import Method, method_for
from .safe_text import quoted, quoted_list
from .settings import Settings


@dataclass(frozen=True, eq=False)
class Experiment:
    """A finished run and everything needed to draw it."""

    settings: Settings  # as actually run (batch size and epochs possibly trimmed; view-only fields at defaults)
    dataset: Dataset  # what the network is fed: the chosen columns or input features, before scaling
    X_train: np.ndarray  # (n_train, p), scaled if settings.standardize
    y_train: np.ndarray  # (n_train,)
    X_val: np.ndarray  # (n_val, p)
    y_val: np.ndarray  # (n_val,)
    loss: str  # "mse" or "bce"
    history: History
    scaler: StandardScaler | None
    notices: tuple[str, ...]  # what was adjusted, in words for the page
    raw_train: np.ndarray  # (n_train, r) the points' own coordinates (before input features and scaling)
    raw_val: np.ndarray  # (n_val, r)
    raw_names: tuple[str, ...]  # (r,) names of those coordinates
    inputs: tuple[str, ...] = ()  # input feature ids computed from them (features.py); () for many-column data
    data_key: tuple = ()  # identifies the training data for caches (see `data_key`)

    @property
    def run_key(self) -> tuple:
        """What identifies this run for caches: its settings (as run) and the training data's key."""
        return self.settings, self.data_key

    def network_inputs(self, raw: np.ndarray) -> np.ndarray:
        """What the network is fed (m, p) at raw points (m, r): their input features, then the run's scaling."""
        X = input_features.transform(raw, self.inputs) if self.inputs else np.asarray(raw, dtype=np.float64)
        return self.scaler.transform(X) if self.scaler is not None else X

    @property
    def task(self) -> str:
        """"regression" or "classification"."""
        return self.dataset.task

    @property
    def method(self) -> Method | None:
        """How this run's exact answer is found (penalty included), or None (hidden layers, no closed form)."""
        if self.settings.hidden:
            return None
        h = self.history
        return method_for(self.settings.activation, self.loss, h.regularization, h.regularization_rate)

    def final_losses(self) -> tuple[float, float | None]:
        """(train, validation) loss of the final recorded parameters: after an explosion, the state before it."""
        return self.history.final_losses(self.X_train, self.y_train,
                                         (self.X_val, self.y_val) if len(self.y_val) else None)

    def training_arguments(self) -> dict:
        """TrainingRun's keyword arguments that produced `history` (same data, init and batches)."""
        return training_arguments(self.settings, self.loss, self.X_train, self.y_train, self.X_val, self.y_val)

    def training_run(self) -> TrainingRun:
        """A fresh, untrained TrainingRun identical to the one that produced `history` (same init and batches)."""
        return TrainingRun(**self.training_arguments())


def here(units: int, text: str, job, *args, **kwargs):
    """`job(*args, **kwargs)`, computed now in this thread: how this module computes unless its caller says otherwise
    (`units` of work as the budget counts them, `text` saying what is computed)."""
    return job(*args, **kwargs)


def resolve_loss(settings: Settings, task: str) -> str:
    """The loss to train with: the user's override, or MSE for numbers and cross-entropy for classes."""
    if settings.loss != "auto":
        return settings.loss
    return "bce" if task == CLASSIFICATION else "mse"


# Parsed uploads, shared by every run and session (playground/cache.py): reading a 20 MB file takes ~4 s of CPU,
# more than its run, so it is read once per file, not on every change of a setting. A table of 200,000 × 50
# numbers holds ~160 MB as parsed (the table and its feature matrix).
UPLOADS = SharedCache("uploaded files", 176 * MB)


def parsed_upload(upload: bytes, compute=here) -> Dataset:
    """An uploaded CSV file read into a Dataset (once per file content); DataError if it is unusable."""
    return UPLOADS.get(hashlib.sha256(upload).hexdigest(),
                       lambda: compute(budget.read_units(len(upload)), "Reading the uploaded file…", read_upload,
                                       upload))


def load_dataset(settings: Settings, upload: bytes | None = None, compute=here) -> Dataset:
    """The dataset the settings name, with the chosen columns; raises DataError for unusable data."""
    if settings.dataset == UPLOAD:
        if upload is None:
            raise DataError("Upload a CSV file in the sidebar to use your own data.")
        return choose_columns(parsed_upload(upload, compute), settings.features, settings.target)
    data = make_dataset(settings.dataset, settings.n_points, settings.noise, settings.seed, settings.digit_target)
    return choose_columns(data, settings.features, "")


def column_choices(data: Dataset, target: str = "") -> tuple[list[str], list[str]]:
    """(possible targets, possible features given `target`) of a dataset; only CSV tables offer targets."""
    if data.table is None:
        return [], list(data.feature_names)
    columns = [str(c) for c in data.table.columns]
    target = target if target in columns else data.target_name
    return columns, [c for c in columns if c != target]


def drop_unknown_columns(settings: Settings, targets: list[str], features: list[str]) -> tuple[Settings, list[str]]:
    """The settings without a target or feature names that are not among the data's possible `targets` and
    `features` (see `column_choices`), and a notice for what was dropped: a link or a run file may name
    columns this data does not have, and they should not stay in the page's state or its links."""
    changes, notices = {}, []
    if settings.target and settings.target not in targets:
        changes["target"] = ""
        notices.append(f"Target column: this data has no column {quoted(settings.target)}; using the last one.")
    names = [name for name in settings.features.split(",") if name]
    unknown = [name for name in names if name not in features]
    if unknown:
        changes["features"] = ",".join(name for name in names if name in features)
        notices.append(f"Features: ignored {quoted_list(unknown, 3)}, not among this data's feature columns.")
    return replace(settings, **changes), notices


def choose_columns(data: Dataset, features: str, target: str) -> Dataset:
    """Keep the comma-separated `features` (all when empty; unknown names ignored) and, for a CSV, the target."""
    targets, candidates = column_choices(data, target)
    target = target if target in targets else data.target_name
    wanted = [name for name in features.split(",") if name in candidates]
    if data.table is not None and (target != data.target_name or wanted):
        defaults = [name for name in data.feature_names if name != target]
        return data.select(wanted or defaults or candidates[:1], target)
    if not wanted or wanted == list(data.feature_names):
        return data
    columns = [data.feature_names.index(name) for name in wanted]
    return replace(data, X=data.X[:, columns], feature_names=tuple(wanted))


def split(data: Dataset, settings: Settings):
    """Train/validation split (stratified for classes when possible), seeded."""
    n_val = budget.split_sizes(data.n, settings.validation_split)[1]
    if n_val == 0:
        return data.X, data.X[:0], data.y, data.y[:0]
    stratify = data.y if data.task == CLASSIFICATION and _can_stratify(data.y, n_val) else None
    return train_test_split(data.X, data.y, test_size=n_val, random_state=settings.seed, stratify=stratify)


def _can_stratify(y: np.ndarray, n_val: int) -> bool:
    counts = np.unique(y, return_counts=True)[1]
    return counts.min() >= 2 and n_val >= counts.size and y.size - n_val >= counts.size


# The settings that decide the training data (loading, column choice, split, scaling); the rest decide the training.
LOAD_FIELDS = ("dataset", "digit_target", "target", "features", "n_points", "noise", "seed")  # what load_dataset reads
DATA_FIELDS = (*LOAD_FIELDS, "inputs", "validation_split", "standardize")  # … and what prepare_data does with it


def load_settings(settings: Settings) -> Settings:
    """The defaults with only the settings that decide `load_dataset`'s table: a cache key that training changes
    do not touch."""
    return replace(Settings(), **{name: getattr(settings, name) for name in LOAD_FIELDS})


@dataclass(frozen=True, eq=False)
class PreparedData:
    """The data a run trains on: the dataset with its chosen columns or input features, the split, the scaling."""

    dataset: Dataset  # what the network is fed, before scaling
    X_train: np.ndarray  # (n_train, p), scaled if standardized
    X_val: np.ndarray  # (n_val, p)
    y_train: np.ndarray  # (n_train,)
    y_val: np.ndarray  # (n_val,)
    scaler: StandardScaler | None
    raw_train: np.ndarray  # (n_train, r) the points' own coordinates
    raw_val: np.ndarray  # (n_val, r)
    raw_names: tuple[str, ...]
    inputs: tuple[str, ...]  # the input features computed from them, () for many-column data
    key: tuple  # see `data_key`
    plan: budget.Plan | None  # the settings trimmed to the work budget, the rows kept, the cost and the notices


def data_key(settings: Settings, upload: bytes | None = None, rows: int | None = None) -> tuple:
    """(settings of the data alone, a hash of the uploaded file, the rows kept when fewer than the data has): equal
    keys give the same training data, so a cache can key on this instead of hashing the arrays."""
    upload_hash = None if upload is None else hashlib.sha256(upload).hexdigest()
    return replace(Settings(), **{name: getattr(settings, name) for name in DATA_FIELDS}), upload_hash, rows


# Prepared training data, shared by every run on the same data (playground/cache.py): a new learning rate reuses
# its data's split and scaling (digits: ~8 ms of ~100 a run). A digits entry holds ~1.9 MB; 30 students with their
# own seeds fit (with the budget's rows, at most ~40 MB for an upload).
PREPARED = SharedCache("prepared data", 48 * MB)


def prepare_data(settings: Settings, upload: bytes | None = None, compute=here) -> PreparedData:
    """Load, choose columns, keep the rows the work budget allows, split, compute input features and scale as the
    settings say; DataError if unusable."""
    raw = load_dataset(settings, upload, compute)
    inputs = input_ids(settings, raw)
    n_inputs = len(input_features.names(raw.feature_names, inputs)) if inputs else raw.p
    plan = budget.plan_run(settings, budget.DataShape(raw.n, n_inputs))
    trimmed = plan.rows < raw.n
    key = data_key(settings, upload, plan.rows if trimmed else None)
    prepared = PREPARED.get(key, lambda: _prepare(raw, settings, inputs, plan.rows if trimmed else None, key))
    return replace(prepared, plan=plan)


def _prepare(raw: Dataset, settings: Settings, inputs: tuple[str, ...], rows: int | None, key: tuple) -> PreparedData:
    raw = replace(raw, table=None)  # the CSV's whole table serves the column pickers (cached apart), not the run
    if rows is not None:
        raw = subsample(raw, rows, settings.seed)
    raw_train, raw_val, y_train, y_val = split(raw, settings)
    data, X_train, X_val = raw, raw_train, raw_val
    if inputs:
        data = replace(raw, X=input_features.transform(raw.X, inputs),
                       feature_names=input_features.names(raw.feature_names, inputs))
        X_train, X_val = input_features.transform(raw_train, inputs), input_features.transform(raw_val, inputs)
    scaler = StandardScaler().fit(X_train) if settings.standardize else None
    if scaler is not None:  # no validation rows (a fraction of 0): nothing to scale, and scikit-learn refuses to
        X_train, X_val = scaler.transform(X_train), scaler.transform(X_val) if len(X_val) else X_val
    return PreparedData(data, X_train, X_val, y_train, y_val, scaler, raw_train, raw_val, raw.feature_names, inputs,
                        key, None)


def subsample(data: Dataset, rows: int, seed: int) -> Dataset:
    """`rows` of the data's rows drawn at random with `seed`, in their order in the data."""
    keep = np.sort(np.random.default_rng(seed).choice(data.n, size=rows, replace=False))
    return replace(data, X=data.X[keep], y=data.y[keep])


def training_arguments(settings: Settings, loss: str, X_train, y_train, X_val, y_val) -> dict:
    """The engine's TrainingRun keyword arguments for these settings and data: the one place settings become engine
    arguments (and the work budget's frames to record). Only arrays, names and numbers: what the worker process
    trains from (playground/worker.py)."""
    return dict(
        X=X_train, y=y_train, activation=settings.activation, loss=loss, optimizer=settings.optimizer,
        learning_rate=settings.learning_rate, batch_size=settings.batch_size, epochs=settings.epochs,
        shuffle=settings.shuffle, seed=settings.seed, hidden=settings.hidden,
        hidden_activation=settings.hidden_activation, regularization=settings.regularization,
        regularization_rate=settings.regularization_rate, validation=(X_val, y_val) if len(y_val) else None,
        max_frames=budget.history_frames(settings, np.shape(X_train)[1] if np.ndim(X_train) == 2 else 1),
    )


def input_ids(settings: Settings, raw: Dataset) -> tuple[str, ...]:
    """The input features the network is fed for this data (its raw inputs by default); () when the data's
    own columns feed it (many-column data, an uploaded file)."""
    if not DATASETS[settings.dataset].raw_inputs:
        return ()
    chosen = [key for key in settings.inputs.split(",") if key] or input_features.RAW
    return input_features.usable(chosen, raw.p)


def run_experiment(settings: Settings, upload: bytes | None = None, compute=here) -> Experiment:
    """Load, split, compute input features, scale and train as the settings say; DataError for unusable data."""
    prepared = prepare_data(settings, upload, compute)
    data, scaler = prepared.dataset, prepared.scaler
    X_train, X_val, y_train, y_val = prepared.X_train, prepared.X_val, prepared.y_train, prepared.y_val
    settings, notices = prepared.plan.settings, list(prepared.plan.notices)
    loss = resolve_loss(settings, data.task)
    if loss == "bce" and not np.isin(data.y, (0.0, 1.0)).all():
        raise DataError("Cross-entropy needs a target of 0s and 1s; this target has other values. "
                        "Choose mean squared error.")
    history = compute(prepared.plan.cost["training"], "Training…", train,
                      **training_arguments(settings, loss, X_train, y_train, X_val, y_val))
    return Experiment(settings, data, X_train, y_train, X_val, y_val, loss, history, scaler, tuple(notices),
                      prepared.raw_train, prepared.raw_val, prepared.raw_names, prepared.inputs, prepared.key)
