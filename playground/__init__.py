"""AI Playground: the logic behind every page, importable without Streamlit."""
