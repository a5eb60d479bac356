"""Entry point: `streamlit run Home.py`. Builds the navigation from
playground.pages and draws the shared sidebar; no model loads here."""

import streamlit as st

from playground.imports import warm
from playground.pages import GROUPS, available_pages
from playground.ui import teacher
from playground.ui.entry import run_through_navigation
from playground.ui.models import model_queue_notice
from playground.ui.sidebar import render_sidebar

run_through_navigation()
warm()  # scikit-learn and friends, once, before two sessions can import them at the same moment
st.set_page_config(page_title="AI Playground", page_icon=":material/toys:", layout="wide")

sections: dict[str, list] = {group: [] for group in GROUPS}
for spec in available_pages():
    sections[spec.group].append(
        st.Page(spec.file, title=spec.title, icon=spec.icon, default=spec.url_path == "home",
                url_path=None if spec.url_path == "home" else spec.url_path)
    )
navigation = st.navigation({group: pages for group, pages in sections.items() if pages})
teacher.set_page(navigation.url_path)
try:
    with model_queue_notice():  # "waiting for the language model, n ahead" while a call queues
        navigation.run()
finally:
    teacher.sync_url()  # the address bar holds the page's settings (teacher mode)
render_sidebar()  # after the page, so "Loaded models" includes what the page just loaded
