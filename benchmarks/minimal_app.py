"""The reference minimal page for browser benchmarks: one slider driving one Plotly chart.

``benchmarks/bench_page.py`` compares the real app against this page, the framework's floor for a
first render and for a slider rerun (see /work/shared/BROWSER_TESTING.md, "minimal page").
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Minimal page", layout="wide")

lr = st.slider("Learning rate", min_value=0.01, max_value=1.0, value=0.1, step=0.01)

steps = np.arange(100)
loss = np.exp(-lr * steps / 10.0) + 0.05 * np.sin(steps * lr)
fig = go.Figure(go.Scatter(x=steps, y=loss, mode="lines", name="loss"))
fig.update_layout(
    title=f"Loss with learning rate {lr:.2f}",
    xaxis_title="step",
    yaxis_title="loss",
    height=400,
    margin=dict(l=40, r=20, t=50, b=40),
)
st.plotly_chart(fig, width="stretch")
