"""The class board as a figure: every student's run, its learning rate against its score.

x is the learning rate on a log axis, y the chosen measure; colour is the optimizer (the race's colours), the
marker the kind of batch. A run that exploded has no final score: it is drawn as an ✕ in a band above the plot
area, at its learning rate, so the cliff of divergence shows where the class found it. Each point carries the
query string of its run, which the page opens when the point is clicked (sections/plot.js).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..board import BATCH_KINDS, Measure
from ..numbers import readable
from ..safe_text import plotly_literal
from ..settings import ACTIVATION_LABELS, OPTIMIZER_LABELS
from .race import race_color
from .style import base_layout, log_ticks

BATCH_SYMBOLS = dict(zip(BATCH_KINDS, ("diamond", "circle", "square")))
EXPLODED_BAND = 1.06  # where exploded runs are drawn: just above the plot area, in paper units of the y axis


def board_figure(table: pd.DataFrame, measure: Measure, title: str, height: int = 460) -> dict:
    """The runs of `table` (`board.runs_table`, one dataset) by learning rate and `measure`, one trace per optimizer
    and kind of batch, and their exploded runs as ✕ above the plot."""
    data = []
    for (optimizer, batch), group in table.groupby(["optimizer", "batch"], sort=True):
        name = f"{OPTIMIZER_LABELS[optimizer]}, {batch}"
        finished = group[~group["diverged"] & group[measure.column].notna()]
        marker = {"color": race_color(optimizer), "size": 11, "symbol": BATCH_SYMBOLS[batch],
                  "line": {"width": 1, "color": "#ffffff"}}
        data.append(_points(finished, measure, name, marker, "y", finished[measure.column].tolist()))
    exploded = table[table["diverged"]]
    if not exploded.empty:
        data.append(_points(exploded, measure, "exploded", {
            "color": [race_color(o) for o in exploded["optimizer"]], "size": 12, "symbol": "x-thin-open",
            "line": {"width": 3, "color": [race_color(o) for o in exploded["optimizer"]]}}, "y2",
            [0.5] * len(exploded)))
    layout = base_layout(title, height=height)
    rates = table["learning_rate"].to_numpy(dtype=np.float64)
    layout["xaxis"] = {"title": {"text": "learning rate (log scale)"}, "type": "log", **log_ticks(rates),
                       "range": _log_range(rates)}
    values = table.loc[~table["diverged"], measure.column].dropna().to_numpy(dtype=np.float64)
    layout["yaxis"] = {"title": {"text": measure.label + (" (log scale)" if measure.log else "")},
                       "domain": [0, 0.9], **({"type": "log", **log_ticks(values)} if measure.log else {})}
    layout["yaxis2"] = {"domain": [0.92, 1.0], "range": [0, 1], "showticklabels": False, "showgrid": False,
                        "zeroline": False, "anchor": "x"}
    layout["annotations"] = [{"text": "exploded", "xref": "paper", "x": 0, "xanchor": "right", "yref": "y2 domain",
                              "y": 0.5, "showarrow": False}] if not exploded.empty else []
    layout["legend"] = {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0}
    layout["margin"] = {"t": 56, "b": 120, "l": 70, "r": 20}
    layout["hovermode"] = "closest"
    return {"data": data, "layout": layout}


def _points(group: pd.DataFrame, measure: Measure, name: str, marker: dict, yaxis: str, y: list) -> dict:
    """One scatter trace of runs, with their settings and score in the hover and their link as customdata."""
    text = [_hover(row, measure) for row in group.itertuples()]
    return {"type": "scatter", "mode": "markers", "name": name, "x": group["learning_rate"].tolist(), "y": y,
            "yaxis": yaxis, "marker": marker, "text": text, "hovertemplate": "%{text}<extra></extra>",
            "customdata": group["link"].tolist()}


def _hover(row, measure: Measure) -> str:
    """A run's hover text; the nickname is the student's text, shown literally."""
    score = (f"exploded at update {int(row.diverged_at)}" if row.diverged
             else f"{measure.label}: {readable(getattr(row, measure.column))}")
    who = plotly_literal(row.nickname) if row.nickname else "(no nickname)"
    return (f"<b>{who}</b><br>{score}<br>learning rate {row.learning_rate:g} · {OPTIMIZER_LABELS[row.optimizer]}"
            f"<br>batch {row.batch_size} ({row.batch}) · {ACTIVATION_LABELS[row.activation]} · {row.epochs} epochs"
            f"<br>click to open this run")


def _log_range(rates: np.ndarray) -> list[float]:
    """A log axis range (in decades) around the rates, half a decade of room each side."""
    if not rates.size:
        return [-4.5, 1.5]
    logs = np.log10(rates)
    return [float(logs.min()) - 0.5, float(logs.max()) + 0.5]
