"""Top of the page: the neuron as an equation with its numbers, the scores, and the exact answer beside it.

Every number here is of one state: the last one the charts draw (`end_state`). After an explosion that is
the state just before the update that blew up, not the last epoch's loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from sklearn import config_context
from sklearn.metrics import accuracy_score, r2_score

from .. import features as input_features
from ..engine import EXPLODE_FACTOR, parameter_counts
from ..engine.losses import EPS
from ..experiment import Experiment
from ..numbers import fixed, latex_number, readable
from ..safe_text import markdown_literal
from ..settings import ACTIVATION_LABELS
from . import state

G_LATEX = {"linear": "", "sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}",
           "leaky_relu": r"\mathrm{LeakyReLU}"}
MAX_TERMS = 4
LINE_TERMS = 3  # terms (the bias included) an equation shows on one line; more go onto two
# What each output activation can produce: a target outside it cannot be reached.
OUTPUT_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, np.inf)}


def equation_latex(exp: Experiment, frame: int = -1) -> str:
    """ŷ = g(w·x + b) with the numbers of one frame, shortened past a few inputs."""
    h = exp.history
    k = h.sizes[-2]
    w, b = h.params[frame, -k - 1 : -1], h.params[frame, -1]
    if len(h.sizes) > 2:
        inputs = [rf"h_{{{j + 1}}}" for j in range(k)]
    elif exp.inputs:  # input features computed from x (or x1, x2)
        inputs = input_features.latex_names(exp.raw_train.shape[1], exp.inputs)
    elif k == 1:
        inputs = ["x"]
    else:
        inputs = [rf"x_{{{j + 1}}}" for j in range(k)]
    terms = [rf"{latex_number(wj)}\,{name}" for wj, name in zip(w[:MAX_TERMS], inputs)]
    if k > MAX_TERMS:
        terms.append(rf"\dots\ ({k - MAX_TERMS}\text{{ more}})")
    terms.append(latex_number(b))
    g = G_LATEX[h.activation]
    if len(terms) <= LINE_TERMS:
        inner = " + ".join(terms)
        equation = rf"\hat y = {g}\left({inner}\right)" if g else rf"\hat y = {inner}"
    else:  # two halves: one line overflowed its column on every screen (470 px in 368 on a desktop)
        half = (len(terms) + 1) // 2
        first, rest = " + ".join(terms[:half]), " + ".join(terms[half:])
        left, right = (rf"{g}\bigl(", r"\bigr)") if g else ("", "")
        equation = rf"\begin{{aligned}}\hat y = {left}&{first} \\ &+ {rest}{right}\end{{aligned}}"
    return equation.replace("+ -", "- ")


def score(exp: Experiment, X: np.ndarray, y: np.ndarray, frame: int = -1) -> tuple[str, float] | None:
    """("R²", value) for regression or ("accuracy", value) for classification at one frame; None without data."""
    if len(y) < 2:
        return None
    predictions = exp.history.predict(X, frame)
    with config_context(skip_parameter_validation=True):  # our arrays are valid; validation costs ~3 ms a call
        if exp.task == "classification":
            return "accuracy", float(accuracy_score(y, predictions >= 0.5))
        return "R²", float(r2_score(y, predictions))


@dataclass(frozen=True)
class EndState:
    """The numbers of the last state the charts draw."""

    step: int  # updates applied to reach it
    start_loss: float  # full training loss before any update (data only)
    train_loss: float  # full training loss in this state (data only)
    val_loss: float | None
    start_penalty: float  # λ·Σ r(w) before any update (0 without a penalty)
    penalty: float  # λ·Σ r(w) in this state
    train_score: tuple[str, float] | None
    val_score: tuple[str, float] | None

    @property
    def objective(self) -> float:
        """What training minimised, in this state: the data loss plus the weight penalty."""
        return self.train_loss + self.penalty

    @property
    def start_objective(self) -> float:
        """The same before any update."""
        return self.start_loss + self.start_penalty


def end_state(exp: Experiment) -> EndState:
    """Losses and scores of the run's last recorded state (after an explosion: the state just before it)."""
    h = exp.history
    train, val = exp.final_losses()
    return EndState(int(h.step[-1]), float(h.train_loss[0]), float(train), val, h.frame_penalty(0),
                    h.frame_penalty(-1), score(exp, exp.X_train, exp.y_train), score(exp, exp.X_val, exp.y_val))


def render(exp: Experiment, reference) -> None:
    """Equation, losses, scores, the exact answer, and the lessons a failed run teaches."""
    h = exp.history
    end = end_state(exp)
    counts = parameter_counts(h.sizes[0], h.sizes[1:-1])
    layers = " → ".join(str(s) for s in h.sizes)
    # The equation beside the scores on a wide screen (one row, so the chart comes sooner); above them on a phone.
    equation, scores = st.columns([2, 3], vertical_alignment="center")
    latex = equation_latex(exp)
    equation.container(key="long_equation" if r"\begin{aligned}" in latex else "equation").latex(latex)
    original_units = original_units_equation(exp)
    equation.caption(f"Network {layers} · {sum(counts)} trainable parameters "
                     f"({' + '.join(str(c) for c in counts)} per layer) · {end.step} updates"
                     + (f" · {original_units}" if original_units else ""))
    at = f" at step {end.step}" if h.diverged_at is not None else ""
    penalised = h.regularization != "none"
    columns = scores.container(key="scores").columns(4)
    change = readable(end.train_loss - end.start_loss, 3).replace("−", "-")  # Streamlit reads the sign from "-"
    columns[0].metric(f"Train loss ({exp.loss}{', data only' if penalised else ''}){at}", readable(end.train_loss),
                      f"{change} since start", delta_color="inverse")
    if end.val_loss is not None:
        columns[1].metric(f"Validation loss{at}", readable(end.val_loss))
    for column, part, result in ((columns[2], "Train", end.train_score), (columns[3], "Validation", end.val_score)):
        if result:
            column.metric(f"{part} {result[0]}{at}", score_text(result[1]))
    if penalised:
        st.caption(penalty_text(exp, end))
    if reference is not None:
        _render_reference(exp, reference)
    else:
        st.caption(state.no_reference_reason(exp))
    _render_lessons_of_the_run(exp, end)


PENALTY_TEXT = {"l1": "λ·Σ|w|", "l2": "λ·Σw²"}


def penalty_text(exp: Experiment, end: EndState) -> str:
    """The weight penalty and the objective it makes, in the state the charts end on."""
    h = exp.history
    return (f"With the {h.regularization.upper()} penalty {PENALTY_TEXT[h.regularization]} = "
            f"{readable(end.penalty)} (λ = {h.regularization_rate:g}, on the weights, not the biases), training "
            f"minimises the objective train loss + penalty = {readable(end.objective)}; it started at "
            f"{readable(end.start_objective)}.")


def original_units_equation(exp: Experiment) -> str:
    """For one standardized input: the same neuron written in x's own units, e.g. "in x's units: ŷ = 7.79x + 5.4"."""
    h = exp.history
    if exp.scaler is None or h.sizes[0] != 1 or len(h.sizes) != 2:
        return ""
    mean, scale = float(exp.scaler.mean_[0]), float(exp.scaler.scale_[0])
    w, b = float(h.w[-1, 0]), float(h.b[-1])
    w_x, b_x = w / scale, b - w * mean / scale
    name = markdown_literal(exp.dataset.feature_names[0])  # a CSV's column name: text, never markup
    g = "" if h.activation == "linear" else h.activation
    inner = f"{readable(w_x)}·x {'−' if b_x < 0 else '+'} {readable(abs(b_x))}"
    return (f"x is standardized, x′ = (x − {readable(mean)}) / {readable(scale)}, so w = {readable(w)} is per "
            f"standard deviation of {name}; in {name}'s own units the neuron is ŷ = "
            + (f"{g}({inner})" if g else inner))


def score_text(value: float) -> str:
    """An accuracy or R² as the summary writes it: three decimals (0.914, 1.000), or in full when huge."""
    return fixed(value) if abs(value) < 10 else readable(value)


def _render_reference(exp: Experiment, reference) -> None:
    h = exp.history
    w, b = h.w[-1], h.b[-1]
    method = exp.method
    name = f"{method.name} ({method.source})"
    parts = [f"weight {fixed(w[j])} vs exact {fixed(reference[0][j])}" for j in range(min(len(w), MAX_TERMS))]
    parts.append(f"bias {fixed(b)} vs exact {fixed(reference[1])}")
    st.markdown(f"**Neuron vs exact answer** ({name}): " + ", ".join(parts) + ("…" if len(w) > MAX_TERMS else ""))


def explosion_text(exp: Experiment) -> str:
    """What the diverged run did, with the step the charts end on."""
    h = exp.history
    at = h.diverged_at
    if at == 0:
        return ("**The loss cannot be computed at the start**: it is not a finite number with these inputs. "
                "Standardize the features or pick a smaller scale.")
    what = "loss" if h.regularization == "none" else "objective (loss + penalty)"
    start = float(h.objective[0])  # what the engine judges: the objective, as it was before any update
    limit = EXPLODE_FACTOR * max(start, 1.0)
    if np.isfinite(limit):
        times = f"a million times the starting {what.split()[0]}" if start >= 1 else \
            f"a million: the starting {what.split()[0]} was below 1"
        how = f"above {readable(limit)} ({times}) or not a number"
    else:  # a start so large that a million times it is no number: only not-a-number counts
        how = "not a number"
    scale = "" if exp.settings.standardize else ", or standardize the features"
    return (f"**Update {at} made the loss explode**: after it the {what} was {how}, so training stopped. Each "
            f"update overshot further than the last. The charts and every number above end at step {at - 1}, the "
            f"last state before it. Try a smaller learning rate{scale}.")


def unreachable_target_text(exp: Experiment) -> str | None:
    """A warning when a bounded output activation cannot reach much of a numeric target, else None."""
    bounds = OUTPUT_RANGE.get(exp.history.activation)
    if bounds is None or exp.task != "regression":
        return None
    lo, hi = bounds
    y = exp.y_train
    outside = float(np.mean((y < lo) | (y > hi)))
    if outside < 0.05:
        return None
    name = ACTIVATION_LABELS[exp.history.activation]
    span = f"between {readable(lo)} and {readable(hi)}" if np.isfinite(hi) else f"at least {readable(lo)}"
    return (f"**{name} can only output values {span}**, but {outside:.0%} of the training targets lie outside that "
            f"(they run from {readable(y.min())} to {readable(y.max())}): the neuron cannot reach them, so its line "
            "flattens against that limit. For numbers, use a linear output.")


def clipped_outputs_text(exp: Experiment) -> str | None:
    """With cross-entropy on an output that is not a sigmoid: how many outputs are clipped (no gradient), else None."""
    h = exp.history
    if exp.loss != "bce" or h.activation == "sigmoid":
        return None
    a = h.predict(exp.X_train)
    clipped = int(np.sum((a <= EPS) | (a >= 1.0 - EPS)))
    name = ACTIVATION_LABELS[h.activation]
    return (f"**Cross-entropy needs a probability between 0 and 1, and {name} is not a sigmoid**: its output can "
            f"leave (0, 1). There the engine clips it to [10⁻⁷, 1 − 10⁻⁷], as Keras does, and that point gives no "
            f"gradient. Now {clipped} of the {len(a)} training outputs are clipped. Use a sigmoid output for "
            "cross-entropy.")


def _render_lessons_of_the_run(exp: Experiment, end: EndState) -> None:
    h = exp.history
    for notice in exp.notices:
        st.info(notice, icon=":material/content_cut:")
    for text in (unreachable_target_text(exp), clipped_outputs_text(exp)):
        if text:
            st.warning(text, icon=":material/block:")
    if h.diverged_at is not None:
        st.warning(explosion_text(exp), icon=":material/error:")
    elif end.objective > end.start_objective:
        what = "objective (loss + penalty)" if h.regularization != "none" else "loss"
        st.warning(f"**The {what} ended higher than it started**: the steps are too big to settle in the valley. "
                   "Try a smaller learning rate.", icon=":material/trending_up:")
