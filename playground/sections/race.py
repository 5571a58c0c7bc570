"""The optimizer race: SGD, momentum, RMSProp and Adam from the same start on the same batches."""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import budget
from ..cache import MB, SharedCache
from ..charts.landscape import LandscapeSlice
from ..charts.race import race_landscape_figure, race_loss_figure, race_slice
from ..experiment import Experiment
from ..race import EXACT_OPTIMUM, TYPICAL_LEARNING_RATES, WITHIN, Race, race_arguments, race_of_run, race_table
from ..safe_text import markdown_literal
from ..settings import OPTIMIZER_LABELS
from . import plot, state, training_views
from .training_views import run_key

RACES = SharedCache("races", 64 * MB)  # four histories: ~4 MB on digits, ~34 MB for 3 × 16 on digits
RACE_SLICES = SharedCache("race slices", 16 * MB)


def race_plan(exp: Experiment) -> budget.Plan:
    """The work budget's plan for racing this run: at how many updates to evaluate the loss, fewer epochs if need be."""
    rows = len(exp.y_train) + len(exp.y_val)
    return budget.plan_race(exp.settings, budget.DataShape(rows, exp.X_train.shape[1]))


def evaluated_frames(exp: Experiment) -> int | None:
    """At how many recorded updates the race evaluates its racers' full loss: None for all of them (the plan's)."""
    frames = race_plan(exp).loss_frames
    return frames if frames < len(exp.history.step) else None


def cached_race(exp: Experiment, key: tuple, reference, typical: bool) -> Race:
    """The four runs for a page run, as the work budget plans them; `key` (settings + upload hash) identifies the run
    (and so its reference and its plan)."""

    def compute():
        plan = race_plan(exp)
        arguments = race_arguments(exp, reference, typical, evaluated_frames(exp), plan.exact_race)
        return state.run_long(plan.total, "Racing the four optimizers…", race_of_run, *arguments)

    return RACES.get((key, typical), compute, state.stop_check())


def cached_race_slice(exp: Experiment, race: Race, key: tuple, reference, typical: bool, u: int, v: int
                      ) -> LandscapeSlice:
    """The landscape behind the race; `key` and `typical` identify the run and the race."""
    return RACE_SLICES.get((key, typical, u, v), lambda: race_slice(exp, race, reference, u, v),
                           state.stop_check())


def _learning_rate_note(exp: Experiment, typical: bool) -> str:
    if not typical:
        return f"All four use the page's learning rate, {exp.settings.learning_rate:g}."
    rates = ", ".join(f"{OPTIMIZER_LABELS[name]} {lr:g}" for name, lr in TYPICAL_LEARNING_RATES.items())
    return (f"Typical learning rates: {rates}. Starting points for problems this small, not library defaults "
            "(Adam's 0.001 assumes many thousands of updates); momentum's is 10× smaller than SGD's because "
            "μ = 0.9 makes its steps about 10× longer once it gets going.")


def raced_run(exp: Experiment, reference) -> tuple[Experiment, object, list[str]]:
    """(run, its exact answer, notices): the run the race replays, the page's or, when the page's is more than the
    race may do, a shorter one, and what was shortened."""
    plan = race_plan(exp)
    if plan.settings == exp.settings:
        return exp, reference, []
    shorter = state.experiment(plan.settings, state.upload_bytes())
    return shorter, state.reference_for(shorter), plan.notices


@state.run_fragment
def render(exp: Experiment, reference) -> None:
    """Paths on the landscape, loss curves and a results table for the four optimizers. A fragment: its options
    (typical learning rates, slice, log scale) rerun only this view, on the run the rest of the page shows."""
    page_exp, page_reference = exp, reference
    exp, reference, notices = raced_run(exp, reference)
    if notices:  # the page's run is more than the race may do: race a shorter one
        st.info("  \n".join(markdown_literal(notice) for notice in notices), icon=":material/timer:")
    s = exp.settings
    chart = st.container()  # the race's landscape first, its options (learning rates, slice) under it
    st.markdown(f"The same network, data, starting weights and batches (seed {s.seed}, batch size {s.batch_size}, "
                f"{s.epochs} epochs): only the optimizer differs.")
    typical = st.toggle("Use each optimizer's typical learning rate", key="race_typical",
                        help="Off: every optimizer uses the page's learning rate. On: each uses a learning rate "
                             "that usually suits it.")
    st.caption(_learning_rate_note(exp, typical))
    key = run_key(exp)
    race = cached_race(exp, key, reference, typical)
    u, v = training_views.slice_choice(exp, "race_slice")
    ls = cached_race_slice(exp, race, key, reference, typical, u, v)
    with chart:
        plot.show(race_landscape_figure(race, ls, u, v), key="race_landscape")
        st.caption(_landscape_caption(exp, ls))
    _render_curves(page_exp, page_reference, typical)
    st.dataframe(race_table(race), hide_index=True, width="stretch", column_config={
        "learning rate": st.column_config.NumberColumn(format="%g"),
        "final train loss": st.column_config.NumberColumn(format="%.4g"),
        "final validation loss": st.column_config.NumberColumn(format="%.4g"),
    })
    st.caption(_table_caption(race))
    if (frames := evaluated_frames(exp)) is not None or not race.exact:
        st.caption(_budget_caption(exp, race, frames))


def _budget_caption(exp: Experiment, race: Race, frames: int | None) -> str:
    """What the work budget changed in how the race was judged (the races themselves are the page's)."""
    evaluated = (f"each racer's loss over the whole training set was evaluated at {frames:,} evenly spaced updates "
                 f"of its {len(exp.history.step):,} recorded ones" if frames is not None else
                 f"each racer's loss over the whole training set was evaluated at its {len(exp.history.step):,} "
                 f"recorded updates of {exp.history.step[-1]:,}")
    found = ("every update up to the first evaluated one under the line was replayed and evaluated, so the update "
             "given is exact" if race.exact else
             "“≤ k” is the first evaluated update under the line: the racer may have got there a few updates earlier "
             "(replaying every update to find it exactly is more work than one request may ask)")
    return f"To keep the race within the work one request may ask of the shared server, {evaluated}; {found}."


def _landscape_caption(exp: Experiment, ls: LandscapeSlice) -> str:
    text = ("Each line is one optimizer's path, from the shared start ■ to the marker at its end (✕ where its loss "
            f"exploded; such a path may leave the chart); {ls.marker_text()}. Background: {ls.where()}, log₁₀ of the "
            "training loss, dark = low, as on the “Fit & landscape” tab.")
    if len(exp.history.sizes) > 2:
        text += (f" The slice is the page's run's ({OPTIMIZER_LABELS[exp.settings.optimizer]}, lr "
                 f"{exp.settings.learning_rate:g}); each racer's hidden weights moved their own way, so read its path "
                 "as a projection on this slice.")
    elif ls.is_slice:
        text += " Each path shows only its two coordinates: the racers' other weights moved too."
    return text


def _table_caption(race: Race) -> str:
    if race.optimum_loss is None:
        return "No optimizer ended with a finite loss, so there is no optimum to race to."
    start, optimum = race.start_loss, race.optimum_loss
    what = "loss" if race.racers[0].history.regularization == "none" else "objective (loss + penalty)"
    if race.optimum_source == EXACT_OPTIMUM:
        source = f"the {what} of the exact answer"
    else:
        best = min((r for r in race.racers if np.isfinite(r.step_loss[-1])), key=lambda r: r.step_loss[-1])
        source = (f"no exact answer is known here, so L* is the best final {what} of the four: {best.label} ends "
                  "there, so it reaches L* by construction")
    if optimum >= start:
        return (f"None of the four ended below the shared starting {what} L0 = {start:.4g}, so L* = {optimum:.4g} "
                f"({source}) is no better than the start: every racer counts as there from update 0, and there is "
                "no progress to race for here.")
    return (f"“Reached the optimum at update” is the first update after which the {what} over the whole training set "
            f"has come {100 - WITHIN * 100:g} % of the way from the shared start L0 = {start:.4g} down to the optimum "
            f"L* = {optimum:.4g} ({source}): L ≤ L* + {WITHIN * 100:g} % · (L0 − L*) = {race.threshold:.4g}, "
            "checked after every update; a racer can reach it and bounce out again (compare its final loss). "
            "The final losses are those of each racer's last recorded state. “Exploded at update”: the update that "
            "made the loss explode.")


@state.run_fragment
def _render_curves(exp: Experiment, reference, typical: bool) -> None:
    """The loss curves of the page's run's race with their log switch: a fragment that keeps neither the run nor
    the race (four histories), both looked up in the shared caches."""
    log_scale = st.toggle("Log scale", value=True, key="race_log")
    exp, reference, _ = raced_run(exp, reference)
    race = cached_race(exp, run_key(exp), reference, typical)
    plot.show(race_loss_figure(race, exp.loss, log_scale), key="race_loss")
