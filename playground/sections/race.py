"""The optimizer race: SGD, momentum, RMSProp and Adam from the same start on the same batches."""

from __future__ import annotations

import streamlit as st

from ..charts.landscape import LandscapeSlice
from ..charts.race import race_landscape_figure, race_loss_figure, race_slice
from ..experiment import Experiment
from ..race import EXACT_OPTIMUM, MAX_LOSS_FRAMES, TYPICAL_LEARNING_RATES, WITHIN, Race, race_table, run_race
from ..settings import OPTIMIZER_LABELS
from . import plot, state, training_views
from .training_views import run_key


@st.cache_data(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def cached_race(_exp: Experiment, key: tuple, reference, typical: bool) -> Race:
    """The four runs for a page run; `key` (settings + upload hash) identifies the run."""
    return run_race(_exp, reference, typical)


@st.cache_data(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def cached_race_slice(_exp: Experiment, _race: Race, key: tuple, reference, typical: bool, u: int, v: int
                      ) -> LandscapeSlice:
    """The landscape behind the race; `key` and `typical` identify the run and the race."""
    return race_slice(_exp, _race, reference, u, v)


def _learning_rate_note(exp: Experiment, typical: bool) -> str:
    if not typical:
        return f"All four use the page's learning rate, {exp.settings.learning_rate:g}."
    rates = ", ".join(f"{OPTIMIZER_LABELS[name]} {lr:g}" for name, lr in TYPICAL_LEARNING_RATES.items())
    return (f"Typical learning rates: {rates}. Starting points for problems this small, not library defaults "
            "(Adam's 0.001 assumes many thousands of updates); momentum's is 10× smaller than SGD's because "
            "μ = 0.9 makes its steps about 10× longer once it gets going.")


def render(exp: Experiment, reference) -> None:
    """Paths on the landscape, loss curves and a results table for the four optimizers."""
    s = exp.settings
    st.markdown(f"The same network, data, starting weights and batches (seed {s.seed}, batch size {s.batch_size}, "
                f"{s.epochs} epochs): only the optimizer differs.")
    typical = st.toggle("Use each optimizer's typical learning rate", key="race_typical",
                        help="Off: every optimizer uses the page's learning rate. On: each uses a learning rate "
                             "that usually suits it.")
    st.caption(_learning_rate_note(exp, typical))
    key = run_key(exp)
    with st.spinner("Racing the four optimizers…"):
        race = cached_race(exp, key, reference, typical)
        u, v = training_views.slice_choice(exp, "race_slice")
        ls = cached_race_slice(exp, race, key, reference, typical, u, v)
    plot.show(race_landscape_figure(race, ls, u, v), key="race_landscape")
    st.caption(_landscape_caption(exp, ls))
    _render_curves(race, exp.loss)
    st.dataframe(race_table(race), hide_index=True, width="stretch", column_config={
        "learning rate": st.column_config.NumberColumn(format="%g"),
        "final train loss": st.column_config.NumberColumn(format="%.4g"),
        "final validation loss": st.column_config.NumberColumn(format="%.4g"),
    })
    st.caption(_table_caption(race))


def _landscape_caption(exp: Experiment, ls: LandscapeSlice) -> str:
    text = ("Each line is one optimizer's path, from the shared start ■ to the marker at its end "
            f"(✕ where its loss exploded; such a path may leave the chart); ★ the {ls.optimum_label}. "
            "Background: log₁₀ of the training loss, light = low.")
    if len(exp.history.sizes) > 2:
        text += (" With hidden layers this is a slice through the final weights of the page's run "
                 f"({OPTIMIZER_LABELS[exp.settings.optimizer]}, lr {exp.settings.learning_rate:g}): every other "
                 "parameter is held at that run's final value, while each racer's hidden weights moved their own "
                 "way, so read its path as a projection on this slice.")
    elif ls.is_slice:
        text += (" A slice through the final weights of the page's run: the other weights are held at their final "
                 "values; each path shows only its two coordinates.")
    return text


def _table_caption(race: Race) -> str:
    if race.optimum_loss is None:
        return "No optimizer ended with a finite loss, so there is no optimum to race to."
    source = ("the exact answer's loss" if race.optimum_source == EXACT_OPTIMUM
              else "the best final training loss among the four (no exact answer is known here)")
    within = f"{WITHIN * 100:g} %"
    start = float(race.racers[0].step_loss[0])
    stuck = ""
    if race.optimum_source != EXACT_OPTIMUM and race.optimum_loss >= start:
        stuck = (f" None of the four ended below the shared starting loss, {start:.4g}, so each counts as within "
                 f"{within} from step 0: there is no progress to race for here.")
    return (f"Steps to reach {within} of optimum: the first recorded step whose loss over the whole training set "
            f"is at most {within} above the optimum, {race.optimum_loss:.4g} ({source}). The loss is evaluated at "
            f"up to {MAX_LOSS_FRAMES} evenly spaced recorded steps per optimizer. Diverged at: the update after "
            "which the loss exploded." + stuck)


@st.fragment
def _render_curves(race: Race, loss_name: str) -> None:
    log_scale = st.toggle("Log scale", value=True, key="race_log")
    plot.show(race_loss_figure(race, loss_name, log_scale), key="race_loss")
