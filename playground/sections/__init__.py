"""Page sections: one module per part of the page; each renders itself with Streamlit."""
