"""The optimizer race as figures: four paths over one loss landscape, and four loss curves.

The landscape is `compute_slice`'s, over two parameters of the output neuron, with its range
stretched to hold every racer that did not diverge (a diverged racer's path runs off the chart).
It is drawn in Viridis, dark = low, as on the "Fit & landscape" tab; each path has a white halo so that
the four racers' colours stand out on it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..race import EXACT_OPTIMUM, Race, Racer
from .landscape import MAX_PATH_POINTS, LandscapeSlice, compute_slice, log_loss, optimum_trace
from .style import EXACT, MARKER_EDGE, base_layout, compact, log_ticks

# Okabe & Ito's colour-blind-safe palette, one colour per optimizer, on every race chart.
# Apart under deuteranopia, protanopia and tritanopia too (tests/test_colours.py): Okabe and Ito's blue and vermillion,
# a light teal and a wine red (their bluish green and reddish purple became one grey under deuteranopia).
RACE_COLORS = {"sgd": "#0072B2", "momentum": "#D55E00", "rmsprop": "#33BBAA", "adam": "#882255"}
END_SYMBOLS = {"sgd": "circle", "momentum": "diamond", "rmsprop": "hexagon", "adam": "triangle-up"}
HALO = "rgba(255,255,255,0.85)"  # drawn under each path so that it stands out on dark and light loss alike
PATH_WIDTHS = (7.0, 5.0, 3.2, 1.6)  # the racers' paths, in drawing order: each drawn over the last and narrower, so
# where two paths run together (SGD and momentum start alike) every racer's colour still shows
FAR_BELOW = 1e-3  # on a log scale, an optimum under this × the lowest curve is written, not drawn


def race_color(optimizer: str) -> str:
    """The racer's colour (a grey for an optimizer the race does not know)."""
    return RACE_COLORS.get(optimizer, "#7f7f7f")


def racer_name(racer: Racer) -> str:
    """Legend name: the optimizer and its learning rate."""
    return f"{racer.label} (lr {racer.learning_rate:g})"


def race_slice(exp, race: Race, reference, u: int, v: int) -> LandscapeSlice:
    """`compute_slice` of the experiment, its range covering the paths of the racers that did not diverge.

    The slice goes through the page run's final parameters (the last row given to compute_slice);
    the racers' paths only widen the grid's range.
    """
    h = exp.history
    paths = [r.history.params for r in race.racers if r.history.diverged_at is None]
    params = np.vstack([*paths, h.params[-1:]])  # (ΣF + 1, P); the last row decides the slice
    return compute_slice(replace(exp, history=replace(h, params=params)), reference, u, v)


def race_landscape_figure(race: Race, ls: LandscapeSlice, u: int, v: int) -> dict:
    """Loss contours over output-neuron parameters (u, v) (indices; k = the bias) with each racer's path."""
    marker = {"size": 12, "line": {"width": 1.5, "color": MARKER_EDGE}}
    data = [{
        "type": "contour", "name": "loss", "x": compact(ls.u_values), "y": compact(ls.v_values),
        "z": compact(log_loss(ls.loss), 4), "colorscale": "Viridis", "showlegend": False,
        "contours": {"coloring": "heatmap", "showlines": True}, "line": {"width": 0.5, "color": "rgba(0,0,0,0.25)"},
        "ncontours": 25, "colorbar": {"title": {"text": f"log₁₀({ls.quantity})", "side": "right"}, "len": 0.8},
        "hovertemplate": f"{ls.u_text}=%{{x:.4g}}<br>{ls.v_text}=%{{y:.4g}}<br>log₁₀({ls.quantity})=%{{z:.3f}}"
                         "<extra></extra>",
    }]
    halos, paths, ends = [], [], []  # every halo under every path, so no halo covers an earlier racer's path
    for racer, width in zip(race.racers, PATH_WIDTHS):
        h = racer.history
        k = h.sizes[-2]
        out = h.params[:, -k - 1 :]  # (F, k + 1)
        rows = np.unique(np.round(np.linspace(0, len(out) - 1, min(len(out), MAX_PATH_POINTS)))).astype(int)
        color, name = race_color(racer.optimizer), racer_name(racer)
        xs, ys = compact(out[rows, u]), compact(out[rows, v])
        halos.append({"type": "scatter", "mode": "lines", "name": f"{name} halo", "legendgroup": racer.optimizer,
                      "showlegend": False, "x": xs, "y": ys, "line": {"color": HALO, "width": width + 3.5},
                      "hoverinfo": "skip"})
        paths.append({"type": "scatter", "mode": "lines", "name": name, "legendgroup": racer.optimizer,
                      "x": xs, "y": ys, "line": {"color": color, "width": width},
                      "customdata": h.step[rows].tolist(),
                      "hovertemplate": f"{name}<br>step %{{customdata}}<br>{ls.u_text}=%{{x:.4g}}<br>"
                                       f"{ls.v_text}=%{{y:.4g}}<extra></extra>"})
        diverged = h.diverged_at is not None
        end = f"{racer.label}: " + (f"exploded at update {h.diverged_at}" if diverged else f"end, step {h.step[-1]}")
        ends.append({"type": "scatter", "mode": "markers", "name": end, "legendgroup": racer.optimizer,
                     "showlegend": False, "x": compact(out[-1:, u]), "y": compact(out[-1:, v]),
                     "marker": {**marker, "color": color,
                                "symbol": "x" if diverged else END_SYMBOLS.get(racer.optimizer, "circle")},
                     "hovertemplate": f"{end}<br>{ls.u_text}=%{{x:.4g}}<br>{ls.v_text}=%{{y:.4g}}<extra></extra>"})
    data += halos + paths + ends
    if ls.optimum is not None:
        data.append(optimum_trace(ls))
    first = race.racers[0].history
    k = first.sizes[-2]
    data.append({"type": "scatter", "mode": "markers", "name": "start (all four)",  # over a ★ at the same place
                 "x": compact(first.params[:1, -k - 1 + u]), "y": compact(first.params[:1, -k - 1 + v]),
                 "marker": {**marker, "color": "#ffffff", "symbol": "square"}})
    layout = base_layout("Four optimizers from the same start", height=520)
    layout["xaxis"] = {"title": {"text": ls.u_text}, "range": [float(ls.u_values[0]), float(ls.u_values[-1])]}
    layout["yaxis"] = {"title": {"text": ls.v_text}, "range": [float(ls.v_values[0]), float(ls.v_values[-1])]}
    layout["margin"] = {**layout["margin"], "t": 90}
    return {"data": data, "layout": layout}


def race_loss_figure(race: Race, loss_name: str, log_scale: bool) -> dict:
    """Full training-set objective (loss, + the weight penalty if any) per epoch of each racer, the optimum dashed,
    explosions marked ×."""
    data, last_epoch = [], 1
    penalised = race.racers[0].history.regularization != "none"
    what = f"{loss_name} + {race.racers[0].history.regularization.upper()} penalty" if penalised else loss_name
    for racer in race.racers:
        h = racer.history
        epochs = np.arange(len(h.objective))
        last_epoch = max(last_epoch, int(epochs[-1]))
        color, name = race_color(racer.optimizer), racer_name(racer)
        data.append({"type": "scatter", "mode": "lines+markers", "name": name, "legendgroup": racer.optimizer,
                     "x": epochs.tolist(), "y": compact(h.objective), "line": {"color": color, "width": 2.5},
                     "marker": {"size": 5, "symbol": END_SYMBOLS.get(racer.optimizer, "circle")}})
        if h.diverged_at is not None:
            at = h.diverged_at / h.steps_per_epoch
            data.append({"type": "scatter", "mode": "markers", "name": f"{racer.label} exploded",
                         "legendgroup": racer.optimizer, "showlegend": False, "x": [at],
                         "y": compact(h.objective[-1:]), "marker": {"color": color, "size": 14, "symbol": "x"},
                         "hovertemplate": f"{racer.label} exploded at update {h.diverged_at}<extra></extra>"})
    layout = base_layout(f"Training {'objective' if penalised else 'loss'} ({what}) per epoch", height=420)
    optimum = race.optimum_loss
    if optimum is not None:
        label = "exact answer's loss" if race.optimum_source == EXACT_OPTIMUM else "best final loss"
        curves = np.concatenate([r.history.objective for r in race.racers])
        lowest = curves[np.isfinite(curves) & (curves > 0)].min(initial=np.inf)
        if log_scale and not optimum >= lowest * FAR_BELOW:  # a line there would squash every curve to the top
            layout["annotations"] = [{"xref": "paper", "yref": "paper", "x": 1, "y": 0, "xanchor": "right",
                                      "yanchor": "bottom", "showarrow": False, "font": {"color": EXACT},
                                      "text": f"{label}: {optimum:.3g}, far below this chart"}]
        else:
            data.append({"type": "scatter", "mode": "lines", "name": label, "x": [0, last_epoch],
                         "y": compact([optimum] * 2, 8), "line": {"color": EXACT, "width": 1.5, "dash": "dash"},
                         "hoverinfo": "name+y"})
    layout["xaxis"] = {"title": {"text": "epoch"}, "rangemode": "tozero"}
    layout["yaxis"] = {"title": {"text": "loss" + (" (log scale)" if log_scale else "")},
                       "type": "log" if log_scale else "linear"}
    if log_scale:
        layout["yaxis"].update(log_ticks([y for trace in data for y in trace["y"] if y is not None]))
    return {"data": data, "layout": layout}
