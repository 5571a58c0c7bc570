"""Neuron Playground: the Streamlit page."""

import streamlit as st

st.set_page_config(page_title="Neuron Playground", page_icon="🧠", layout="wide")
st.title("Neuron Playground")
