"""The only package besides Home.py and pages/ that imports Streamlit:
cached model accessors, shared widgets and progress helpers."""
