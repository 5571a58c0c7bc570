"""Neuron Playground: the page. It only composes; each section lives in playground/sections/."""

import streamlit as st

from playground.sections import sidebar, state, summary, training_views, url

st.set_page_config(page_title="Neuron Playground", page_icon="🧠", layout="wide")
url.start_session()
st.title("Neuron Playground")
current = sidebar.render(url.hidden_controls())
url.write(current)
for notice in state.pop_notices():
    st.toast(notice, icon="ℹ️")
exp = state.experiment_or_message(current)
if exp is not None:
    reference = state.reference_for(exp)
    summary.render(exp, reference)
    tabs = st.tabs(["Fit & landscape", "Loss", "Parameters"], key="view", on_change="rerun", bind="query-params")
    with tabs[0]:
        if tabs[0].open:
            training_views.render_fit_and_landscape(exp, reference)
    with tabs[1]:
        if tabs[1].open:
            training_views.render_loss(exp)
    with tabs[2]:
        if tabs[2].open:
            training_views.render_parameters(exp, reference)
