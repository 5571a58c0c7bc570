"""Placeholder: this section is being written."""

import streamlit as st


def render(exp, reference) -> None:
    """Draw the section."""
    st.info("This view is coming soon.")
