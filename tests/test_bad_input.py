"""The bad-input sweep: every widget of every page gets the values a browser can send.

The rule of the project: bad input gets a clear message that says what to do, loses
nothing the user already had, and never shows a traceback, for any value a browser
can send (a slider or number input at its own minimum or maximum included, every
option of a select or radio, any text).

How it works
------------
* ``tests/bad_input_widgets.json`` is the map of the widgets: per page, the *views*
  (the choices that make a page draw more widgets: a tab, a data set, a model, an
  upload, a button that was pressed) and every widget drawn in them. It is written by
  exploring the pages in AppTest (``explore()``): open every tab, pick every option
  of every select, radio and toggle, keep the choices that reveal new widgets, and
  repeat from there. Rewrite it after adding a widget::

      .venv/bin/python tests/test_bad_input.py

* ``test_widget[page-key]``, one per page and widget: open the page, go to the
  widget's view, send each value a browser can send for it, and after each one click
  the page's action buttons (Train, Step, Generate...). After every run: no exception
  element, no "Something went wrong" (an unexpected error caught by the last line of
  defence instead of a message that says what to do), and no widget that the map does
  not list, so a new widget (or a new option that reveals one) fails here until the
  map is rewritten. Text inputs also keep what was typed, and show a message where
  they reject it.
* ``test_all_at_once[page-view-min|max]``: every number, slider and select slider of a
  view at its minimum (or maximum) at the same time, then the buttons.
* Limits: where a widget's maximum is a setting (new tokens, RL episodes), the sweep runs
  its page with a smaller setting, so that "the maximum, then Generate" takes seconds; the
  widget is still swept to its own maximum. How long the real maximum takes is measured
  in benchmarks/, not here.
* Uploads: AppTest uploads each bad file to each uploader; the parsing functions in
  ``playground/`` get the same files as fast unit tests. The browser test that
  uploads a file that is not a CSV to each uploader is tests/e2e/test_bad_input_browser.py.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script: the repository root on the path, offline
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import tests.conftest  # noqa: F401 - sets the offline, cached environment

import numpy as np
import pytest
from PIL import Image
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Button, Dataframe, DownloadButton, Widget

from playground.errors import UserInputError
from playground.pages import ROOT, available_pages

MANIFEST = Path(__file__).with_name("bad_input_widgets.json")
UPDATE_HINT = "rewrite the widget map: .venv/bin/python tests/test_bad_input.py"
GENERIC = "Something went wrong"  # friendly_errors' last line of defence: not a clear message
TIMEOUT = 300

# ---- the values ------------------------------------------------------------------------------

HUGE_TEXT = ("All work and no play makes a very long prompt. " * 2100)[:100_000]
BAD_TEXT: list[tuple[str, str]] = [
    ("empty", ""),
    ("whitespace", "   \t  "),
    ("huge", HUGE_TEXT),
    ("unicode-rtl-emoji", "مرحبا 👋🏽 ünïcödé 中文"),
    ("html-script", "<script>alert(1)</script><b>x</b>"),
    ("NaN", "NaN"),
    ("inf", "inf"),
    ("-1e309", "-1e309"),
    ("number", "12345"),
    ("newlines-tabs", "line one\n\tline two\r\n\n"),
]


def _png(img: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


@functools.cache
def files() -> dict[str, tuple[str, bytes, str]]:
    """Uploads by name: (file name, bytes, MIME type)."""
    rng = np.random.default_rng(0)
    png = _png(Image.fromarray((rng.random((24, 24)) * 255).astype(np.uint8)))
    gif = io.BytesIO()
    frames = [Image.new("L", (20, 20), v) for v in (0, 128, 255)]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=50)
    pts = rng.normal(size=(200, 2)) * [4, 1]
    table = "size,colour,id,empty,const,label\n" + "".join(
        f"{i % 7 if i % 9 else ''},{['red', 'blue', ''][i % 3]},{i},,{5},{'yes' if i % 7 > 3 else 'no'}\n"
        for i in range(60))
    return {
        # good files: the starting points of views that need an upload
        "table.csv": ("table.csv", table.encode(), "text/csv"),
        "points.csv": ("points.csv", ("x,y\n" + "".join(f"{a:.3f},{b:.3f}\n" for a, b in pts)).encode(),
                       "text/csv"),
        "picture.png": ("picture.png", png, "image/png"),
        "messages.csv": ("messages.csv", ("text,label\n" + "".join(
            f"{w} order number {i} {'arrived broken' if i % 2 else 'never came'},{'damaged' if i % 2 else 'missing'}\n"
            for i, w in enumerate(["My", "The", "Your", "Our"] * 10))).encode(), "text/csv"),
        # bad files
        "empty": ("empty.csv", b"", "text/csv"),
        "png-as-csv": ("photo.csv", png, "text/csv"),
        "png": ("photo.png", png, "image/png"),
        "zip": ("table.xlsx", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "prose": ("notes.txt", "Dear diary,\nthis is not a table at all.\nJust prose. ✍️\n".encode(),
                  "text/plain"),
        "header-only": ("header.csv", b"x,y,label\n", "text/csv"),
        "one-row": ("row.csv", b"x,y,label\n1.5,2.5,cat\n", "text/csv"),
        # features with more than 20 values, so that the label is the guessed target
        "one-class": ("one.csv", b"x,y,label\n" + b"".join(b"%d,%d,cat\n" % (i, 3 * i) for i in range(40)),
                      "text/csv"),
        # a column of numbers with NaN, inf, -inf and 1e309 (too large for a float), one with
        # text among numbers, one with empty cells
        "text-nan-inf": ("odd.csv", ("x,t,y,label\n" + "".join(
            f"{['1.5', 'NaN', 'inf', '-inf', '2', '', '1e309'][i % 7]},"
            f"{['2', 'abc', 'nan', '3', '-1e309'][i % 5]},{i % 4 or ''},{'ab'[i % 2]}\n"
            for i in range(42))).encode(), "text/csv"),
        "all-inf": ("inf.csv", ("x,y,label\n" + "".join(
            f"inf,-inf,{'ab'[i % 2]}\n" for i in range(30))).encode(), "text/csv"),
        "many-columns": ("wide.csv", (",".join(f"c{j}" for j in range(3000)) + ",label\n" + "".join(
            ",".join(str((i * j) % 11) for j in range(3000)) + f",{'ab'[i % 2]}\n"
            for i in range(30))).encode(), "text/csv"),
        "html-names": ("html.csv", ("<script>alert(1)</script>,<b>y</b>,label\n" + "".join(
            f"{i},{i % 3},<i>{'ab'[i % 2]}</i>\n" for i in range(30))).encode(), "text/csv"),
        "latin1-semicolon": ("latin.csv", ("größe;farbe;klasse\n" + "".join(
            f"{i};{'grün' if i % 2 else 'blau'};{'jä' if i % 3 else 'nein'}\n" for i in range(30))
        ).encode("latin-1"), "text/csv"),
        "gif-animated": ("moving.gif", gif.getvalue(), "image/gif"),
        "tiny-image": ("dot.png", _png(Image.new("RGB", (1, 1), (255, 0, 0))), "image/png"),
        "cmyk-jpeg": ("print.jpg", _png(Image.new("CMYK", (30, 20), (0, 50, 100, 0)), "JPEG"), "image/jpeg"),
        "svg": ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>',
                "image/svg+xml"),
        "truncated-png": ("cut.png", png[: len(png) // 2], "image/png"),
        "too-many-pixels": ("huge.png", _png(Image.new("1", (5000, 5000))), "image/png"),
    }


# which bad files each uploader gets: (file, rejected?) where rejected files need a message
UPLOADS: dict[str, list[tuple[str, bool]]] = {
    "sup_csv": [("empty", True), ("png", True), ("zip", True), ("prose", True), ("header-only", True),
                ("one-row", True), ("one-class", True), ("text-nan-inf", False), ("all-inf", True),
                ("many-columns", False), ("html-names", False), ("latin1-semicolon", False),
                ("svg", True)],
    "gan2d_upload": [("empty", True), ("png-as-csv", True), ("header-only", True), ("one-row", True),
                     ("text-nan-inf", True), ("all-inf", True), ("many-columns", True),
                     ("html-names", True), ("latin1-semicolon", True), ("prose", True)],
    "diff_upload": [("empty", True), ("prose", True), ("zip", True), ("svg", True),
                    ("truncated-png", True), ("too-many-pixels", True), ("gif-animated", False),
                    ("tiny-image", False), ("cmyk-jpeg", False), ("table.csv", True)],
}



def uploads_for(key: str) -> list[tuple[str, bool]]:
    """An uploader not listed above still gets an empty file, an image and prose."""
    return UPLOADS.get(key, [("empty", True), ("png-as-csv", True), ("prose", True)])


# ---- the pages ----------------------------------------------------------------------------------

Step = tuple  # ("tab", key, label) | ("pick", key, option) | ("set", key, value) | ("upload", key, file) | ("click", key)


@functools.cache
def tiny_sd_folder() -> str:
    from tests.tiny_sd import build_tiny_sd

    return str(build_tiny_sd(Path(tempfile.mkdtemp(prefix="bad-input-sd-")) / "tiny-sd"))


@dataclass(frozen=True)
class Page:
    name: str
    script: str
    # clicked, in this order, after every value (when drawn and enabled)
    buttons: tuple[str, ...] = ()
    # long-running buttons: clicked once per sweep, after its last value
    final_buttons: tuple[str, ...] = ()
    # the smallest settings for long-running buttons and computations, set before each test
    # (except for the widget under test) and kept by test_all_at_once
    small: tuple[tuple[str, Any], ...] = ()
    # views the explorer cannot find by picking options: an upload, a button press
    seeds: tuple[tuple[Step, ...], ...] = ()
    # text widgets: value -> the page must say it rejected it (an error or a warning)
    rejects: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    env: Callable[[], dict[str, str]] = dict
    slow: bool = False
    # the same script in another setting: only the widgets the other page lacks are swept here
    extends: str = ""
    # buttons that take minutes even at the smallest settings (fine-tuning a language model,
    # a sweep over many contexts): not clicked here; the page's own tests cover them
    no_click: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return str(ROOT / self.script)


CONFIGURED: list[Page] = [
    # Home runs inside Home.py's navigation: its page links exist only there; the shared sidebar too
    Page("home", "Home.py", buttons=("llm_ref_apply",),
         rejects={"llm_ref_input": lambda v: bool(v.strip())}),  # no such model: a fallback note
    Page("supervised", "pages/supervised.py",
         seeds=((("pick", "sup_dataset", "your CSV file"), ("upload", "sup_csv", "table.csv")),)),
    Page("unsupervised", "pages/unsupervised.py",
         small=(("unsup_map_n", 100), ("unsup_customers", 200))),
    Page("reinforcement", "pages/reinforcement.py",
         buttons=("rl_vi_end", "rl_restart"), final_buttons=("rl_vi_step", "rl_stop"),
         env=lambda: {"PLAYGROUND_MAX_EPISODES": "100", "PLAYGROUND_MAX_TRAINING_STEPS": "200"},  # the sliders' own maximum, trained in seconds
         small=(("rl_episodes", 10), ("cmp_runs", 1), ("cmp_episodes", 50), ("bd_runs", 1),
                ("bd_rounds", 100))),
    Page("sampling_lab", "pages/sampling_lab.py",
         final_buttons=("smp_generate", "smp_fork_go", "smp_compare"),
         env=lambda: {"PLAYGROUND_MAX_NEW_TOKENS": "16"},  # the length slider's own maximum, generated quickly
         small=(("smp_new", 4), ("smp_n", 1), ("smp_cmp_n", 2)),
         seeds=((("set", "smp_new", 4), ("set", "smp_n", 1), ("click", "smp_generate")),),
         rejects={"smp_prompt": lambda v: not v.strip() or len(v) > 20_000}),
    Page("gan", "pages/gan.py",
         buttons=("gan2d_play", "gan2d_pause", "gan2d_step", "gan2d_reset_btn"),
         final_buttons=("gan2d_step100",),
         seeds=((("click", "gan2d_play"),),
                (("pick", "gan2d_dataset", "Upload a CSV of points"),
                 ("upload", "gan2d_upload", "points.csv")))),
    Page("diffusion", "pages/diffusion.py",
         buttons=("diff_pts_train", "diff_pts_reset"),
         small=(("diff_steps", 2), ("diff_pts_steps", 10), ("diff_pts_train_steps", 1)),
         seeds=((("set", "diff_pts_train_steps", 1), ("click", "diff_pts_train")),
                (("pick", "diff_source", "my own picture"), ("upload", "diff_upload", "picture.png")))),
    Page("fewshot", "pages/fewshot.py",
         seeds=((("pick", "fs_source", "your CSV"), ("upload", "fs_csv", "messages.csv")),),
         no_click=("fs_run", "fs_run_all", "fs_point_run", "fs_train", "fs_facts_run")),
    Page("hallucinations", "pages/hallucinations.py",
         buttons=("hal_nih_stop", "hal_lim_stop", "hal_ps_stop"), final_buttons=("hal_cw_ask", "hal_pq_ask"),
         small=(("hal_pq_samples", 2), ("hal_ps_samples", 2)),
         no_click=("hal_nih_run", "hal_lim_run", "hal_ps_run")),
    # live training runs in a thread of the session: the Train buttons run at the fewest steps
    Page("chatmodel", "pages/chatmodel.py",
         small=(("cm_pt_steps", 50), ("cm_sft_steps", 20), ("cm_dpo_steps", 20))),
    # the same page with a (tiny, random-weight) text-to-image pipeline configured
    Page("diffusion_t2i", "pages/diffusion.py", buttons=("diff_t2i_go",),
         small=(("diff_t2i_steps", 1), ("diff_steps", 2), ("diff_pts_steps", 10)),
         rejects={"diff_prompt": lambda v: not v.strip()},
         env=lambda: {"PLAYGROUND_DIFFUSION_PIPELINE": tiny_sd_folder()}, slow=True,
         extends="diffusion"),
]


def _pages() -> dict[str, Page]:
    """Every page of the app (playground.pages): its settings above, else the defaults."""
    configured = {p.name: p for p in CONFIGURED}
    pages = {}
    for spec in available_pages():
        pages[spec.url_path] = configured.get(spec.url_path) or Page(spec.url_path, spec.file)
        pages.update({p.name: p for p in CONFIGURED if p.extends == spec.url_path})
    return pages


PAGES = _pages()


@pytest.fixture(autouse=True)
def figures_as_the_server_builds_them():
    """The sweep looks for tracebacks and messages, not at figures: it builds them unchecked,
    as the server does (playground/charts.py; every other test checks them). That is a
    third of its time on the figure-heavy pages."""
    import playground.charts

    playground.charts.CHECK_FIGURES = False
    yield
    playground.charts.CHECK_FIGURES = True
STOP_BUTTONS = ("gan2d_pause",)  # pressed at the end of every test: no training thread outlives it


# ---- talking to AppTest -------------------------------------------------------------------------

def ident(node) -> str:
    """A widget's name in the map: its key, else its type and label."""
    return node.key or f"{node.type}:{getattr(node.proto, 'label', '')}"


def drawn(at: AppTest) -> dict[str, Any]:
    """Every widget on screen (buttons, editors, uploaders and tab bars included)."""
    out: dict[str, Any] = {}
    for node in at._tree:
        if isinstance(node, Widget) or (isinstance(node, Dataframe) and node.editing_mode != "read_only"):
            out.setdefault(ident(node), node)
        elif isinstance(node, Block) and node.type == "tab_container" and node.key:
            out.setdefault(node.key, node)
    return out


def kind(node) -> str:
    if isinstance(node, Dataframe):
        return "data_editor"
    if isinstance(node, Block):
        return "tabs"
    if isinstance(node, (Button, DownloadButton)):
        return "button"
    return node.type


def disabled(node) -> bool:
    return bool(getattr(node.proto, "disabled", False))


def tab_labels(node: Block) -> list[str]:
    return [child.label for child in node.children.values()]


@functools.cache
def _left_out(cls: type) -> type:
    """``cls`` whose widget state is left out of the next run."""
    return type(f"LeftOut{cls.__name__}", (cls,), {"_widget_state": property(lambda self: None)})


def widget_states(at: AppTest):
    """What the browser sends with the next run. AppTest re-serialises every widget from its
    format_func, which it looks up after the script ended: a ``lambda i: tokens[i]`` whose
    ``tokens`` the script rebound later cannot find its own option. The browser sends the
    option it shows instead; here such a widget is left out, so it keeps its value."""
    for _ in range(50):
        try:
            return at._tree.get_widget_states()
        except (ValueError, KeyError, IndexError):
            for node in at._tree:
                if isinstance(node, Widget):
                    try:
                        node._widget_state
                    except (ValueError, KeyError, IndexError):
                        node.__class__ = _left_out(type(node))
                        break
            else:
                raise
    raise AssertionError("widget states could not be serialised")


def rerun(at: AppTest) -> AppTest:
    """``at.run()``, robust to the format_func lookups described in widget_states()."""
    return at._run(widget_states(at))


def send_raw(at: AppTest, node, **value) -> AppTest:
    """Run with the widget state a browser sends, e.g. ``string_value="an option"``: the
    option as the browser shows it, whatever Python value is behind it."""
    ws = WidgetState(id=node.id)
    for name, v in value.items():
        if name.endswith("array_value"):
            getattr(ws, name).data[:] = v
        else:
            setattr(ws, name, v)
    states = widget_states(at)
    for i, old in enumerate(states.widgets):
        if old.id == node.id:
            states.widgets[i].CopyFrom(ws)
            break
    else:
        states.widgets.append(ws)
    return at._run(states)


def submit_with(at: AppTest, node) -> None:
    """A widget in a form is sent with the form's submit button, as in the browser."""
    form = getattr(node.proto, "form_id", "")
    if form:
        for other in drawn(at).values():
            if isinstance(other, Button) and other.proto.form_id == form and other.proto.is_form_submitter:
                other.click()


def number(proto, v: float):
    return int(v) if proto.data_type == 0 else float(v)  # DataType INT = 0 for sliders and numbers


def pick(at: AppTest, node, option: str) -> AppTest:
    """Choose an option by its label on screen (select, radio, select slider, segmented control)."""
    if kind(node) in ("select_slider", "multiselect", "button_group"):
        return send_raw(at, node, string_array_value=[option])
    return send_raw(at, node, string_value=option)


def do(at: AppTest, step: Step) -> AppTest:
    """One step of a view."""
    what, key, *rest = step
    nodes = drawn(at)
    if key not in nodes:
        raise LookupError(f"{key!r} is not drawn")
    node = nodes[key]
    if what == "tab":
        at.session_state[key] = rest[0]
        return rerun(at)
    if what == "pick":
        return pick(at, node, rest[0])
    if what == "set":
        node.set_value(rest[0])
        submit_with(at, node)
        return rerun(at)
    if what == "upload":
        name, data, mime = files()[rest[0]]
        node.set_value((name, data, mime))
        return rerun(at)
    if what == "click":
        node.click()
        return rerun(at)
    raise ValueError(step)


def step_name(step: Step) -> str:
    what, key, *rest = step
    return f"{what}:{key}" + (f"={rest[0]}" if rest else "")


def open_view(page: Page, steps) -> AppTest:
    at = AppTest.from_file(page.path, default_timeout=TIMEOUT).run()  # the first run: no state yet
    for step in steps:
        at = do(at, step)
    return at


@functools.cache
def manifest() -> dict:
    return json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}


def known(page: str) -> set[str]:
    keys = {w["key"] for w in manifest().get(page, {}).get("widgets", [])}
    return keys | (known(PAGES[page].extends) if PAGES[page].extends else set())


@dataclass
class Ctx:
    """What is being tried, for the failure messages."""
    page: str
    widget: str = ""
    value: str = ""
    action: str = ""

    def __str__(self) -> str:
        return f"page {self.page}, widget {self.widget!r}, value {self.value[:80]!r}" + (
            f", then {self.action}" if self.action else "")


def check(at: AppTest, ctx: Ctx) -> None:
    """After every run: no traceback, no unexpected error, no widget missing from the map."""
    assert not at.exception, f"{ctx}: exception on screen: " + " | ".join(
        str(e.value)[:2000] for e in at.exception)
    generic = [e.value for e in at.error if GENERIC in e.value]
    assert not generic, f"{ctx}: an unexpected error instead of a message that says what to do: {generic}"
    new = sorted(set(drawn(at)) - known(ctx.page))
    assert not new, f"{ctx}: the page draws widgets that the map does not list: {new}; {UPDATE_HINT}"


def messages(at: AppTest) -> list[str]:
    return [m.value for m in [*at.error, *at.warning] if m.value.strip()]


# ---- the values a browser can send, per kind of widget ----------------------------------------

Sender = Callable[[AppTest], AppTest]


def values_for(node) -> Iterator[tuple[str, Any, Sender]]:
    """(name, value, send) for every value a browser can send to this widget."""
    k, key, proto = kind(node), ident(node), node.proto

    def find(at):
        return drawn(at)[key]

    def typed(v):
        def send(at):
            node = find(at)
            node.set_value(v)
            submit_with(at, node)
            return rerun(at)
        return send

    def raw(**value):
        return lambda at: send_raw(at, find(at), **value)

    if k in ("slider", "number_input"):
        lo = proto.min if k == "slider" or proto.has_min else -1e15
        hi = proto.max if k == "slider" or proto.has_max else 1e15
        lo, hi = number(proto, lo), number(proto, hi)
        if k == "slider" and len(proto.default) == 2:  # a range: both ends together
            for name, v in (("min..max", [lo, hi]), ("min..min", [lo, lo]), ("max..max", [hi, hi])):
                yield name, v, typed(v)
        else:
            yield "min", lo, typed(lo)
            yield "max", hi, typed(hi)
    elif k == "select_slider":
        opts = list(proto.options)
        if len(proto.default) == 2:
            for name, v in (("first..last", [opts[0], opts[-1]]), ("first..first", [opts[0]] * 2),
                            ("last..last", [opts[-1]] * 2)):
                yield name, v, raw(string_array_value=v)
        else:
            yield "first", opts[0], raw(string_array_value=[opts[0]])
            yield "last", opts[-1], raw(string_array_value=[opts[-1]])
    elif k in ("selectbox", "radio"):
        for opt in proto.options:
            yield opt, opt, raw(string_value=opt)
    elif k == "multiselect":
        opts = list(proto.options)
        most = proto.max_selections or len(opts)
        yield "none", [], raw(string_array_value=[])
        yield "all", opts[:most], raw(string_array_value=opts[:most])
    elif k == "button_group":
        opts = [o.content for o in proto.options]
        if node._is_single_select:
            for opt in opts:
                yield opt, opt, raw(string_array_value=[opt])
        else:
            yield "none", [], raw(string_array_value=[])
            yield "all", opts, raw(string_array_value=opts)
    elif k in ("checkbox", "toggle"):
        for v in (True, False):
            yield str(v), v, typed(v)
    elif k in ("text_input", "text_area"):
        limit = proto.max_chars or None
        for name, text in BAD_TEXT:
            text = text[:limit] if limit else text  # the browser stops typing at max_chars
            yield name, text, typed(text)
        if limit:
            yield "max_chars", "x" * limit, typed("x" * limit)
    elif k == "tabs":
        for label in tab_labels(node):
            def to_tab(at, label=label):
                at.session_state[key] = label
                return rerun(at)
            yield label, label, to_tab
    elif k == "file_uploader":
        for name, _ in uploads_for(key):
            yield name, files()[name], typed(files()[name])
    elif k == "data_editor":
        # every cell set to each choice of its column (all walls, all starts, no goal...)
        config = json.loads(proto.columns or "{}")
        frame = node.value
        options = sorted({o for c in config.values() if isinstance(c, dict)
                          for o in (c.get("type_config") or {}).get("options", []) or []}, key=str)
        for opt in options or ["", "0"]:
            edits = {"edited_rows": {i: {str(c): opt for c in frame.columns} for i in range(len(frame))},
                     "added_rows": [], "deleted_rows": []}

            def edit(at, edits=edits):
                at.session_state[key] = edits
                return rerun(at)
            yield f"all cells {opt!r}", opt, edit
    elif k in ("button", "download_button"):
        yield "click", True, lambda at: (find(at).click(), rerun(at))[1]
    elif k == "color_picker":
        for v in ("#000000", "#ffffff"):
            yield v, v, typed(v)
    elif k == "date_input":
        lo, hi = node.min, node.max
        for name, v in (("min", lo), ("max", hi)):
            yield name, v, typed(v)
    else:
        raise AssertionError(f"no bad values known for a {k} ({key}): add them to values_for()")


def is_choice(node) -> bool:
    return kind(node) in ("selectbox", "radio", "button_group", "checkbox", "toggle", "tabs")


def choices(node) -> list[Step]:
    k, key = kind(node), ident(node)
    if k == "tabs":
        return [("tab", key, label) for label in tab_labels(node)]
    if k in ("checkbox", "toggle"):
        return [("set", key, v) for v in (True, False)]
    if k == "button_group":
        return [("pick", key, o.content) for o in node.proto.options]
    return [("pick", key, o) for o in node.proto.options]


# ---- the sweep ----------------------------------------------------------------------------------

def click_buttons(at: AppTest, page: Page, ctx: Ctx, keys: tuple[str, ...]) -> AppTest:
    for key in keys:
        node = drawn(at).get(key)
        if node is None or disabled(node):
            continue
        ctx.action = f"click {key}"
        node.click()
        at = rerun(at)
        check(at, ctx)
    ctx.action = ""
    return at


def stop(at: AppTest) -> None:
    for key in STOP_BUTTONS:
        node = drawn(at).get(key)
        if node is not None and not disabled(node):
            node.click()
            rerun(at)


def make_small(at: AppTest, page: Page, but: str = "") -> AppTest:
    """The smallest settings for the long-running buttons (except the widget under test),
    all sent in one run, as a form or a link sends several values at once."""
    nodes = drawn(at)
    changed = False
    for key, value in page.small:
        node = nodes.get(key)
        if key != but and node is not None and not disabled(node) and node.value != value:
            node.set_value(value)
            submit_with(at, node)
            changed = True
    return rerun(at) if changed else at


def prepare(page: Page, entry: dict, monkeypatch) -> AppTest:
    for name, value in page.env().items():
        monkeypatch.setenv(name, value)
    steps = [tuple(s) for s in manifest()[page.name]["views"][entry["view"]]]
    at = open_view(page, steps)
    check(at, Ctx(page.name, entry["key"], "(its view: " + (entry["view"] or "start") + ")"))
    return make_small(at, page, but=entry["key"])


def sweep(page: Page, at: AppTest, key: str) -> None:
    node = drawn(at).get(key)
    assert node is not None, f"{page.name}: {key!r} is not drawn in its view; {UPDATE_HINT}"
    if disabled(node):
        pytest.skip(f"{key} is disabled in its view: a browser cannot send it anything")
    if key in page.no_click:
        pytest.skip(f"{key} takes minutes even at the smallest settings; the page's own tests press it")
    k = kind(node)
    values = list(values_for(node))
    for i, (name, value, send) in enumerate(values):
        ctx = Ctx(page.name, key, name)
        at = send(at)
        check(at, ctx)
        at = click_buttons(at, page, ctx, page.buttons)
        if i == len(values) - 1:  # the long-running buttons once, at the last (largest) value
            at = click_buttons(at, page, ctx, page.final_buttons)
        if k in ("text_input", "text_area"):
            shown = drawn(at).get(key)
            assert shown is not None and shown.value == value, f"{ctx}: what was typed is lost"
            if page.rejects.get(key, lambda v: False)(value):
                assert messages(at), f"{ctx}: the input is rejected without a message that says what to do"
        if k == "file_uploader":
            rejected = dict(uploads_for(key))[name]
            if rejected:
                assert messages(at), f"{ctx}: a bad file without a message"
            else:
                assert not [e.value for e in at.error], f"{ctx}: a usable file was refused: {messages(at)}"
    stop(at)


def entries(include_buttons: bool = True) -> list:
    params = []
    for name, page in PAGES.items():
        for entry in manifest().get(name, {}).get("widgets", []):
            marks = [pytest.mark.slow] if page.slow else []
            params.append(pytest.param(name, entry, id=f"{name}-{entry['key']}", marks=marks))
    return params


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_is_in_the_map(name):
    assert name in manifest(), f"page {name} has no widgets in the map: {UPDATE_HINT} {name}"


@pytest.mark.skipif(not MANIFEST.exists(), reason=f"no widget map: {UPDATE_HINT}")
@pytest.mark.parametrize("page_name,entry", entries())
def test_widget(page_name, entry, monkeypatch):
    page = PAGES[page_name]
    at = prepare(page, entry, monkeypatch)
    sweep(page, at, entry["key"])


def view_params() -> list:
    params = []
    for name, page in PAGES.items():
        for vid in manifest().get(name, {}).get("views", {}):
            marks = [pytest.mark.slow] if page.slow else []
            params.append(pytest.param(name, vid, id=f"{name}-{vid or 'start'}", marks=marks))
    return params


def set_all(at: AppTest, page: Page, end: str) -> AppTest:
    """One run with every number, slider and select slider drawn at its ``end`` ("min" or
    "max"), except the page's ``small`` settings, which stay small."""
    pinned = {key for key, _ in page.small}
    raw = {}
    for key, node in drawn(at).items():
        if kind(node) in ("slider", "number_input", "select_slider") and not disabled(node) \
                and key not in pinned:
            values = list(values_for(node))
            _, value, _ = values[0] if end == "min" else values[-1]
            if kind(node) == "select_slider":
                raw[node.id] = value if isinstance(value, list) else [value]
            else:
                node.set_value(value)
    states = widget_states(at)
    for ws in states.widgets:
        if ws.id in raw:
            ws.string_array_value.data[:] = raw.pop(ws.id)
    for wid, value in raw.items():
        states.widgets.add(id=wid).string_array_value.data[:] = value
    return at._run(states)


@pytest.mark.skipif(not MANIFEST.exists(), reason=f"no widget map: {UPDATE_HINT}")
@pytest.mark.parametrize("page_name,view", view_params())
def test_all_at_once(page_name, view, monkeypatch):
    """Every number, slider and select slider of a view at its own minimum at the same time,
    then all at their maximum: the settings meet each other (few points, many clusters...)."""
    page = PAGES[page_name]
    for name, value in page.env().items():
        monkeypatch.setenv(name, value)
    at = make_small(open_view(page, [tuple(s) for s in manifest()[page_name]["views"][view]]), page)
    for end in ("min", "max"):
        ctx = Ctx(page_name, "every slider and number", end)
        at = set_all(at, page, end)
        check(at, ctx)
        at = click_buttons(at, page, ctx, page.buttons + page.final_buttons)
    stop(at)


# ---- the upload parsers, without a page -----------------------------------------------------------

# a message that says what to do asks for something: "Upload a CSV...", "every row needs..."
DO_WORDS = ("upload", "pick", "save", "need", "use ", "check", "raise", "lower", "type", "add ")


def _csv_parsers():
    from playground.gan import data2d
    from playground.supervised.data import csv_dataset, guess_target, read_csv_bytes

    def table(data: bytes):
        frame, _ = read_csv_bytes(data, 10, 20_000)
        return csv_dataset(data, guess_target(frame), 10, 20_000)

    return {"sup_csv": table, "gan2d_upload": lambda data: data2d.points_from_csv(data, 10, 20_000)}


def _image_parser(data: bytes, name: str):
    from playground.diffusion import images

    return images.read_upload(data, name)


@pytest.mark.parametrize("uploader,file,rejected",
                         [pytest.param(u, f, r, id=f"{u}-{f}") for u, fs in UPLOADS.items() for f, r in fs])
def test_upload_parser(uploader, file, rejected):
    """The parsing function behind each uploader: a bad file raises UserInputError with a
    message that says what to do; a usable one (odd but fine) parses, with finite numbers."""
    name, data, _ = files()[file]
    parse = (lambda d: _image_parser(d, name)) if uploader == "diff_upload" else _csv_parsers()[uploader]
    if rejected:
        with pytest.raises(UserInputError) as info:
            parse(data)
        message = str(info.value)
        assert any(w in message.lower() for w in DO_WORDS), f"says what is wrong, not what to do: {message}"
        assert len(message) < 600, "a message, not a dump"
    else:
        out = parse(data)
        if uploader == "sup_csv":
            numbers = out.X[list(out.numeric)].to_numpy(dtype=float)
            assert not np.isinf(numbers).any(), "infinite values reach the model"
            assert out.n_classes >= 2
        if uploader == "diff_upload":
            assert np.isfinite(np.asarray(out.image)).all()


def test_csv_with_infinite_numbers_trains_and_its_code_reproduces_it(tmp_path):
    """inf, -inf and 1e309 in a column of numbers count as missing (the page says so), so
    the model trains instead of failing in the scaler; "Show me the code" does the same."""
    from playground.supervised import classify, csv_dataset, split_dataset
    from playground.supervised.code import classification_code

    name, data, _ = files()["text-nan-inf"]
    dataset = csv_dataset(data, "label", 10, 20_000)
    assert any("Infinite values count as missing: 'x' (18)." in n for n in dataset.notes), \
        dataset.notes
    split = split_dataset(dataset, 0.25, 0)
    result = classify(dataset, split, "Decision tree", {"max_depth": 3}, 0)
    path = tmp_path / name
    path.write_bytes(data)
    scope: dict = {}
    exec(compile(classification_code(dataset, split, "Decision tree", {"max_depth": 3}, 0, 0.25,  # noqa: S102
                                     csv_path=str(path)), "generated", "exec"), scope)
    assert scope["accuracy"] == result.metrics.accuracy


def test_csv_target_choices_that_cannot_be_classes():
    """The target column of a fine CSV picked as an id, an empty column or a constant one."""
    from playground.supervised.data import csv_dataset

    data = files()["table.csv"][1]
    for target, message in [("id", "different values"), ("empty", "labelled row"),
                            ("const", "single class"), ("nope", "no column")]:
        with pytest.raises(UserInputError, match=message):
            csv_dataset(data, target, 10, 20_000)


# ---- writing the map ------------------------------------------------------------------------------

MAX_DEPTH = 3


def explore(page: Page, log=print, known_map: dict | None = None) -> dict:
    """Open the page, then every tab, option and seed view; keep the views that reveal
    widgets not seen before. Returns {"views": {id: steps}, "widgets": [...]}.
    With ``known_map`` (the page's entry in the map) only the seed views are explored."""
    for name, value in page.env().items():
        os.environ[name] = value
    try:
        views: dict[str, list] = dict((known_map or {}).get("views", {}))
        widgets: dict[str, dict] = {w["key"]: w for w in (known_map or {}).get("widgets", [])}
        queue: deque[tuple[Step, ...]] = deque([] if known_map else [()])
        queue.extend(page.seeds)

        def register(at: AppTest, steps) -> list[str]:
            vid = "/".join(step_name(s) for s in steps)
            new = []
            for key, node in drawn(at).items():
                old = widgets.get(key)
                if old is None or (old["disabled"] and not disabled(node)):
                    widgets[key] = {"key": key, "type": kind(node), "view": vid,
                                    "label": str(getattr(node.proto, "label", ""))[:60],
                                    "disabled": disabled(node)}
                    new.append(key)
            if new:
                views[vid] = [list(s) for s in steps]
            return new

        first = True
        tried: set[frozenset] = set()
        while queue:
            steps = queue.popleft()
            start = time.perf_counter()
            try:
                at = open_view(page, steps)
            except LookupError as exc:
                log(f"  {page.name}: seed {steps} failed: {exc}")
                continue
            new = register(at, steps) if (first or steps in page.seeds) else \
                [k for k, w in widgets.items() if w["view"] == "/".join(step_name(s) for s in steps)]
            if first:
                base = set(drawn(at))
            first = False
            log(f"  {page.name}: view {'/'.join(map(step_name, steps)) or '(start)'}: "
                f"{len(new)} new widgets ({time.perf_counter() - start:.1f} s)")
            if len(steps) >= MAX_DEPTH:
                continue
            chosen = {s[1] for s in steps}
            for key, node in drawn(at).items():
                if key in chosen or not is_choice(node) or disabled(node):
                    continue
                for step in choices(node):
                    child = steps + (step,)
                    combination = frozenset(map(step_name, child))
                    if combination in tried:
                        continue
                    tried.add(combination)
                    try:
                        at2 = open_view(page, child)
                    except LookupError:
                        continue
                    fresh = register(at2, child)
                    # from the start view, a choice that changes what is shown is a view of its
                    # own (a tab, a data set that hides the noise slider), for test_all_at_once
                    if not steps and not fresh and (set(drawn(at2)) != base or (
                            step[0] == "tab" and step[2] != at.session_state[key])):
                        views["/".join(map(step_name, child))] = [list(s) for s in child]
                    if fresh:
                        queue.append(child)
        if page.extends:  # only what the other page lacks
            inherited = known(page.extends)
            widgets = {k: w for k, w in widgets.items() if k not in inherited}
            used = {w["view"] for w in widgets.values()}
            views = {v: steps for v, steps in views.items() if v in used}
        return {"views": views,
                "widgets": sorted(widgets.values(), key=lambda w: (list(views).index(w["view"]), w["key"]))}
    finally:
        for name in page.env():
            os.environ.pop(name, None)


def main(argv: list[str]) -> None:
    """Rewrite the map of the pages named (all without names). ``--seeds``: keep what the map
    has for them and only explore their seed views (after adding a seed)."""
    seeds_only = "--seeds" in argv
    argv = [a for a in argv if a != "--seeds"]
    names = argv or list(PAGES)
    unknown = set(names) - set(PAGES)
    if unknown:
        raise SystemExit(f"no such page: {', '.join(sorted(unknown))}; pages: {', '.join(PAGES)}")
    data = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for name in names:
        start = time.perf_counter()
        data[name] = explore(PAGES[name], known_map=data.get(name) if seeds_only else None)
        print(f"{name}: {len(data[name]['views'])} views, {len(data[name]['widgets'])} widgets, "
              f"{time.perf_counter() - start:.0f} s")
    MANIFEST.write_text(json.dumps({k: data[k] for k in PAGES if k in data}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {MANIFEST}")


if __name__ == "__main__":
    main(sys.argv[1:])
