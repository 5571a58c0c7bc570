"""Neuron Playground: the page. It only composes; each section lives in playground/sections/."""

from pathlib import Path

import streamlit as st

from playground import memory
from playground.engine.threads import one_thread_for_this_process
from playground.sections import (
    board,
    classroom,
    export,
    gallery,
    handset,
    inspect,
    lessons,
    network,
    race,
    sidebar,
    state,
    stepthrough,
    summary,
    training_views,
    url,
    warm,
)

# The icon is a file of ours: an emoji made Streamlit load its emoji catalogue (0.14 s per process) and a
# :material/…: favicon comes from a font server, which a classroom network may not reach.
ICON = Path(__file__).with_name("playground") / "assets" / "icon.png"
one_thread_for_this_process()  # one core per computation: one heavy run cannot take both
memory.limit_arenas()  # freed results go back to the system, not into one malloc heap per script thread
st.set_page_config(page_title="Neuron Playground", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state=classroom.initial_sidebar_state())
url.start_session()
lessons.apply_requested_lesson()
board.join_from_link()
lessons.render_picker()
current = sidebar.render(url.hidden_controls())
classroom.render_sidebar_tools(current)
board.render_sidebar()
url.write(current)
if classroom.presenting():  # a projector needs the room for the charts: the lesson in one line, the QR on demand
    classroom.render_presenter_bar(current)
elif not lessons.render_banner():  # a lesson's banner heads the page; without one, the page's title
    st.container(key="page_title").subheader("Neuron Playground · see a neuron learn", anchor=False)
state.render_notices()
board.render_new_key()

# Views that need a trained run, then views that stand alone (they work even if the run cannot).
TRAINING_VIEWS = {
    "Fit & landscape": training_views.render_fit_and_landscape,
    "Network": network.render,
    "Loss": training_views.render_loss,
    "Parameters": training_views.render_parameters,
    "Step through the math": stepthrough.render,
    "Optimizer race": race.render,
    "Inspect": inspect.render,
    "Export": export.render,
}
STANDALONE_VIEWS = {"Set weights by hand": handset.render, "Activations": gallery.render}
if board.joined():
    STANDALONE_VIEWS[board.VIEW] = board.render  # every run of the class

exp = state.experiment_or_message(current)
reference = state.reference_for(exp) if exp is not None else None
labels = list(TRAINING_VIEWS) + list(STANDALONE_VIEWS)
if board.joined() and classroom.presenting():  # a projector with a class opens on its board
    labels.insert(0, labels.pop(labels.index(board.VIEW)))
# On the projector's class board the room needs the board: the teacher's own run folds away above it.
own_run = st.expander("Your own run: its equation, scores and “Send”", icon=":material/person:") \
    if board.joined() and classroom.presenting() and classroom.open_view(labels[0]) == board.VIEW \
    else st.container(key="summary")
with own_run:
    if exp is not None:
        summary.render(exp, reference)
    board.render_send(exp, current)
for label, tab in zip(labels, st.tabs(labels, key="view", on_change="rerun", bind="query-params")):
    if not tab.open:
        continue  # lazy tabs: a hidden view builds nothing
    with tab:
        if label in STANDALONE_VIEWS:
            STANDALONE_VIEWS[label](exp, reference)
        elif exp is not None:
            TRAINING_VIEWS[label](exp, reference)
        else:
            st.info("Fix the data or settings above to see this view.")

warm.start()  # once per process, after its first page is out: every lesson part's run into the caches
state.collect_garbage_now_and_then()  # closed tabs' sessions, at most every 10 s
