"""Inspect: what the notebooks show beyond the main charts, for the current run.

Digits as 8×8 images with the learned weights and the mistakes (notebook 002), the neuron's weights
against the exact coefficients at an epoch (notebook 001's multi-feature part), and the records table
per (epoch, batch) with a CSV download (notebook 001). Each part appears only where it applies.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import streamlit as st

from .. import export
from ..charts.inspect import (
    MAX_SHOWN_ROWS,
    PIXELS,
    digits_figure,
    hidden_weights_figure,
    is_thinned,
    last_frame_of_epoch,
    misclassified,
    records_columns,
    records_table,
    shown_frames,
    weight_image_figure,
    weights_vs_exact_figure,
)
from ..engine import MAX_FRAMES
from ..experiment import Experiment
from . import plot, state

EPOCH_KEY = "inspect_epoch"
MAX_MISTAKES = 8


def render(exp: Experiment, reference) -> None:
    """Digits (if any), weights vs the exact answer (if one is known), then the records table."""
    if is_digits(exp):
        _render_digits(exp)
    if compares_with_exact(exp, reference):
        _render_comparison(exp, reference)
    _render_records(exp)


# --- Records table -------------------------------------------------------------------------------

def weight_names(exp: Experiment) -> list[str]:
    """Column names of the output neuron's weights: w, w[feature] or w from hidden j."""
    h = exp.history
    k = h.sizes[-2]
    if len(h.sizes) > 2:
        return [f"w from hidden {j + 1}" for j in range(k)]
    return ["w"] if k == 1 else [f"w[{name}]" for name in exp.dataset.feature_names]


def _render_records(exp: Experiment) -> None:
    h = exp.history
    st.subheader("Records per (epoch, batch)")
    names, rows = weight_names(exp), len(h.step)
    # The shown rows as an Arrow table straight from the history's arrays: pandas' own conversion of the 67 columns
    # of a digits run took longer than the rest of this view; the whole table is built only for the download.
    shown = pa.table(records_columns(h, names, exp.loss, shown_frames(rows)))
    st.dataframe(shown, hide_index=True, height=min(38 + 35 * shown.num_rows, 420))
    notes = ["As notebook 001's `records`: the output neuron's weight(s) and bias after each update, and the "
             "loss of the batch that made it (the notebook records the whole training set's loss before the update "
             "instead). Epochs and batches count from 1, as in Step through the math (the notebook counts batches "
             "from 0); row (0, 0) is the start, with the loss on the whole training set."]
    if shown.num_rows < rows:
        notes.append(f"Showing the first and last {MAX_SHOWN_ROWS // 2} of {rows:,} rows; the CSV has them all.")
    else:
        notes.append(f"{rows:,} rows.")
    st.caption(" ".join(notes))
    if is_thinned(h):
        fewer = "" if len(h.step) - 1 == MAX_FRAMES else " (fewer than 2,000 for a network this big: memory)"
        st.info(f"This run made {int(h.step[-1]):,} updates; the history keeps {len(h.step) - 1:,} evenly spaced "
                f"ones{fewer}, so the table skips updates (see the step column).",
                icon=":material/content_cut:")
    if h.diverged_at is not None:
        st.warning(f"The loss exploded at update {h.diverged_at}: the table stops just before it.",
                   icon=":material/error:")
    st.download_button("Download the whole table (CSV)",
                       data=lambda: export.csv_bytes(records_table(h, names, exp.loss), index=True),
                       file_name="records.csv", mime="text/csv", on_click="ignore", key="inspect_csv",
                       icon=":material/download:")


# --- Weights against the exact answer ----------------------------------------------------------

def compares_with_exact(exp: Experiment, reference) -> bool:
    """A single neuron with several inputs and a known exact answer of the same size."""
    h = exp.history
    return (reference is not None and len(h.sizes) == 2 and h.sizes[0] > 1
            and np.size(reference[0]) == h.sizes[0])


@state.run_fragment
def _render_comparison(exp: Experiment, reference) -> None:
    h = exp.history
    chart = st.container()  # the chart first (its title names it), its epoch slider under it
    last = int(h.epoch[-1])
    if last >= 1:
        # Start at the end, and keep the chosen epoch (clamped) when the run changes length: a new
        # maximum makes a new widget, which takes its value from the state set here.
        remembered = st.session_state.get(EPOCH_KEY)
        st.session_state[EPOCH_KEY] = last if remembered is None else min(int(remembered), last)
        epoch = st.slider("Epoch", 0, last, key=EPOCH_KEY,
                          help="The weights as they were at the end of this epoch (0 = the random start).")
    else:
        epoch = 0
    method = exp.method
    names = list(exp.dataset.feature_names)
    with chart:
        plot.show(weights_vs_exact_figure(h, names, np.asarray(reference[0]), epoch, method.name),
                  key="inspect_bars")
    w = h.w[last_frame_of_epoch(h, epoch)]
    gap = float(np.linalg.norm(w - reference[0]))
    how = f"{method.name} by {method.source}, on the training data"
    scaled = " Features are standardized, so the weights compare across features." if exp.scaler is not None else ""
    still = np.ptp(exp.X_train, axis=0) == 0  # (p,) inputs that never change
    zero = bool(np.all(exp.X_train[0, still] == 0))
    never = (f" {int(still.sum())} input(s) never change in the training data, so their weight makes no difference to "
             "the loss of its own: the exact answer shows 0 for them" + (", and the neuron keeps its starting weight "
             "(with x = 0 their gradient is 0)." if zero else ".") if still.any() else "")
    chart.caption(f"Red: the neuron's weights at the end of epoch {epoch}; violet: the exact optimum ({how}). "
                  f"Distance ‖w − w*‖ = {gap:.4g}.{scaled}{never}")


# --- Digits ---------------------------------------------------------------------------------------

def is_digits(exp: Experiment) -> bool:
    """The digits dataset with all 64 pixels as inputs (images need every pixel)."""
    return exp.settings.dataset == "digits" and exp.dataset.p == PIXELS


@cache
def _digit_lookup() -> tuple[np.ndarray, dict[bytes, int]]:
    """scikit-learn's digit labels (0–9) and a map from a row's pixels to its label (no two rows are equal)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.target, {row.astype(np.uint8).tobytes(): int(d) for row, d in zip(bunch.data, bunch.target)}


def digit_of(pixels: np.ndarray) -> int | None:
    """The digit (0–9) a row of 64 original pixels shows, or None if it is not a scikit-learn digit."""
    key = np.clip(np.rint(pixels), 0, 255).astype(np.uint8).tobytes()
    return _digit_lookup()[1].get(key)


def original_pixels(exp: Experiment, X: np.ndarray) -> np.ndarray:
    """Rows as the 0–16 pixels of the images, undoing the standardization if the run used it."""
    return exp.scaler.inverse_transform(X) if exp.scaler is not None else np.asarray(X)


def class_words(exp: Experiment) -> tuple[str, str]:
    """What target 0 and target 1 mean: ("even", "odd") or ("not 3", "3")."""
    target = exp.settings.digit_target
    return ("even", "odd") if target == "odd" else (f"not {target}", target)


def _render_digits(exp: Experiment) -> None:
    h = exp.history
    words = class_words(exp)
    st.subheader("Digits as the neuron sees them")
    labels, _ = _digit_lookup()
    if exp.dataset.n == labels.size:
        first = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]  # one of each digit
        rows, digits = exp.dataset.X[first], range(10)
    else:
        first = list(range(min(10, exp.dataset.n)))
        rows, digits = exp.dataset.X[first], [digit_of(r) for r in exp.dataset.X[first]]
    titles = [f"{d}<br>{words[int(y)]} ({int(y)})" for d, y in zip(digits, exp.dataset.y[first])]
    plot.show(digits_figure(rows, titles), key="inspect_digits")
    st.caption("Each 8×8 image (pixels 0–16, dark = ink) is flattened row by row into 64 inputs: "
               "pixel (r, c) is input 8r + c. Under each digit: the target the neuron is trained on.")

    scaled = " on the standardized pixels" if exp.scaler is not None else ""
    if len(h.sizes) == 2:
        left, right = st.columns([1, 1])
        with left:
            plot.show(weight_image_figure(h.w[-1]), key="inspect_weight_image")
        blank = int(np.sum(np.all(exp.X_train == 0.0, axis=0)))  # pixels with no ink in any training digit
        still = (f" The {blank} pixels blank in every training digit keep their random starting weight: with "
                 "x = 0 their gradient is 0." if blank else "")
        right.markdown(f"Red pixels push the output towards **{words[1]}**, blue ones towards **{words[0]}**; "
                       f"white ones hardly matter. These are the 64 weights after training{scaled}, "
                       f"drawn where their pixels are.{still}")
        with right:
            _render_accuracy(exp, words)
    else:
        W = h.network(-1).weights[0]  # (64, units): what the first hidden layer sees
        plot.show(hidden_weights_figure(W), key="inspect_hidden_images")
        out = ", ".join(f"{v:+.2f}" for v in h.w[-1])
        deeper = " (the first hidden layer; the deeper ones see these neurons, not pixels)" if len(h.sizes) > 3 else ""
        st.caption(f"Red pixels excite a hidden neuron, blue ones inhibit it{deeper}; weights after training"
                   f"{scaled}. The output neuron weighs the last hidden layer's neurons by {out}.")
        _render_accuracy(exp, words)
    _render_mistakes(exp, words)


def validation_outputs(exp: Experiment) -> np.ndarray:
    """The trained network's output on the validation rows, (n_val,)."""
    return exp.history.predict(exp.X_val) if len(exp.y_val) else np.zeros(0)


def _render_accuracy(exp: Experiment, words: tuple[str, str]) -> None:
    if not len(exp.y_val):
        st.info("No digits were held out: set a validation fraction above 0 to measure accuracy on unseen "
                "digits.")
        return
    p = validation_outputs(exp)
    wrong = int(np.sum((p >= 0.5) != (exp.y_val == 1.0)))
    verb = "is" if wrong == 1 else "are"
    st.markdown(f"**Validation accuracy: {1 - wrong / len(p):.1%}** — {wrong} of the {len(p)} held-out digits "
                f"(never trained on) {verb} classified wrong (output ≥ 0.5 means {words[1]}).")


def _render_mistakes(exp: Experiment, words: tuple[str, str]) -> None:
    if not len(exp.y_val):
        return
    p = validation_outputs(exp)
    wrong = misclassified(p, exp.y_val, MAX_MISTAKES)
    if not wrong.size:
        st.success("No held-out digit is misclassified.", icon=":material/task_alt:")
        return
    pixels = original_pixels(exp, exp.X_val[wrong])
    output = f"P({words[1]})" if exp.history.activation == "sigmoid" else "output"
    titles = []
    for row, i in zip(pixels, wrong):
        d = digit_of(row)
        truth = words[int(exp.y_val[i])]
        titles.append(f"{d if d is not None else '?'}: {truth}<br>{output} {p[i]:.2f}")
    plot.show(digits_figure(pixels, titles, title="Held-out digits it gets wrong (most confident first)",
                            per_row=MAX_MISTAKES, cell_px=110), key="inspect_mistakes")
    st.caption(f"Above each image: the digit, its true class, and the neuron's {output} "
               f"(≥ 0.5 means {words[1]}).")
