"""LLM limits, measured: the context window and hallucination, on the shared model.

Read top to bottom:

* :mod:`.data`: everything the page measures with, written by the project (essays for
  the haystack, needles, fictional towns, gold-labelled probe questions, a knowledge base);
* :mod:`.text`: the exact rules that grade answers and check user input;
* :mod:`.context`: window and truncation, needle in a haystack, lost in the middle;
* :mod:`.uncertainty`: token probability and entropy, self-consistency, AUROC;
* :mod:`.retrieval`: MiniLM retrieval over the knowledge base;
* :mod:`.probes`: asking and grading probe questions, the probe-set summary;
* :mod:`.store`: finished results shared read-only by every session;
* :mod:`.charts`: plotly figures.

No Streamlit here: every function runs from a plain Python shell.
"""
