"""Plotly figures as plain dicts, built from engine results. No Streamlit here."""
