"""A simple peer of the playground for browser benchmarks: one slider and one select driving two
`st.plotly_chart` charts, one of them animated (a line fitted step by step, Play/slider, 60 frames).

``benchmarks/bench_page.py`` reports the playground's rerun against this page as well as against the
minimal page: what a plain Streamlit + Plotly page of the same kind costs per slider move.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Peer page", layout="wide")

lr = st.slider("Learning rate", min_value=0.01, max_value=1.0, value=0.1, step=0.01)
noise = st.selectbox("Noise", [0.1, 0.3, 1.0])

rng = np.random.default_rng(0)
x = np.linspace(0.0, 1.0, 100)
y = 1.35 * x + 0.5 + noise * rng.standard_normal(x.size)

# Plain gradient descent on the mean squared error, 60 recorded steps.
w = b = 0.0
path, losses = [], []
for _ in range(60):
    error = w * x + b - y
    losses.append(float(np.mean(error**2)))
    w, b = w - lr * 2 * np.mean(error * x), b - lr * 2 * np.mean(error)
    path.append((w, b))

frames = [go.Frame(data=[go.Scatter(x=x, y=pw * x + pb)], traces=[1], name=str(k)) for k, (pw, pb) in enumerate(path)]
w, b = path[-1]
fit = go.Figure(
    data=[go.Scatter(x=x, y=y, mode="markers", name="data"), go.Scatter(x=x, y=w * x + b, name="fit")], frames=frames
)
fit.update_layout(
    title=f"Fit with learning rate {lr:.2f}", height=450,
    updatemenus=[{"type": "buttons", "buttons": [
        {"label": "▶ Play", "method": "animate", "args": [None, {"frame": {"duration": 80, "redraw": False}}]}]}],
    sliders=[{"active": len(frames) - 1, "steps": [
        {"label": f.name, "method": "animate", "args": [[f.name], {"mode": "immediate"}]} for f in frames]}],
)
st.plotly_chart(fit, width="stretch")

loss = go.Figure(go.Scatter(y=losses, mode="lines", name="loss"))
loss.update_layout(title="Loss per step", height=350, yaxis_type="log")
st.plotly_chart(loss, width="stretch")
