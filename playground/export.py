"""Exports of a finished run, and the run file read back in. Pure Python/NumPy/pandas/Plotly (no Streamlit).

- `history_table` / `epoch_table`: the History as tables (CSV via `csv_bytes`).
- `run_json` / `parse_run_file`: settings + final parameters as JSON, and that file validated on the way
  back (`RunFileError` carries a message for the page; settings go through `Settings.from_mapping`).
- `animation_html`: a figure dict as one self-contained HTML page (Plotly's library inlined).
- `python_script`: a NumPy-only script (playground/standalone/train_numpy.py, then the run as one data
  literal) that re-runs the training; it reproduces the engine's final parameters (tests/test_export.py
  checks this to 1e-9). No user text is ever written as code, comment or docstring (tests/test_security.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, fields
from functools import cache
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from .engine import EXPLODE_FACTOR
from .safe_text import SHOWN_CHARS, one_line, quoted_list, spreadsheet_cell
from .settings import FIELDS, Settings

APP = "neuron-playground"
FORMAT_VERSION = 1
MAX_RUN_FILE_BYTES = 2_000_000  # a run file is a few KB (its parameters); anything bigger is not one
_TOP_LEVEL = ("app", "version", "settings", "final", "data")
_FINAL_NUMBERS = ("bias", "train_loss", "validation_loss")
_FINGERPRINT = re.compile(r"[0-9a-f]{12}")  # what csv_fingerprint writes


# ---------------------------------------------------------------------------------------------- CSV


def weight_columns(exp) -> list[str]:
    """Column names of the output neuron's weights: w[<feature>], or w[h<j>] after hidden layers."""
    h = exp.history
    if len(h.sizes) > 2:
        return [f"w[h{j + 1}]" for j in range(h.sizes[-2])]
    return [f"w[{name}]" for name in exp.dataset.feature_names]


def history_table(exp) -> pd.DataFrame:
    """One row per recorded frame: step, epoch, batch (from 1, as on the page), batch_loss, the output neuron's
    weights and bias."""
    h = exp.history
    table = pd.DataFrame({"step": h.step, "epoch": h.epoch, "batch": h.batch_number, "batch_loss": h.batch_loss})
    weights = pd.DataFrame(h.w, columns=weight_columns(exp))
    return pd.concat([table, weights], axis=1).assign(b=h.b)


def epoch_table(exp) -> pd.DataFrame:
    """Full-data losses before training (epoch 0) and after each epoch; validation empty without it."""
    h = exp.history
    validation = h.val_loss if h.val_loss is not None else np.full(h.train_loss.size, np.nan)
    return pd.DataFrame({"epoch": np.arange(h.train_loss.size), "train_loss": h.train_loss,
                         "validation_loss": validation})


def csv_bytes(table: pd.DataFrame, index: bool = False) -> bytes:
    """The table as UTF-8 CSV, safe to open in a spreadsheet: every download's one writer.

    Floats are written at full precision (they read back bit for bit); headers, index names and text cells
    that a spreadsheet would take for a formula start with ' (`safe_text.spreadsheet_cell`). Lines end in
    CRLF (RFC 4180), so a cell holding either line-break character is quoted.
    """
    safe = table.copy(deep=False)
    safe.columns = [spreadsheet_cell(str(name)) for name in table.columns]
    safe.index = safe.index.set_names([None if name is None else spreadsheet_cell(str(name))
                                       for name in table.index.names])
    for name, column in zip(safe.columns, table.columns):
        if not pd.api.types.is_numeric_dtype(table[column]):
            safe[name] = table[column].map(spreadsheet_cell).to_numpy()
    return safe.to_csv(index=index, lineterminator="\r\n").encode("utf-8")


# --------------------------------------------------------------------------------------------- JSON


def csv_fingerprint(upload: bytes | None) -> str | None:
    """A short hash of an uploaded CSV, to tell later whether the same file is loaded."""
    return None if upload is None else hashlib.sha256(upload).hexdigest()[:12]  # see _FINGERPRINT


def run_record(exp, upload: bytes | None = None) -> dict:
    """Settings (as run) and final parameters, in the run-file format (see `run_json`)."""
    h = exp.history
    train_loss, validation_loss = exp.final_losses()  # of the final parameters, also after an explosion
    settings = asdict(exp.settings)
    return {
        "app": APP,
        "version": FORMAT_VERSION,
        "settings": settings,
        "final": {
            "params": h.params[-1].tolist(),
            "weights": h.w[-1].tolist(),
            "bias": float(h.b[-1]),
            "train_loss": _finite_or_none(train_loss),
            "validation_loss": None if validation_loss is None else _finite_or_none(validation_loss),
            "updates": int(h.step[-1]),
            "diverged_at": h.diverged_at,
            "settings_sha256": settings_fingerprint(settings),
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


def settings_fingerprint(settings: dict) -> str:
    """A short hash of a run file's settings object: if someone edits the settings, it no longer matches."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


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
    edited: bool | None = None  # the settings no longer match the fingerprint saved with them (None: no fingerprint)


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
        notices.append(f"Ignored unknown entries in the file: {quoted_list(unknown_top)}.")
    unknown = [key for key in raw if key not in FIELDS]
    if unknown:
        notices.append(f"Ignored unknown settings: {quoted_list(unknown)}.")
    missing = [f.name for f in fields(Settings) if f.name not in raw]
    if missing:
        notices.append(f"Not in the file, so left at their defaults: {quoted_list(missing)}.")
    settings, coerced = Settings.from_mapping({k: v for k, v in raw.items() if k in FIELDS})
    params = _final_params(record.get("final"))
    csv_sha = (record.get("data") or {}).get("csv_sha256") if isinstance(record.get("data"), dict) else None
    csv_sha = csv_sha if isinstance(csv_sha, str) and _FINGERPRINT.fullmatch(csv_sha) else None
    saved = (record.get("final") or {}).get("settings_sha256")
    edited = None if not isinstance(saved, str) else saved != settings_fingerprint(raw)
    return LoadedRun(settings, tuple(notices + coerced), params, csv_sha,
                     adjusted=bool(coerced or missing), edited=edited)


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
    except ValueError as error:  # a whole number of over 4,300 digits: Python refuses to read it
        raise RunFileError("This file is not a run file: it holds a number too long to read "
                           "(thousands of digits).") from error


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
    """A JSON value of the file for a message: as JSON (so its type shows), on one line, shortened."""
    text = one_line(json.dumps(value, ensure_ascii=False)) if value is not None else "nothing"
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


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
    return html.replace("<head>", f"<head><title>{escape(title)}</title>", 1)


# ------------------------------------------------------------------------------------------- Script
# The script is the module playground/standalone/train_numpy.py as it is (code and comments the same for
# every run), then ONE assignment, `RUN = <literal>`, and the call of its main(). Every value of the run,
# the user's text (settings, dataset and column names) included, is in that literal, written by `repr` of
# plain values: it is data, never source code, a comment or a docstring.

SCRIPT_TEMPLATE = Path(__file__).with_name("standalone") / "train_numpy.py"
_SCRIPT_HEAD = """

# The run, written by the playground: its settings, what the data is, the settings the training uses, and
# the data exactly as the playground trained on it (every float to full precision).
RUN = """
_SCRIPT_TAIL = """

if __name__ == "__main__":
    main(RUN)
"""
_PER_LINE = 8  # numbers per line in a long list


@cache
def script_code() -> str:
    """The fixed part of the exported script: the standalone module's source."""
    return SCRIPT_TEMPLATE.read_text(encoding="utf-8")


SCRIPT_CODE_LINES = script_code().count("\n")  # the lines a student reads before the data


def script_run(exp) -> dict:
    """Everything the script needs to re-run `exp`, as plain values (dicts, lists, str, numbers, bools)."""
    s, h = exp.settings, exp.history
    has_val = len(exp.y_val) > 0
    return {
        "playground_settings": asdict(s),
        "data": {"name": exp.dataset.name, "description": exp.dataset.description,
                 "features": list(exp.dataset.feature_names), "target": exp.dataset.target_name,
                 "standardized": bool(s.standardize)},
        "training": {"hidden": list(h.sizes[1:-1]), "activation": h.activation,
                     "hidden_activation": h.hidden_activation, "loss": h.loss, "optimizer": s.optimizer,
                     "learning_rate": float(s.learning_rate), "batch_size": int(s.batch_size),
                     "epochs": int(s.epochs), "shuffle": bool(s.shuffle), "seed": int(s.seed),
                     "explode_factor": float(EXPLODE_FACTOR), "regularization": h.regularization,
                     "regularization_rate": float(h.regularization_rate)},
        "X_train": np.asarray(exp.X_train, dtype=np.float64).tolist(),
        "y_train": np.asarray(exp.y_train, dtype=np.float64).tolist(),
        "X_val": np.asarray(exp.X_val, dtype=np.float64).tolist() if has_val else None,
        "y_val": np.asarray(exp.y_val, dtype=np.float64).tolist() if has_val else None,
    }


def python_script(exp) -> str:
    """A standalone NumPy script that re-runs this training and prints the final parameters."""
    return script_code() + _SCRIPT_HEAD + python_literal(script_run(exp)) + _SCRIPT_TAIL


def python_literal(value, indent: int = 0) -> str:
    """Plain values as Python source that `ast.literal_eval` reads back equal: dicts one key per line,
    a list of lists one row per line, long lists wrapped; every str and number is written by its `repr`."""
    pad, end = "    " * (indent + 1), "    " * indent
    if isinstance(value, dict):
        items = "".join(f"{pad}{_scalar(key)}: {python_literal(item, indent + 1)},\n" for key, item in value.items())
        return "{\n" + items + end + "}"
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return "[\n" + "".join(f"{pad}{python_literal(row, indent + 1)},\n" for row in value) + end + "]"
    if isinstance(value, list):
        if len(value) <= _PER_LINE:
            return "[" + ", ".join(_scalar(v) for v in value) + "]"
        lines = (", ".join(_scalar(v) for v in value[i : i + _PER_LINE]) for i in range(0, len(value), _PER_LINE))
        return "[\n" + "".join(f"{pad}{line},\n" for line in lines) + end + "]"
    return _scalar(value)


def _scalar(value) -> str:
    """One str, number, bool or None as a Python literal, by the base type's own repr (never an override)."""
    if value is None or isinstance(value, bool):
        return repr(bool(value)) if value is not None else "None"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return float.__repr__(value)
    if isinstance(value, str):
        return str.__repr__(value)
    raise TypeError(f"not a plain value: {type(value).__name__}")
