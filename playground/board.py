"""What a class board shows, from the runs its students sent: one table, the measures it can be read by, and the
one-line reading of what the class found.

Pure Python and pandas (no Streamlit, no database): `board_store.py` keeps the runs, `charts/board.py` draws
this table, `sections/board.py` puts both on the page. A stored run's settings go through the same validation
as a link before anything is read from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from .numbers import readable
from .settings import ACTIVATION_LABELS, OPTIMIZER_LABELS, Settings

SETTINGS_SHOWN = ("dataset", "learning_rate", "optimizer", "batch_size", "activation", "hidden_layers", "epochs")
BATCH_KINDS = ("stochastic (1)", "mini-batch", "full batch")


@dataclass(frozen=True)
class Measure:
    """A score the board can plot on its y axis."""

    column: str  # of `runs_table`
    label: str
    lower_is_better: bool
    log: bool  # drawn on a log axis


MEASURES = {
    "val_loss": Measure("val_loss", "final validation loss", True, True),
    "val_accuracy": Measure("val_accuracy", "validation accuracy", False, False),
    "train_loss": Measure("train_loss", "final training loss", True, True),
}


def scores(end, exp) -> dict:
    """What the board keeps of a run: its end state's losses and scores (`summary.end_state`), computed by the
    server from the run it made, never sent by a browser."""
    h = exp.history
    accuracy = {part: result[1] for part, result in (("train", end.train_score), ("val", end.val_score))
                if result and result[0] == "accuracy"}
    return {"task": exp.task, "loss": exp.loss, "train_loss": end.train_loss, "val_loss": end.val_loss,
            "train_accuracy": accuracy.get("train"), "val_accuracy": accuracy.get("val"),
            "n_train": int(len(exp.y_train)), "updates": int(end.step), "diverged_at": h.diverged_at}


def batch_kind(batch_size: int, n_train: int) -> str:
    """'stochastic (1)', 'mini-batch' or 'full batch'."""
    return BATCH_KINDS[0] if batch_size == 1 else BATCH_KINDS[2] if batch_size >= n_train else BATCH_KINDS[1]


def run_link(settings: Settings, code: str) -> str:
    """The query string that opens this run in the same class ('?…')."""
    return "?" + urlencode({**settings.to_query(), "class": code})


def runs_table(rows: list[dict], code: str) -> pd.DataFrame:
    """One row per stored run (`board_store.runs`): id, nickname, the shown settings, scores, batch kind, link."""
    records = []
    for row in rows:
        settings = Settings.from_query(row["settings"])[0]
        found = row["scores"]
        records.append({
            "id": row["id"], "nickname": row["nickname"],
            **{name: getattr(settings, name) for name in SETTINGS_SHOWN},
            "train_loss": found.get("train_loss"), "val_loss": found.get("val_loss"),
            "val_accuracy": found.get("val_accuracy"), "diverged_at": found.get("diverged_at"),
            "batch": batch_kind(settings.batch_size, int(found.get("n_train") or 1)),
            "link": run_link(settings, code),
        })
    columns = ["id", "nickname", *SETTINGS_SHOWN, "train_loss", "val_loss", "val_accuracy", "diverged_at", "batch",
               "link"]
    table = pd.DataFrame.from_records(records, columns=columns)
    table["diverged"] = table["diverged_at"].notna()
    return table


def measures_for(table: pd.DataFrame) -> list[str]:
    """The measures these runs have numbers for, best first (validation accuracy for classes)."""
    order = ["val_accuracy", "val_loss", "train_loss"]
    return [name for name in order if table[MEASURES[name].column].notna().any()]


def best_runs(table: pd.DataFrame, measure: Measure, count: int = 10) -> pd.DataFrame:
    """The `count` best runs that did not explode, by `measure`."""
    ok = table[~table["diverged"] & table[measure.column].notna()]
    return ok.sort_values(measure.column, ascending=measure.lower_is_better, kind="stable").head(count)


def counts(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """How many runs used each optimizer, activation and kind of batch."""
    return {"optimizer": _count(table["optimizer"].map(OPTIMIZER_LABELS)),
            "activation": _count(table["activation"].map(ACTIVATION_LABELS)),
            "batch": _count(table["batch"])}


def _count(column: pd.Series) -> dict[str, int]:
    return {str(key): int(value) for key, value in column.value_counts().items()}


def finding(table: pd.DataFrame, measure: Measure) -> str:
    """One sentence on what these runs show: where the learning rate made them explode (for the optimizer with the
    most explosions), else which run did best."""
    if table.empty:
        return "No runs yet: each student presses “Send my run to the class board” under the scores."
    exploded = table[table["diverged"]]
    if not exploded.empty:
        optimizer = exploded["optimizer"].value_counts().index[0]
        return _explosions(table[table["optimizer"] == optimizer], OPTIMIZER_LABELS[optimizer])
    best = best_runs(table, measure, 1)
    if best.empty:
        return f"{_runs(len(table))}, none with a {measure.label}."
    top = best.iloc[0]
    return (f"No run exploded ({_runs(len(table))}). Best {measure.label}: {readable(top[measure.column])}, with "
            f"{OPTIMIZER_LABELS[top['optimizer']]} at learning rate {top['learning_rate']:g}.")


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _explosions(group: pd.DataFrame, optimizer: str) -> str:
    """Where one optimizer's runs exploded: above a learning rate every run did ('the cliff'), or how many did."""
    rates = group["learning_rate"].to_numpy()
    diverged = group["diverged"].to_numpy()
    cliff = next((rate for rate in np.sort(np.unique(rates[diverged])) if diverged[rates >= rate].all()), None)
    if cliff is None:
        return (f"{diverged.sum()} of {len(group)} {optimizer} runs exploded, at learning rates from "
                f"{rates[diverged].min():g} to {rates[diverged].max():g}; some runs survived higher rates.")
    above, below = rates >= cliff, rates < cliff
    rest = (f"below it, {diverged[below].sum()} of {below.sum()}" if below.any() else "no run tried a lower rate")
    return (f"{optimizer} runs at learning rate {cliff:g} and above exploded: {above.sum()} of {above.sum()}; "
            f"{rest}.")
