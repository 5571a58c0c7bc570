"""Top of the page: the neuron as an equation with its numbers, the scores, and the exact answer beside it."""

from __future__ import annotations

import numpy as np
import streamlit as st
from sklearn import config_context
from sklearn.metrics import accuracy_score, r2_score

from ..engine import parameter_counts
from ..experiment import Experiment
from ..reference import METHODS
from ..settings import ACTIVATION_LABELS, LOSS_LABELS

G_LATEX = {"linear": "", "sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}",
           "leaky_relu": r"\mathrm{LeakyReLU}"}
MAX_TERMS = 4


def _num(value: float) -> str:
    return f"{value:.4g}".replace("e", r"\mathrm{e}")


def equation_latex(exp: Experiment, frame: int = -1) -> str:
    """ŷ = g(w·x + b) with the numbers of one frame, shortened past a few inputs."""
    h = exp.history
    k = h.sizes[-2]
    w, b = h.params[frame, -k - 1 : -1], h.params[frame, -1]
    if len(h.sizes) > 2:
        inputs = [rf"h_{{{j + 1}}}" for j in range(k)]
    elif k == 1:
        inputs = ["x"]
    else:
        inputs = [rf"x_{{{j + 1}}}" for j in range(k)]
    terms = [rf"{_num(wj)}\,{name}" for wj, name in zip(w[:MAX_TERMS], inputs)]
    if k > MAX_TERMS:
        terms.append(rf"\dots\ ({k - MAX_TERMS}\text{{ more}})")
    inner = " + ".join(terms) + f" + {_num(b)}"
    inner = inner.replace("+ -", "- ")
    g = G_LATEX[h.activation]
    return rf"\hat y = {g}\left({inner}\right)" if g else rf"\hat y = {inner}"


def score(exp: Experiment, X: np.ndarray, y: np.ndarray) -> tuple[str, float] | None:
    """("R²", value) for regression or ("accuracy", value) for classification; None without data."""
    if len(y) < 2:
        return None
    predictions = exp.history.predict(X)
    with config_context(skip_parameter_validation=True):  # our arrays are valid; validation costs ~3 ms a call
        if exp.task == "classification":
            return "accuracy", float(accuracy_score(y, predictions >= 0.5))
        return "R²", float(r2_score(y, predictions))


def render(exp: Experiment, reference) -> None:
    """Equation, losses, scores, the exact answer, and the lessons a failed run teaches."""
    h = exp.history
    counts = parameter_counts(h.sizes[0], h.sizes[1:-1])
    layers = " → ".join(str(s) for s in h.sizes)
    st.latex(equation_latex(exp))
    st.caption(f"Network {layers} · {sum(counts)} trainable parameters "
               f"({' + '.join(str(c) for c in counts)} per layer) · {h.step[-1]} updates")
    columns = st.columns(4)
    start, end = h.train_loss[0], h.train_loss[-1]
    columns[0].metric(f"Train loss ({exp.loss})", f"{end:.4g}", f"{end - start:+.3g} since start",
                      delta_color="inverse")
    if h.val_loss is not None:
        columns[1].metric("Validation loss", f"{h.val_loss[-1]:.4g}")
    train_score = score(exp, exp.X_train, exp.y_train)
    val_score = score(exp, exp.X_val, exp.y_val)
    if train_score:
        columns[2].metric(f"Train {train_score[0]}", f"{train_score[1]:.3f}")
    if val_score:
        columns[3].metric(f"Validation {val_score[0]}", f"{val_score[1]:.3f}")
    if reference is not None:
        _render_reference(exp, reference)
    else:
        st.caption(no_reference_reason(exp))
    _render_lessons_of_the_run(exp)


def no_reference_reason(exp: Experiment) -> str:
    """Why the page shows no exact answer beside the neuron's."""
    if exp.settings.hidden:
        return "No exact answer to compare with: a network with hidden layers has no closed-form optimum."
    method = METHODS.get((exp.settings.activation, exp.loss))
    if method is not None:  # only logistic regression can come back empty
        return (f"No exact answer to compare with: the training classes can be separated perfectly, so the "
                f"cross-entropy keeps falling as the weights grow, and the best weights are infinitely large "
                f"(or {method.source}'s {method.name} did not converge).")
    known = " and ".join(f"{ACTIVATION_LABELS[a].lower()} + {LOSS_LABELS[loss].lower()} ({m.name})"
                         for (a, loss), m in METHODS.items())
    return f"An exact answer is shown for a single neuron with {known}."


def _render_reference(exp: Experiment, reference) -> None:
    h = exp.history
    w, b = h.w[-1], h.b[-1]
    method = METHODS[(exp.settings.activation, exp.loss)]
    name = f"{method.name} ({method.source})"
    parts = [f"weight {w[j]:.3f} vs exact {reference[0][j]:.3f}" for j in range(min(len(w), MAX_TERMS))]
    parts.append(f"bias {b:.3f} vs exact {reference[1]:.3f}")
    st.markdown(f"**Neuron vs exact answer** ({name}): " + ", ".join(parts) + ("…" if len(w) > MAX_TERMS else ""))


def _render_lessons_of_the_run(exp: Experiment) -> None:
    h = exp.history
    for notice in exp.notices:
        st.info(notice, icon=":material/content_cut:")
    if h.diverged_at is not None:
        st.warning(f"**The loss exploded at step {h.diverged_at}** — each update overshot further than the last. "
                   "Try a smaller learning rate, or standardize the features. The charts show the run up to that step.",
                   icon=":material/error:")
    elif h.train_loss[-1] > h.train_loss[0]:
        st.warning("**The loss ended higher than it started**: the steps are too big to settle in the valley. "
                   "Try a smaller learning rate.", icon=":material/trending_up:")
