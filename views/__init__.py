"""Streamlit building blocks shared by the pages; the logic stays in ``generation``."""
