"""Make sure every run goes through Home.py's navigation.

Streamlit still supports the older multipage layout in which every file in a
`pages/` folder beside the entry script is a page of its own. Until the first
`st.navigation` call of the process, it assumes that layout: the very first
visitor of a fresh server (say, a deep link to /supervised) would get the page
file run on its own, without Home.py's sidebar and groups. Each page calls
:func:`run_through_navigation` first; in that one case it switches the process to
`st.navigation` and reruns, which then runs Home.py with the page the URL asked
for (page URLs equal their file names, so the page is found again)."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def run_through_navigation() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
