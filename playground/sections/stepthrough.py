"""Step through the math: one update of the current run with the engine's own numbers — the forward
pass, the chain rule (seed notebook 001) and the optimizer's step. ◀ / ▶ move one update at a time."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..engine.losses import EPS
from ..experiment import Experiment
from ..numbers import latex_factor as factor
from ..numbers import latex_number as num
from ..numbers import readable
from ..settings import OPTIMIZER_LABELS
from ..stepthrough import Replay, StepDetail, epoch_and_batch, gradient_table, last_step, step_of
from . import state
from .summary import G_LATEX
from .training_views import run_key

STEP_KEY = "step_through_step"  # the chosen update, 1-based; not a widget key, so it survives tab switches
INPUT_KEY, EPOCH_KEY, BATCH_KEY = "step_through_step_input", "step_through_epoch", "step_through_batch"
NEXT_KEY, PREVIOUS_KEY = "step_through_next", "step_through_previous"
REPLAY_KEY = "step_through_replay"  # (run key, Replay) of this session
ROWS = 5  # batch rows written out one by one
MAX_WEIGHTS = 4  # output weights whose chain rule and update are written out
WRITTEN_PRODUCTS = 2  # up to this many inputs, z = w·x + b is written out term by term

PENALTY_GRAD_LATEX = {"l2": r"2\lambda w", "l1": r"\lambda\,\mathrm{sign}(w)"}
G_PRIME_LATEX = {"linear": "1", "sigmoid": "a_i(1-a_i)", "tanh": "1-a_i^2", "relu": r"[z_i > 0]",
                 "leaky_relu": r"1 \text{ if } z_i > 0 \text{ else } 0.01"}
DL_DA_LATEX = {"mse": "2(a_i - y_i)", "bce": r"\frac{a_i - y_i}{a_i(1 - a_i)}",
               "bce_clipped": r"\frac{p_i - y_i}{p_i(1 - p_i)}\ (0\text{ where clipped})"}
LOSS_LATEX = {"mse": r"\ell_i = (a_i - y_i)^2", "bce": r"\ell_i = -\left[y_i \ln a_i + (1 - y_i)\ln(1 - a_i)\right]",
              "bce_clipped": r"\ell_i = -\left[y_i \ln p_i + (1 - y_i)\ln(1 - p_i)\right],\ "
                             r"p_i = \mathrm{clip}(a_i, 10^{-7}, 1 - 10^{-7})"}
OPTIMIZER_NOTES = {
    "sgd": "Plain gradient descent: a step of α times the gradient, downhill.",
    "momentum": "Momentum keeps a velocity v (μ = 0.9 of the last one plus the new gradient) and steps along it.",
    "rmsprop": "RMSProp keeps v, a running mean of squared gradients (ρ = 0.99), and divides each step by √v: "
               "parameters with large gradients take smaller steps.",
    "adam": "Adam keeps a running mean m of the gradients (β₁ = 0.9) and v of their squares (β₂ = 0.999), "
            "corrects both for starting at zero (m̂, v̂), and steps by α·m̂/(√v̂ + ε).",
}


# --- the step picker -------------------------------------------------------------------------------------


def _replay(exp: Experiment) -> Replay:
    """This session's replay of the current run (a new one when the run changed)."""
    key = run_key(exp)
    stored = st.session_state.get(REPLAY_KEY)
    if stored is None or stored[0] != key:
        stored = (key, Replay(exp))
        st.session_state[REPLAY_KEY] = stored
    return stored[1]


def _show_step(step: int, n: int, steps_per_epoch: int) -> int:
    """Clamp the chosen step to 1…n, store it, and move the step, epoch and batch inputs to it."""
    step = min(max(int(step), 1), n)
    epoch, batch = epoch_and_batch(step, steps_per_epoch)
    st.session_state[STEP_KEY] = st.session_state[INPUT_KEY] = step
    st.session_state[EPOCH_KEY], st.session_state[BATCH_KEY] = epoch, batch + 1
    return step


def _shift(delta: int) -> None:
    st.session_state[STEP_KEY] = st.session_state.get(STEP_KEY, 1) + delta


def _picked_step() -> None:
    if st.session_state.get(INPUT_KEY) is not None:
        st.session_state[STEP_KEY] = st.session_state[INPUT_KEY]


def _picked_epoch_or_batch(steps_per_epoch: int) -> None:
    epoch, batch = st.session_state.get(EPOCH_KEY), st.session_state.get(BATCH_KEY)
    if epoch is not None and batch is not None:
        st.session_state[STEP_KEY] = step_of(int(epoch), int(batch) - 1, steps_per_epoch)


def _picker(n: int, steps_per_epoch: int) -> int:
    step = _show_step(st.session_state.get(STEP_KEY, 1), n, steps_per_epoch)
    previous, following, number, epoch, batch = st.columns([1, 1, 1.3, 1, 1], vertical_alignment="bottom")
    previous.button("◀ Previous", key=PREVIOUS_KEY, on_click=_shift, args=(-1,), disabled=step <= 1, width="stretch")
    following.button("Next step ▶", key=NEXT_KEY, on_click=_shift, args=(1,), disabled=step >= n, type="primary",
                     width="stretch")
    number.number_input(f"Update (1–{n})", min_value=1, max_value=n, step=1, key=INPUT_KEY, on_change=_picked_step)
    epoch.number_input("Epoch", min_value=1, max_value=epoch_and_batch(n, steps_per_epoch)[0], step=1,
                       key=EPOCH_KEY, on_change=_picked_epoch_or_batch, args=(steps_per_epoch,))
    batch.number_input(f"Batch (1–{steps_per_epoch})", min_value=1, max_value=steps_per_epoch, step=1,
                       key=BATCH_KEY, on_change=_picked_epoch_or_batch, args=(steps_per_epoch,))
    return step


def render(exp: Experiment, reference) -> None:
    """Pick an update of the run and see its forward pass, chain rule and optimizer step in numbers."""
    if last_step(exp) == 0:
        st.info("This run made no update: its loss was too large to compute before the first step. "
                "Try standardizing the features.")
        return
    _stepper(exp)


@state.run_fragment
def _stepper(exp: Experiment, reference=None) -> None:
    """The interactive part: only this reruns when stepping."""
    h = exp.history
    n = last_step(exp)
    step = _picker(n, h.steps_per_epoch)
    progress = state.Progress(f"Replaying the run up to update {step}…")  # a bar only if it takes over 1 s
    try:
        detail = _replay(exp).explain(step, progress)
    finally:
        progress.close()
    st.caption(f"Update {detail.step} of {n} · epoch {detail.epoch}, batch {detail.batch + 1} of "
               f"{detail.steps_per_epoch} · {_rows_note(detail)} · the run replayed with its own seed, "
               "so these are the very numbers the training used.")
    if detail.step == h.diverged_at:
        st.warning(f"**Update {detail.step} made the loss explode**: look at the size of the step it takes. "
                   "The charts stop just before it.", icon=":material/error:")
    _forward(detail)
    _backward(detail)
    _update(detail)
    _all_gradients(detail)


def _rows_note(detail: StepDetail) -> str:
    if detail.m == 1:
        return "1 row in this batch"
    return f"{detail.m} rows in this batch" + (f" (first {ROWS} of {detail.m} rows shown)" if detail.m > ROWS else "")


# --- the math ------------------------------------------------------------------------------------------


def _output_weight_names(detail: StepDetail) -> list[str]:
    """LaTeX names of the output neuron's weights: w for one input, else w_1 … w_k."""
    if not detail.hidden and detail.k == 1:
        return ["w"]
    return [f"w_{{{j + 1}}}" for j in range(detail.k)]


def _shown_parameters(detail: StepDetail) -> list[tuple[str, int]]:
    """(LaTeX name, index in the flat parameter vector) of the output parameters written out."""
    start = detail.output_slice.start
    weights = _output_weight_names(detail)
    return [*((weights[j], start + j) for j in range(min(detail.k, MAX_WEIGHTS))), ("b", start + detail.k)]


def _rows(detail: StepDetail) -> range:
    return range(min(detail.m, ROWS))


def _forward(detail: StepDetail) -> None:
    st.markdown("**1 · Forward pass** — each row of the batch through the neuron, with the weights before this update")
    g, w, b = G_LATEX[detail.activation], detail.params_before[detail.output_slice][:-1], detail.params_before[-1]
    inputs = r"\mathbf{h}" if detail.hidden else r"\mathbf{x}"
    a_def = rf"a = {g}(z)" if g else "a = z"
    st.latex(rf"z = \mathbf{{w}}\cdot{inputs} + b, \qquad {a_def}, \qquad "
             rf"E = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}} \ell_i, \quad \text{{where}}")
    st.latex(LOSS_LATEX[_loss_key(detail)])
    if detail.hidden:
        hg = G_LATEX[detail.hidden_activation] or r"\mathrm{id}"
        layers = "layer" if len(detail.sizes) == 3 else "last hidden layer"
        st.caption(f"With hidden layers the output neuron's inputs are h, the activations of the {layers} "
                   f"(computed from x by {detail.hidden_activation}), one weight per hidden unit ({detail.k}).")
        rows = [rf"\mathbf{{h}}_{{{i + 1}}} &= {hg}(\dots) = " + _vector(detail.inputs[i]) for i in _rows(detail)]
        st.latex(r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}")
    if detail.k > WRITTEN_PRODUCTS:
        st.latex(rf"\mathbf{{w}} = {_vector(w)}, \qquad b = {num(b)}")
    z_rows, rows = [], []
    for i in _rows(detail):
        x_i, z_i, a_i, y_i = detail.inputs[i], detail.z[i], detail.a[i], detail.y_batch[i]
        if detail.k > WRITTEN_PRODUCTS:  # too wide written out: the vectors are above and in the table
            z_terms = rf"\mathbf{{w}}\cdot{inputs}_{{{i + 1}}} + b"
        else:
            z_terms = " + ".join(f"{factor(wj)}\\cdot {factor(xj)}" for wj, xj in zip(w, x_i)) + f" + {factor(b)}"
        z_rows.append(rf"z_{{{i + 1}}} &= {z_terms} = {num(z_i)}")
        a_row = rf"a_{{{i + 1}}} &= {g}({num(z_i)}) = {num(a_i)}" if g else rf"a_{{{i + 1}}} &= z_{{{i + 1}}}"
        rows.append(rf"{a_row} & \ell_{{{i + 1}}} &= {_loss_terms(detail, a_i, y_i, i + 1)} = "
                    f"{num(detail.sample_loss[i])}")
    mean = rf"E &= \frac{{1}}{{{detail.m}}}\sum_{{i=1}}^{{{detail.m}}} \ell_i = {num(detail.loss)}"
    if detail.k == 1 or detail.k > WRITTEN_PRODUCTS:  # z is short: z, a and ℓ side by side
        rows = [f"{z_row} & {row}" for z_row, row in zip(z_rows, rows)]
    else:  # two products written out in each z: z first, then a and ℓ, or the rows run off a 1024-px page
        st.latex(r"\begin{aligned}" + r" \\ ".join(z_rows) + r"\end{aligned}")
    st.latex(r"\begin{aligned}" + r" \\ ".join([*rows, mean]) + r"\end{aligned}")
    st.dataframe(_sample_table(detail), hide_index=True, width="stretch")


def _vector(values: np.ndarray) -> str:
    parts = [num(v) for v in values[:MAX_WEIGHTS]] + ([r"\dots"] if values.size > MAX_WEIGHTS else [])
    return r"\left(" + ", ".join(parts) + r"\right)"


def _loss_key(detail: StepDetail) -> str:
    """Which formula the loss is: "mse", "bce" (of a sigmoid, never clipped) or "bce_clipped"."""
    return "bce_clipped" if detail.loss_name == "bce" and not detail.fused else detail.loss_name


def _loss_terms(detail: StepDetail, a: float, y: float, row: int) -> str:
    if detail.loss_name == "mse":
        return f"({num(a)} - {factor(y)})^2"
    p = factor(a)
    if _loss_key(detail) == "bce_clipped" and min(max(a, EPS), 1.0 - EPS) != a:
        p = rf"\mathrm{{clip}}(a_{{{row}}})"  # a is in its own column; the clipped value is what the loss uses
    if y == 1.0:
        return rf"-\ln {p}"
    if y == 0.0:
        return rf"-\ln(1 - {p})"
    return rf"-[{num(y)} \ln {p} + {factor(1 - y)} \ln(1 - {p})]"


def _sample_table(detail: StepDetail) -> dict[str, list]:
    rows = list(_rows(detail))
    table: dict[str, list] = {"row": [i + 1 for i in rows]}
    p = detail.X_batch.shape[1]
    for j in range(min(p, MAX_WEIGHTS)):
        table["x" if p == 1 else f"x{j + 1}"] = detail.X_batch[rows, j].tolist()
    if detail.hidden:
        for j in range(min(detail.k, MAX_WEIGHTS)):
            table[f"h{j + 1}"] = detail.inputs[rows, j].tolist()
    for name, values in (("y", detail.y_batch), ("z", detail.z), ("a", detail.a), ("ℓ", detail.sample_loss),
                         ("∂ℓ/∂a", detail.dloss_da), ("∂a/∂z", detail.da_dz), ("∂ℓ/∂z", detail.dloss_dz)):
        table[name] = values[rows].tolist()
    return table


def _backward(detail: StepDetail) -> None:
    st.markdown("**2 · Backward pass** — the chain rule gives each row's gradient; the batch gradient is their mean")
    fused = detail.fused
    dz_dw = r"h_{i,j}" if detail.hidden else ("x_i" if detail.k == 1 else "x_{i,j}")
    w = "w" if detail.k == 1 and not detail.hidden else "w_j"
    st.latex(
        rf"\frac{{\partial E}}{{\partial {w}}} = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}}"
        rf"\underbrace{{\frac{{\partial \ell_i}}{{\partial a_i}}}}_{{{DL_DA_LATEX[_loss_key(detail)]}}}\,"
        rf"\underbrace{{\frac{{\partial a_i}}{{\partial z_i}}}}_{{{G_PRIME_LATEX[detail.activation]}}}\,"
        rf"\underbrace{{\frac{{\partial z_i}}{{\partial {w}}}}}_{{{dz_dw}}}, \qquad "
        rf"\frac{{\partial E}}{{\partial b}} = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}}"
        rf"\frac{{\partial \ell_i}}{{\partial a_i}}\,\frac{{\partial a_i}}{{\partial z_i}}\cdot 1"
    )
    if fused:
        st.caption("Sigmoid with cross-entropy: the first two factors multiply out to a − y "
                   "(the engine computes it that way, which is exact even where a rounds to 0 or 1).")
    elif detail.loss_name == "bce":
        clipped = int(detail.clipped.sum())
        st.caption(f"Cross-entropy needs a probability a between 0 and 1, and a {detail.activation} output can leave "
                   "that range. The engine, like Keras, first clips a to p = clip(a, 10⁻⁷, 1 − 10⁻⁷); where it "
                   f"clips, ∂ℓ/∂a = 0 and the row gives no gradient. In this batch {clipped} of the {detail.m} rows "
                   "are clipped. A sigmoid output never needs this.")
    gradients = detail.grads  # of the objective: the data loss's plus the penalty's
    if detail.regularization != "none":
        st.caption(f"With the {detail.regularization.upper()} penalty (λ = {detail.regularization_rate:g}) the step "
                   f"follows E + λ·Σ r(w) = {readable(detail.loss)} + {readable(detail.penalty)}: each weight's "
                   "gradient gains λ·r′(w); the biases are not penalised.")
    blocks = []
    for name, index in _shown_parameters(detail):
        rows = []
        column = index - detail.output_slice.start
        for i in _rows(detail):
            dz_value = "1" if column == detail.k else factor(detail.inputs[i, column])
            if fused:
                chain = rf"({num(detail.a[i])} - {factor(detail.y_batch[i])})"
            elif detail.clipped[i]:
                chain = rf"\underbrace{{0}}_{{\text{{clipped}}}}\cdot {factor(detail.da_dz[i])}"
            else:
                chain = rf"{factor(detail.dloss_da[i])}\cdot {factor(detail.da_dz[i])}"
            rows.append(rf"\frac{{\partial \ell_{{{i + 1}}}}}{{\partial {name}}} &= {chain}\cdot {dz_value} "
                        f"= {num(detail.sample_grads[i, column])}")
        penalty = detail.penalty_grads[index]
        if detail.regularization == "none" or column == detail.k:  # no penalty, or a bias: never penalised
            rows.append(rf"\frac{{\partial E}}{{\partial {name}}} &= \frac{{1}}{{{detail.m}}}"
                        rf"\sum_{{i=1}}^{{{detail.m}}}\frac{{\partial \ell_i}}{{\partial {name}}} "
                        f"= {num(gradients[index])}")
        else:  # the step follows the objective E + λ·Σ r(w): its gradient adds λ·r'(w)
            data_part = gradients[index] - penalty
            rows.append(rf"g_{{{name}}} &= \frac{{1}}{{{detail.m}}}\sum_{{i=1}}^{{{detail.m}}}"
                        rf"\frac{{\partial \ell_i}}{{\partial {name}}} + {PENALTY_GRAD_LATEX[detail.regularization]}"
                        rf" = {num(data_part)} + {factor(penalty)} = {num(gradients[index])}")
        blocks.append(r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}")
    _latex_grid(blocks)
    if detail.k > MAX_WEIGHTS:
        st.caption(f"…and {detail.k - MAX_WEIGHTS} more weights of the output neuron, computed the same way "
                   "(see the table of every gradient below).")
    if detail.hidden:
        st.latex(r"\delta^{(L)} = \frac{\partial E}{\partial z}, \qquad "
                 r"\delta^{(l)} = \left(\delta^{(l+1)}\, W^{(l+1)\top}\right) \odot g'(z^{(l)}), \qquad "
                 r"\frac{\partial E}{\partial W^{(l)}} = \mathbf{a}^{(l-1)\top}\delta^{(l)}, \qquad "
                 r"\frac{\partial E}{\partial \mathbf{b}^{(l)}} = \textstyle\sum_i \delta^{(l)}_i")
        st.caption("Backpropagation carries the output neuron's δ = ∂E/∂z back through each weight matrix and "
                   f"multiplies it by the slope g′ of the hidden activation ({detail.hidden_activation}): "
                   "that gives every hidden weight's gradient, listed in the table below.")


def _update(detail: StepDetail) -> None:
    label = OPTIMIZER_LABELS.get(detail.optimizer, detail.optimizer)
    st.markdown(f"**3 · The update** — {label}, learning rate α = {detail.state_before['lr']:g}")
    st.caption(OPTIMIZER_NOTES.get(detail.optimizer, ""))
    for name, index in _shown_parameters(detail):
        st.latex(r"\begin{aligned}" + r" \\ ".join(_update_rows(detail, name, index)) + r"\end{aligned}")


def _latex_grid(blocks: list[str]) -> None:
    """LaTeX blocks two to a row."""
    for start in range(0, len(blocks), 2):
        for column, block in zip(st.columns(2), blocks[start : start + 2]):
            column.latex(block)


def _update_rows(detail: StepDetail, name: str, index: int) -> list[str]:
    before, after, s0, s1 = detail.params_before[index], detail.params_after[index], detail.state_before, \
        detail.state_after
    g, lr = detail.grads[index], s1["lr"]
    gname = rf"g_{{{name}}}"
    rows = [rf"{gname} &= \frac{{\partial E}}{{\partial {name}}} = {num(g)}"]
    if detail.optimizer == "sgd":
        rows.append(rf"{name} &:= {name} - \alpha\, {gname} = {num(before)} - {num(lr)}\cdot {factor(g)} "
                    f"= {num(after)}")
    elif detail.optimizer == "momentum":
        v0, v1 = s0["velocity"][index], s1["velocity"][index]
        rows += [rf"v_{{{name}}} &= \mu\, v_{{{name}}} + {gname} = {num(s1['mu'])}\cdot {factor(v0)} + {factor(g)} "
                 f"= {num(v1)}",
                 rf"{name} &:= {name} - \alpha\, v_{{{name}}} = {num(before)} - {num(lr)}\cdot {factor(v1)} "
                 f"= {num(after)}"]
    elif detail.optimizer == "rmsprop":
        v0, v1, rho = s0["square_avg"][index], s1["square_avg"][index], s1["alpha"]
        rows += [rf"v_{{{name}}} &= \rho\, v_{{{name}}} + (1 - \rho)\, {gname}^2 = {num(rho)}\cdot {factor(v0)} + "
                 rf"{num(1 - rho)}\cdot {factor(g)}^2 = {num(v1)}",
                 rf"{name} &:= {name} - \alpha \frac{{{gname}}}{{\sqrt{{v_{{{name}}}}} + \epsilon}} = {num(before)} - "
                 rf"{num(lr)}\cdot\frac{{{num(g)}}}{{\sqrt{{{num(v1)}}} + {num(s1['eps'])}}} = {num(after)}"]
    elif detail.optimizer == "adam":
        m0, m1, v0, v1 = s0["m"][index], s1["m"][index], s0["v"][index], s1["v"][index]
        b1, b2, t = s1["beta1"], s1["beta2"], s1["t"]
        m_hat, v_hat = (moment[index] for moment in detail.moments_hat())
        rows += [rf"t &= {t}",
                 rf"m_{{{name}}} &= \beta_1 m_{{{name}}} + (1 - \beta_1)\, {gname} = {num(b1)}\cdot {factor(m0)} + "
                 rf"{num(1 - b1)}\cdot {factor(g)} = {num(m1)}",
                 rf"v_{{{name}}} &= \beta_2 v_{{{name}}} + (1 - \beta_2)\, {gname}^2 = {num(b2)}\cdot {factor(v0)} + "
                 rf"{num(1 - b2)}\cdot {factor(g)}^2 = {num(v1)}",
                 rf"\hat m_{{{name}}} &= \frac{{m_{{{name}}}}}{{1 - \beta_1^{{t}}}} = "
                 rf"\frac{{{num(m1)}}}{{1 - {num(b1)}^{{{t}}}}} = {num(m_hat)}",
                 rf"\hat v_{{{name}}} &= \frac{{v_{{{name}}}}}{{1 - \beta_2^{{t}}}} = "
                 rf"\frac{{{num(v1)}}}{{1 - {num(b2)}^{{{t}}}}} = {num(v_hat)}",
                 rf"{name} &:= {name} - \alpha \frac{{\hat m_{{{name}}}}}{{\sqrt{{\hat v_{{{name}}}}} + \epsilon}} = "
                 rf"{num(before)} - {num(lr)}\cdot\frac{{{num(m_hat)}}}{{\sqrt{{{num(v_hat)}}} + {num(s1['eps'])}}} "
                 f"= {num(after)}"]
    else:  # an optimizer this page does not know how to write out: before and after still hold
        rows.append(rf"{name} &: {num(before)} \to {num(after)}")
    return rows


def _all_gradients(detail: StepDetail) -> None:
    if not detail.hidden and detail.k <= MAX_WEIGHTS:
        return
    title = "**Every gradient, layer by layer**" if detail.hidden else "**Every weight's gradient**"
    st.markdown(title + " — the value before the update, dE/dθ from backpropagation, the value after")
    number = st.column_config.NumberColumn(format="%.4g")
    st.dataframe(gradient_table(detail), hide_index=True, width="stretch", height=min(400, 38 + 35 * detail.grads.size),
                 column_config={"before": number, "gradient": number, "after": number})
