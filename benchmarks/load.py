"""Load test: a class of simulated students using the running app at once.

Start the app, then, in another terminal::

    python benchmarks/load.py --users 30 --duration 120 --url http://127.0.0.1:8501

(``.venv/bin/python`` if the venv is not active.) Each simulated student is one
browser tab, speaking Streamlit's own websocket protocol (``benchmarks/loadclient.py``):
no browser is started, so 30 students cost the load generator little, but every
script run, model call and message is real on the server. A plain HTTP GET would
never run the script: only a websocket ``rerun_script`` message does.

What a student does
-------------------
* opens the app (``--landing``, the home page by default) after a random delay in
  ``--ramp`` seconds (0: all at once), then visits the app's pages in its own
  random order (seeded per student: ``--seed`` + student number);
* waits a think time between actions, uniform in ``--think LO HI`` seconds (2-14);
* an action is: go to a page (a sidebar click), or, on the sampling lab
  (``--lab sampling_lab``), type its own prompt into the "Prompt" text area
  ("Student 7 asks (1): what is a dog?") or move one of the page's sliders
  (e.g. the "Temperature" select_slider). ``--generate P``: with probability P a
  lab visit also presses "Generate" (streams a completion: heavy);
* ``--press PAGE:LABEL:P`` (repeatable): with probability P a visit to PAGE presses the
  button LABEL, e.g. ``--press "hallucinations:Run the sweep:0.3"`` (a needle sweep:
  the heaviest LLM work of the app; give a ``--timeout`` that fits it);
* stops at ``--duration`` seconds (an action under way is finished, bounded by the
  per-action ``--timeout``), or after ``--actions N`` actions if that comes first.

``--stampede``: everybody acts at the same moment, ``--rounds K`` times, and each round
waits for every student to finish: round 0 opens the app, round 1 goes to
``--stampede-page`` (the sampling lab), later rounds type a prompt and move a slider
in turn. That is the "everyone press Enter now" moment of a lesson.

Every action is timed from sending the message to the end of the script run it
started (``script_finished``), including ``st.rerun()`` chains.

The report (printed; ``--json out.json`` for the numbers, every action included)
--------------------------------------------------------------------------------
* per page and overall: actions, p50 / p95 / worst seconds per action; also per kind
  of action (open, navigate, prompt, slider, generate);
* errors, with examples: exceptions on screen (``exception`` elements), error boxes
  (``st.error``: the app's ``friendly_errors`` shows unexpected failures that way),
  timeouts (no end of run within ``--timeout``), disconnects, pages not found, compile
  errors, a typed prompt that did not come back in the rerun's output, failed
  connections, messages that arrived after their run had ended ("late"), and "client"
  (a failure of this tool itself: that student stops, the others go on). Timed-out
  actions count in the percentiles at the timeout (a lower bound); actions cut by a
  disconnect do not. ``st.warning`` boxes (e.g. "the model is busy") are listed apart;
* server memory with ``--server-pid PID[,PID...]`` (or ``auto``: the process listening
  on the URL's port): resident memory of the processes and their children, sampled
  every 0.5 s: at the start, after the warm-up (every student has loaded its first
  page), at the end, and the peak;
* the command line and the load generator's own CPU time (it shares the machine).

Exit status: 0 without errors, 1 with errors, 2 for a bad command line or a server
that cannot be reached. Only loopback URLs are accepted (localhost, 127.0.0.0/8, ::1):
this workplace forbids traffic to any other address.

Behind a reverse proxy (nginx) in front of several replicas
-------------------------------------------------------------
Give the proxy's URL. Each student has its own cookie jar: a cookie the proxy sets
on the first GET (a sticky-session cookie) is sent on every later request, the
websocket upgrade included. Check that the proxy spreads students: ``ip_hash``
sends them all to one replica (they all come from 127.0.0.1), a cookie-based
``hash $cookie_...`` or a sticky cookie does not. The proxy must pass the
``Upgrade``/``Connection`` headers and keep ``Host`` (``proxy_set_header Host
$http_host``): Streamlit closes a websocket whose ``Origin`` does not match its
``Host`` (code 1008) unless the origin is allowed; the report then shows
disconnects. Memory: pass every replica's pid, ``--server-pid 101,102``.

Protocol facts (Streamlit 1.67, Starlette/uvicorn server; checked against its code)
-----------------------------------------------------------------------------------
* The script runs only when the client sends ``BackMsg.rerun_script`` after opening
  ``/_stcore/stream``; the frontend does that right after connecting. ``ClientState``:
  ``page_name`` = the page's URL path ("" for the default page; first load from a
  URL), ``page_script_hash`` = "" on a first load, else the hash the server listed
  (the server resolves the hash first, then the name), ``widget_states``,
  ``query_string``, ``cached_message_hashes``, ``context_info``.
* ``new_session`` starts every script run (not only the first) and carries
  ``metadata.run.script_run_id``. With ``st.navigation`` its ``app_pages`` is NOT the
  app's page list (on a fresh server it lists only the main script, later the files
  of ``pages/``): the real pages, their URL paths and script hashes are in the
  ``navigation`` message of each run. A page hash is the md5 of its URL path.
* A run ends with ``script_finished``: FINISHED_SUCCESSFULLY, FINISHED_WITH_COMPILE_ERROR,
  FINISHED_FRAGMENT_RUN_SUCCESSFULLY, or FINISHED_EARLY_FOR_RERUN, which is NOT the
  end: ``st.rerun()`` (this app's first visit on a fresh server, the sampling lab's
  Generate) and a new request that interrupts the run send it, then a new
  ``new_session`` follows. The client waits for a final status whose run id belongs
  to a run started after its request. ``session_status_changed`` flips
  ``script_is_running`` around each run of a chain, so it is no end marker.
* An unknown page gives ``page_not_found`` and the default page runs instead.
* XSRF (``server.enableXsrfProtection``, on by default): the ``_streamlit_xsrf``
  cookie is set by ``/_stcore/health`` and ``/_stcore/script-health-check``, NOT by
  ``GET /``. The frontend sends the cookie's value as the 2nd websocket subprotocol
  (``PLACEHOLDER_AUTH_TOKEN`` when there is none) and the previous session id as the
  3rd when reconnecting. The server accepts the websocket whatever the token; a valid
  token (same unmasked bytes as the cookie) only lets it read the login cookie of
  ``st.login``. File uploads (``X-Xsrftoken`` header) do require it. Before accepting,
  the server checks ``Origin`` against ``Host`` (same origin, localhost or
  ``server.corsAllowedOrigins``) and ``server.allowedHosts``; a mismatch closes with 1008.
* Widgets arrive as ``delta.new_element`` elements whose proto has ``id`` and ``label``
  (ids look like ``$$ID-<md5>-<key>``). The browser sends the values of the widgets on
  screen with every rerun; a widget left out keeps its value on the server, so this
  client sends only the values it changed and forgets those no longer on screen.
  ``text_area``: ``string_value``; ``slider``: ``double_array_value`` (ints too);
  ``select_slider`` (a ``slider`` proto of type SELECT_SLIDER): ``string_array_value``
  holding the option's formatted text (``proto.options[i]``), not its index, its
  current value in ``raw_value``; button: ``trigger_value = True``, sent once.
* Forward-message cache: the server replaces a cacheable ``new_element`` (10 KB and
  more, ``global.minCachedMessageSize``) whose hash the client listed in
  ``cached_message_hashes`` by a ``ref_hash`` message. This client keeps such messages
  like the browser (entries expire after ``max_cached_message_age`` runs, 2) and
  resolves references; ``--no-message-cache`` sends no hashes (more bytes).
* ``st.fragment(run_every=...)`` makes the server send ``auto_rerun``; the browser then
  sends fragment reruns on a timer. This client counts those requests but does not
  send them (no student presses the GAN page's Play).
* Websocket details: messages can exceed 1 MiB (``max_size=None``); browsers send no
  pings, and neither does this client; the server's pings are answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadclient import (  # noqa: E402  (benchmarks/ is not a package)
    BaseUrl, LoadClientError, RunResult, StreamlitSession, Widget, parse_base_url, slider_choices,
)

TOPICS = ("a dog", "the moon", "a neural network", "photosynthesis", "a black hole", "gravity",
          "a volcano", "an atom", "the internet", "a rainbow", "electricity", "a virus", "a galaxy",
          "democracy", "a glacier", "a prime number", "the ocean", "a robot", "a cloud", "DNA")
KINDS = ("open", "navigate", "prompt", "slider", "generate", "press", "rerun")
MB = 1024 * 1024


# -- statistics -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks
    (numpy's default); None for no values."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(seconds: list[float]) -> dict[str, Any]:
    """count, p50, p95, worst and mean of a list of seconds (None when empty)."""
    return {
        "count": len(seconds),
        "p50": percentile(seconds, 50),
        "p95": percentile(seconds, 95),
        "worst": max(seconds) if seconds else None,
        "mean": sum(seconds) / len(seconds) if seconds else None,
    }


# -- what happened --------------------------------------------------------------------------------


@dataclass
class Action:
    """One timed student action, as reported and written to --json."""

    user: int
    page: str  # display name of the page the action ran on ("home" for the default page "")
    kind: str  # open, navigate, prompt, slider, generate, press, rerun
    at: float  # seconds since the test started
    seconds: float | None  # send -> final script_finished; the timeout for a timeout; None if it never ran
    status: str  # ok, timeout, disconnected, compile_error, connect_failed
    detail: str = ""  # what was set ("Temperature = 1.5", the prompt text)
    errors: list[list[str]] = field(default_factory=list)  # [[type, message], ...]
    warnings: list[str] = field(default_factory=list)
    first_element_s: float | None = None
    runs: int = 0
    messages: int = 0
    bytes: int = 0
    ref_hits: int = 0
    prompt_seen: bool | None = None

    @property
    def timed(self) -> bool:
        """Counted in the percentiles: finished runs, and timeouts at the timeout (a lower bound)."""
        return self.seconds is not None and self.status in ("ok", "compile_error", "timeout")


def page_label(url_pathname: str) -> str:
    return url_pathname or "home"


def action_from_result(user: int, kind: str, at: float, result: RunResult, detail: str = "",
                       timeout: float = 60.0) -> Action:
    errors: list[list[str]] = []
    if result.status == "timeout":
        errors.append(["timeout", f"no end of the script run within {timeout:g} s"])
    for text in result.exceptions:
        errors.append(["exception", text])
    for text in result.error_alerts:
        errors.append(["error on screen", text])
    for text in result.problems:
        if text.startswith("page not found"):
            errors.append(["page not found", text])
        elif "compile error" in text:
            errors.append(["compile error", text])
        elif text.startswith(("disconnected", "not connected")):
            errors.append(["disconnect", text])
        else:
            errors.append(["protocol", text])
    prompt_seen = None
    if kind == "prompt":
        prompt_seen = result.expect_seen
        if result.status == "ok" and not result.expect_seen and not errors:
            errors.append(["prompt not applied", f"the typed prompt {detail!r} is not in the rerun's output"])
    return Action(user=user, page=page_label(result.page), kind=kind, at=round(at, 3),
                  seconds=None if result.seconds is None else round(result.seconds, 4),
                  status=result.status, detail=detail, errors=errors, warnings=list(result.warnings),
                  first_element_s=None if result.first_element_s is None else round(result.first_element_s, 4),
                  runs=result.runs, messages=result.messages, bytes=result.bytes, ref_hits=result.ref_hits,
                  prompt_seen=prompt_seen)


# -- server memory ----------------------------------------------------------------------------------


def find_listening_pid(port: int) -> int | None:
    """The pid of the process listening on a local TCP port (None if not visible)."""
    import psutil

    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return conn.pid
    return None


class MemorySampler:
    """Resident memory (RSS) of the server processes and all their children, every `interval` s."""

    def __init__(self, pids: list[int], interval: float = 0.5) -> None:
        import psutil

        self._psutil = psutil
        self.pids = pids
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.marks: dict[str, int | None] = {}
        self.start_time = time.perf_counter()

    def sample(self) -> int | None:
        psutil = self._psutil
        total, seen = 0, False
        for pid in self.pids:
            try:
                proc = psutil.Process(pid)
                procs = [proc] + proc.children(recursive=True)
            except psutil.Error:
                continue
            for p in procs:
                try:
                    total += p.memory_info().rss
                    seen = True
                except psutil.Error:
                    pass
        if not seen:
            return None
        self.samples.append((round(time.perf_counter() - self.start_time, 2), total))
        return total

    def mark(self, name: str) -> None:
        self.marks[name] = self.sample()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except asyncio.TimeoutError:
                pass

    def summary(self) -> dict[str, Any]:
        values = [v for _, v in self.samples]
        return {
            "pids": self.pids,
            "start_mb": _mb(self.marks.get("start")),
            "after_warmup_mb": _mb(self.marks.get("warmup")),
            "end_mb": _mb(self.marks.get("end")),
            "peak_mb": _mb(max(values)) if values else None,
            "samples": len(values),
            "timeline": [[t, _mb(v)] for t, v in self.samples[:: max(1, len(self.samples) // 400)]],
        }


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / MB, 1)


# -- the students ---------------------------------------------------------------------------------


@dataclass
class Config:
    url: str = "http://127.0.0.1:8501"
    users: int = 30
    duration: float = 120.0
    think: tuple[float, float] = (2.0, 14.0)
    ramp: float = 0.0
    seed: int = 0
    timeout: float = 60.0
    stampede: bool = False
    rounds: int = 3
    stampede_page: str = "sampling_lab"
    landing: str = "home"
    lab: str = "sampling_lab"
    pages: list[str] | None = None  # restrict the visited pages (display names)
    generate: float = 0.0
    actions: int = 0  # stop a student after this many actions, the opening included (0: no limit)
    prompt_label: str = "Prompt"
    generate_label: str = "Generate"
    presses: tuple[tuple[str, str, float], ...] = ()  # (page, button label, probability per visit)
    message_cache: bool = True


class Recorder:
    """Collects actions and stray errors; knows when the warm-up is over."""

    def __init__(self, users: int, memory: MemorySampler | None) -> None:
        self.t0 = time.perf_counter()
        self.actions: list[Action] = []
        self.loose: list[Action] = []  # errors outside any action (late messages, failed reconnects)
        self.memory = memory
        self._opened = 0
        self._users = users
        self.warmup_at: float | None = None
        self.auto_reruns = 0  # fragment auto-rerun requests the students received (not simulated)

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def add(self, action: Action) -> None:
        self.actions.append(action)

    def opened(self) -> None:
        """A student finished (or failed) its first page: after the last one, mark the warm-up."""
        self._opened += 1
        if self._opened == self._users:
            self.warmup_at = self.now()
            if self.memory is not None:
                self.memory.mark("warmup")


def _sid(user: int) -> str:
    return f"student {user}"


class Student:
    """One simulated student: a StreamlitSession plus a seeded plan of what to do."""

    def __init__(self, user: int, cfg: Config, base: BaseUrl, rec: Recorder) -> None:
        self.user = user
        self.cfg = cfg
        self.rec = rec
        self.rng = random.Random(f"{cfg.seed}:{user}")
        self.session = StreamlitSession(base, name=_sid(user), timeout=cfg.timeout,
                                        message_cache=cfg.message_cache)
        self.itinerary: list[str] = []
        self.plan: list[str] = []  # what to do on the current page before moving on
        self.prompts = 0
        self.done = 0  # actions recorded, the opening included
        self.alive = True

    # -- actions ---------------------------------------------------------------------------------

    def _record(self, kind: str, at: float, result: RunResult, detail: str = "") -> Action:
        action = action_from_result(self.user, kind, at, result, detail, self.cfg.timeout)
        self.rec.add(action)
        self.done += 1
        self._collect_stray()
        return action

    def _collect_stray(self) -> None:
        if self.session.stray:
            errors = [["late", text] for text in self.session.stray]
            self.session.stray.clear()
            self.rec.loose.append(Action(user=self.user, page=page_label(self.session.page), kind="late",
                                         at=round(self.rec.now(), 3), seconds=None, status="late",
                                         errors=errors))

    async def open(self) -> bool:
        landing = self._url_of(self.cfg.landing)
        at = self.rec.now()
        try:
            result = await self.session.open(landing)
        except Exception as exc:  # noqa: BLE001 - LoadClientError, OSError, anything the handshake raises
            text = str(exc) if isinstance(exc, LoadClientError) else f"{type(exc).__name__}: {exc}"
            self.rec.add(Action(user=self.user, page=self.cfg.landing, kind="open", at=round(at, 3),
                                seconds=None, status="connect_failed", errors=[["connect", text]]))
            self.alive = False
            return False
        finally:
            self.rec.opened()
        self._record("open", at, result)
        self._arrive(landing)
        if result.status == "disconnected":
            self.alive = await self._reconnect()
        return self.alive

    def _url_of(self, name: str) -> str:
        """A page's URL path from its display name ("home" is the default page "")."""
        if name == "home" and "home" not in self.session.pages:
            return self.session.default_page
        return name

    def _page_names(self) -> list[str]:
        """--pages as given (a name the app does not have gives "page not found" errors),
        else every page the app's navigation lists."""
        return list(self.cfg.pages) if self.cfg.pages else [page_label(p) for p in self.session.pages]

    def _arrive(self, url_pathname: str) -> None:
        """Plan the interactions for the page just opened."""
        self.plan = []
        if page_label(url_pathname) == self.cfg.lab:
            self.plan = ["prompt"] + ["slider"] * self.rng.randint(1, 2)
            self.rng.shuffle(self.plan)
            if self.rng.random() < self.cfg.generate:
                self.plan.insert(self.plan.index("prompt") + 1, "generate")
        for page, label, probability in self.cfg.presses:
            if page_label(url_pathname) == page and self.rng.random() < probability:
                self.plan.append(f"press:{label}")

    def _next_page(self) -> str:
        if not self.itinerary:
            names = self._page_names()
            current = page_label(self.session.page)
            self.rng.shuffle(names)
            if len(names) > 1 and names[0] == current:
                names.append(names.pop(0))
            self.itinerary = names
        return self.itinerary.pop(0) if self.itinerary else page_label(self.session.page)

    async def navigate(self, name: str) -> Action:
        at = self.rec.now()
        url = self._url_of(name)
        result = await self.session.navigate(url)
        action = self._record("navigate", at, result)
        if result.status == "ok":
            self._arrive(url)
        return action

    async def type_prompt(self) -> Action | None:
        widget = self.session.widget(self.cfg.prompt_label)
        if widget is None:
            return None
        self.prompts += 1
        text = f"Student {self.user} asks ({self.prompts}): what is {self.rng.choice(TOPICS)}?"
        at = self.rec.now()
        result = await self.session.set_widget(widget, text, expect=text)
        return self._record("prompt", at, result, detail=text)

    def _sliders(self) -> list[Widget]:
        return [w for w in self.session.widgets.values()
                if (w.is_select_slider or w.is_numeric_slider) and not w.proto.disabled]

    async def move_slider(self) -> Action | None:
        sliders = self._sliders()
        if not sliders:
            return None
        widget = self.rng.choice(sliders)
        current = self.session.current_value(widget)
        choices = [c for c in slider_choices(widget) if c != current] or slider_choices(widget)
        value = self.rng.choice(choices)
        at = self.rec.now()
        result = await self.session.set_widget(widget, value)
        return self._record("slider", at, result, detail=f"{widget.label} = {value}")

    async def press(self, label: str, kind: str) -> Action | None:
        widget = self.session.widget(label)
        if widget is None or widget.type != "button" or widget.proto.disabled:
            return None
        at = self.rec.now()
        result = await self.session.set_widget(widget, True)
        return self._record(kind, at, result, detail=label)

    async def rerun_page(self) -> Action:
        at = self.rec.now()
        result = await self.session.rerun(None)
        return self._record("rerun", at, result)

    def client_failure(self, exc: BaseException) -> None:
        """An unexpected exception in this student's own code: recorded, the student stops,
        the others go on."""
        self.alive = False
        self.rec.loose.append(Action(user=self.user, page=page_label(self.session.page), kind="client",
                                     at=round(self.rec.now(), 3), seconds=None, status="client_error",
                                     errors=[["client", f"{type(exc).__name__}: {exc}"]]))

    async def _reconnect(self) -> bool:
        """After a disconnect: reconnect like the browser does; give up if that fails."""
        try:
            await self.session.reconnect()
            return True
        except Exception as exc:  # noqa: BLE001 - LoadClientError, OSError, anything the handshake raises
            self.rec.loose.append(Action(user=self.user, page=page_label(self.session.page), kind="reconnect",
                                         at=round(self.rec.now(), 3), seconds=None, status="connect_failed",
                                         errors=[["connect", f"reconnect failed: {exc}"]]))
            return False

    async def step(self) -> None:
        """One free-mode action: the next planned interaction, else the next page."""
        if not self.session.connected:
            self.alive = await self._reconnect()
            if not self.alive:
                return
        action = None
        while self.plan and action is None:
            what = self.plan.pop(0)
            if what == "prompt":
                action = await self.type_prompt()
            elif what == "slider":
                action = await self.move_slider()
            elif what == "generate":
                action = await self.press(self.cfg.generate_label, "generate")
            elif what.startswith("press:"):
                action = await self.press(what.removeprefix("press:"), "press")
        if action is None:
            action = await self.navigate(self._next_page())
        if action.status == "disconnected":
            self.alive = await self._reconnect()

    async def stampede_step(self, round_index: int) -> None:
        try:
            await self._stampede_step(round_index)
        except Exception as exc:  # noqa: BLE001 - one student's failure must not end the test
            self.client_failure(exc)

    async def _stampede_step(self, round_index: int) -> None:
        if not self.session.connected and not await self._reconnect():
            self.alive = False
            return
        target = self.cfg.stampede_page
        action = None
        if round_index == 1 or page_label(self.session.page) != target:
            action = await self.navigate(target)
        elif target == self.cfg.lab and round_index % 2 == 0:
            action = await self.type_prompt()
        else:
            action = await self.move_slider()
        if action is None:
            action = await self.rerun_page()

    # -- whole runs -----------------------------------------------------------------------------

    async def run_free(self, start_delay: float, deadline: float) -> None:
        """Open after `start_delay` s, then act until the next action would start after
        `deadline` (a perf_counter time) or after `cfg.actions` actions."""
        try:
            await asyncio.sleep(start_delay)
            if not await self.open():
                return
            lo, hi = self.cfg.think
            while self.alive and not (self.cfg.actions and self.done >= self.cfg.actions):
                think = self.rng.uniform(lo, hi)
                if time.perf_counter() + think >= deadline:
                    break
                await asyncio.sleep(think)
                await self.step()
        except Exception as exc:  # noqa: BLE001 - one student's failure must not end the test
            self.client_failure(exc)
        finally:
            await self.session.close()


# -- running a whole test ---------------------------------------------------------------------------


async def run_load(cfg: Config, memory: MemorySampler | None = None) -> tuple[Recorder, float]:
    """Run the whole test; returns the recorder and the wall-clock seconds it took.

    Bounded: free mode stops starting actions at `duration`; stampede mode after
    `rounds`; each action waits at most `timeout`; and the whole run is cancelled
    at a hard limit well above both."""
    base = parse_base_url(cfg.url)
    rec = Recorder(cfg.users, memory)
    stop = asyncio.Event()
    sampler = asyncio.create_task(memory.run(stop)) if memory else None
    if memory is not None:
        memory.mark("start")
    students = [Student(i + 1, cfg, base, rec) for i in range(cfg.users)]
    start = time.perf_counter()
    if cfg.stampede:
        hard_limit = cfg.ramp + (cfg.rounds + 1) * (cfg.timeout + 10) + 30
        main = _stampede(students, cfg, rec)
    else:
        hard_limit = cfg.ramp + cfg.duration + 2 * cfg.timeout + 30
        deadline = start + cfg.duration
        main = asyncio.gather(*(
            s.run_free(cfg.ramp * i / max(cfg.users - 1, 1) if cfg.users > 1 else 0.0, deadline)
            for i, s in enumerate(students)))
    task = asyncio.ensure_future(main)
    done, _ = await asyncio.wait({task}, timeout=hard_limit)
    if not done:
        task.cancel()
        why = f"the test was cancelled at its hard limit of {hard_limit:.0f} s"
        rec.loose.append(Action(user=0, page="-", kind="limit", at=round(rec.now(), 3), seconds=None,
                                status="cancelled", errors=[["timeout", why]]))
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(*(s.session.close() for s in students), return_exceptions=True)
    elif task.exception() is not None:
        raise task.exception()
    elapsed = time.perf_counter() - start
    if memory is not None:
        memory.mark("end")
    stop.set()
    if sampler is not None:
        await sampler
    for s in students:
        s._collect_stray()
        rec.auto_reruns += s.session.auto_reruns
    return rec, elapsed


async def _stampede(students: list[Student], cfg: Config, rec: Recorder) -> None:
    """Round 0: everybody opens the app; rounds 1..K: everybody acts at the same moment."""
    go = asyncio.Event()

    async def at_once(student: Student, delay: float, coro_factory) -> None:
        await go.wait()
        if delay:
            await asyncio.sleep(delay)
        await coro_factory()

    try:
        tasks = [at_once(s, cfg.ramp * i / max(cfg.users - 1, 1) if cfg.users > 1 else 0.0, s.open)
                 for i, s in enumerate(students)]
        runner = asyncio.gather(*tasks)
        await asyncio.sleep(0)
        go.set()
        await runner
        for round_index in range(1, cfg.rounds + 1):
            await asyncio.sleep(1.0)
            go = asyncio.Event()
            alive = [s for s in students if s.alive]
            if not alive:
                break
            runner = asyncio.gather(*(at_once(s, 0.0, lambda s=s, r=round_index: s.stampede_step(r))
                                      for s in alive))
            await asyncio.sleep(0)
            go.set()
            await runner
    finally:
        await asyncio.gather(*(s.session.close() for s in students), return_exceptions=True)


# -- the report -------------------------------------------------------------------------------------


def build_report(actions: list[Action], loose: list[Action] | None = None, *, command: str = "",
                 config: dict | None = None, elapsed: float | None = None, memory: dict | None = None,
                 warmup_at: float | None = None, client_cpu_s: float | None = None,
                 auto_reruns: int = 0, examples: int = 5) -> dict[str, Any]:
    """The machine-readable report: summaries per page, per kind and overall, errors by
    type with examples, warnings, memory, and every action."""
    loose = loose or []
    pages: dict[str, list[Action]] = {}
    kinds: dict[str, list[Action]] = {}
    for a in actions:
        pages.setdefault(a.page, []).append(a)
        kinds.setdefault(a.kind, []).append(a)

    def block(group: list[Action]) -> dict[str, Any]:
        stats = summarize([a.seconds for a in group if a.timed])
        stats["actions"] = len(group)
        stats["errors"] = sum(len(a.errors) for a in group)
        stats["failed_actions"] = sum(1 for a in group if a.errors)
        return stats

    by_type: dict[str, int] = {}
    error_examples: dict[str, list[str]] = {}
    for a in actions + loose:
        for etype, text in a.errors:
            by_type[etype] = by_type.get(etype, 0) + 1
            bucket = error_examples.setdefault(etype, [])
            if len(bucket) < examples:
                bucket.append(f"student {a.user} @ {a.page} ({a.kind}, t={a.at:.1f} s): {text}")
    warnings = [(a, w) for a in actions for w in a.warnings]
    prompts = [a for a in actions if a.kind == "prompt"]
    return {
        "command": command,
        "config": config or {},
        "elapsed_s": None if elapsed is None else round(elapsed, 2),
        "warmup_at_s": None if warmup_at is None else round(warmup_at, 2),
        "overall": block(actions),
        "pages": {name: block(group) for name, group in sorted(pages.items())},
        "kinds": {name: block(kinds[name]) for name in KINDS if name in kinds},
        "first_element": summarize([a.first_element_s for a in actions if a.first_element_s is not None]),
        "errors": {"total": sum(by_type.values()), "by_type": by_type, "examples": error_examples},
        "warnings": {"total": len(warnings),
                     "examples": [f"student {a.user} @ {a.page}: {w}" for a, w in warnings[:examples]]},
        "prompts": {"typed": len(prompts), "seen_in_output": sum(1 for a in prompts if a.prompt_seen)},
        "traffic": {"messages": sum(a.messages for a in actions), "bytes": sum(a.bytes for a in actions),
                    "cache_references": sum(a.ref_hits for a in actions)},
        "auto_reruns_ignored": auto_reruns,
        "client_cpu_s": None if client_cpu_s is None else round(client_cpu_s, 2),
        "memory": memory,
        "actions": [asdict(a) for a in actions],
        "loose": [asdict(a) for a in loose],
    }


def _f(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.2f}" if value is not None else f"{'-':>{width}}"


def format_report(report: dict[str, Any]) -> str:
    """The compact text table printed at the end."""
    cfg = report.get("config", {})
    lines = []
    mode = (f"stampede, {cfg.get('rounds')} rounds" if cfg.get("stampede")
            else f"{cfg.get('duration')} s, think {cfg.get('think')} s")
    lines.append(f"AI Playground load test: {cfg.get('users')} students, {mode}, ramp {cfg.get('ramp')} s, "
                 f"seed {cfg.get('seed')}, timeout {cfg.get('timeout')} s, url {cfg.get('url')}")
    if report.get("command"):
        lines.append(f"command: {report['command']}")
    lines.append("")
    header = f"{'page':<16} {'actions':>7} {'p50 s':>7} {'p95 s':>7} {'worst s':>7} {'errors':>6}"
    lines.append(header)
    lines.append("-" * len(header))

    def row(name: str, b: dict[str, Any]) -> str:
        return (f"{name:<16} {b['actions']:>7} {_f(b['p50'])} {_f(b['p95'])} {_f(b['worst'])} "
                f"{b['errors']:>6}")

    for name, b in report["pages"].items():
        lines.append(row(name, b))
    lines.append("-" * len(header))
    lines.append(row("all", report["overall"]))
    lines.append("")
    lines.append(header.replace("page   ", "action "))
    for name, b in report["kinds"].items():
        lines.append(row(name, b))
    first = report["first_element"]
    lines.append("")
    lines.append(f"first element on screen: p50 {_f(first['p50'], 0).strip()} s, "
                 f"p95 {_f(first['p95'], 0).strip()} s")
    prompts = report["prompts"]
    if prompts["typed"]:
        lines.append(f"typed prompts seen in the rerun's output: {prompts['seen_in_output']}/{prompts['typed']}")
    traffic = report["traffic"]
    lines.append(f"traffic: {traffic['messages']} messages, {traffic['bytes'] / MB:.1f} MB, "
                 f"{traffic['cache_references']} cached-element references")
    errors = report["errors"]
    lines.append("")
    if errors["total"]:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(errors["by_type"].items(), key=lambda kv: -kv[1]))
        lines.append(f"ERRORS: {errors['total']} ({parts})")
        for etype, examples in errors["examples"].items():
            for text in examples:
                lines.append(f"  [{etype}] {text}")
        if any("redacted" in text for examples in errors["examples"].values() for text in examples):
            lines.append("  (client.showErrorDetails hides exception details on screen: the tracebacks "
                         "are in the server's log)")
    else:
        lines.append("errors: none")
    warnings = report["warnings"]
    if warnings["total"]:
        lines.append(f"warnings on screen: {warnings['total']}")
        lines.extend(f"  {w}" for w in warnings["examples"])
    if report.get("auto_reruns_ignored"):
        lines.append(f"fragment auto-rerun requests not simulated: {report['auto_reruns_ignored']}")
    memory = report.get("memory")
    lines.append("")
    if memory:
        lines.append(f"server memory (pids {','.join(map(str, memory['pids']))} + children, RSS): "
                     f"start {_mbtext(memory['start_mb'])}, after warm-up {_mbtext(memory['after_warmup_mb'])}, "
                     f"end {_mbtext(memory['end_mb'])}, peak {_mbtext(memory['peak_mb'])}")
    else:
        lines.append("server memory: not sampled (pass --server-pid PID or --server-pid auto)")
    timing = []
    if report.get("elapsed_s") is not None:
        timing.append(f"wall {report['elapsed_s']:.1f} s")
    if report.get("warmup_at_s") is not None:
        timing.append(f"warm-up done at {report['warmup_at_s']:.1f} s")
    if report.get("client_cpu_s") is not None:
        timing.append(f"load generator CPU {report['client_cpu_s']:.1f} s")
    if timing:
        lines.append("; ".join(timing))
    return "\n".join(lines)


def _mbtext(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MB"


# -- command line ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="benchmarks/load.py",
        description="Simulated students over Streamlit's websocket protocol.\n"
                    "The module docstring says what they do and what the report means.",
        epilog="examples:\n"
               "  python benchmarks/load.py --users 30 --duration 120 --url http://127.0.0.1:8501\n"
               "  python benchmarks/load.py --users 30 --stampede --rounds 3 --server-pid auto\n"
               "exit status: 0 no errors, 1 errors, 2 bad arguments or no server",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add = p.add_argument
    add("--url", default="http://127.0.0.1:8501",
        help="the app (or its proxy); loopback only (default %(default)s)")
    add("--users", type=int, default=30, help="simulated students (default %(default)s)")
    add("--duration", type=float, default=120.0,
        help="seconds of free activity; not used with --stampede (default 120)")
    add("--think", type=float, nargs=2, default=(2.0, 14.0), metavar=("LO", "HI"),
        help="think time between actions, uniform in [LO, HI] seconds (default 2 14)")
    add("--ramp", type=float, default=0.0,
        help="spread the session openings over this many seconds (default 0: all at once)")
    add("--seed", type=int, default=0,
        help="seeds every student's choices; student i uses seed:i (default %(default)s)")
    add("--timeout", type=float, default=60.0,
        help="per-action timeout in seconds; a timeout is an error (default %(default)s)")
    add("--stampede", action="store_true", help="everybody acts at the same moment, --rounds times")
    add("--rounds", type=int, default=3, help="stampede rounds after the opening round (default %(default)s)")
    add("--stampede-page", default="sampling_lab", help="the page the stampede goes to (default %(default)s)")
    add("--landing", default="home", help="the page students open first (default %(default)s)")
    add("--lab", default="sampling_lab",
        help="the page where students type prompts and move sliders (default %(default)s)")
    add("--pages", default="",
        help="comma-separated pages to visit, by URL path; home = the default page "
             "(default: every page the app lists)")
    add("--actions", type=int, default=0,
        help="stop each student after this many actions, the opening included "
             "(default 0: only --duration stops them)")
    add("--generate", type=float, default=0.0,
        help="probability that a lab visit also presses Generate: heavy (default 0)")
    add("--press", action="append", default=[], metavar="PAGE:LABEL:P",
        help="with probability P a visit to PAGE presses the button LABEL (repeatable)")
    add("--no-message-cache", action="store_true",
        help="send no cached message hashes (the server then resends large elements)")
    add("--server-pid", default="",
        help="PID[,PID...] of the server(s) to sample memory from, or 'auto'")
    add("--json", default="", metavar="OUT.json", help="write the full report here")
    args = p.parse_args(argv)
    if args.users < 1:
        p.error("--users must be at least 1")
    if args.duration <= 0 or args.timeout <= 0 or min(args.rounds, args.ramp, args.actions) < 0:
        p.error("--duration and --timeout must be positive, --rounds, --ramp and --actions not negative")
    if not 0 <= args.think[0] <= args.think[1]:
        p.error("--think needs 0 <= LO <= HI")
    if not 0 <= args.generate <= 1:
        p.error("--generate is a probability")
    try:
        parse_base_url(args.url)
        args.presses = tuple(_press(spec) for spec in args.press)
    except ValueError as exc:
        p.error(str(exc))
    return args


def _press(spec: str) -> tuple[str, str, float]:
    page, _, rest = spec.partition(":")
    label, _, probability = rest.rpartition(":")
    try:
        value = float(probability)
    except ValueError:
        value = -1.0
    if not page or not label or not 0 <= value <= 1:
        raise ValueError(f"--press {spec!r}: write PAGE:LABEL:P, e.g. 'hallucinations:Run the sweep:0.3'")
    return page, label, value


def config_from_args(args: argparse.Namespace) -> Config:
    return Config(url=args.url, users=args.users, duration=args.duration, think=tuple(args.think),
                  ramp=args.ramp, seed=args.seed, timeout=args.timeout, stampede=args.stampede,
                  rounds=args.rounds, stampede_page=args.stampede_page, landing=args.landing, lab=args.lab,
                  pages=[p.strip() for p in args.pages.split(",") if p.strip()] or None,
                  generate=args.generate, actions=args.actions, message_cache=not args.no_message_cache,
                  presses=args.presses)


def resolve_pids(spec: str, url: str) -> list[int]:
    if not spec:
        return []
    if spec == "auto":
        port = parse_base_url(url).netloc.rpartition(":")[2]
        port_number = int(port) if port.isdigit() else (443 if url.startswith("https") else 80)
        pid = find_listening_pid(port_number)
        if pid is None:
            raise ValueError(f"no visible process listens on port {port_number}; pass --server-pid PID")
        return [pid]
    return [int(part) for part in spec.split(",") if part.strip()]


def _check_reachable(url: str) -> str | None:
    """None if /_stcore/health answers, else why not (one short request)."""
    import urllib.request

    base = parse_base_url(url)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(base.http("_stcore/health"), timeout=10) as response:
            return None if response.status == 200 else f"HTTP {response.status}"
    except OSError as exc:
        return str(exc)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = config_from_args(args)
    problem = _check_reachable(cfg.url)
    if problem:
        print(f"cannot reach {cfg.url}/_stcore/health: {problem}. Is the app running?", file=sys.stderr)
        return 2
    memory = None
    try:
        pids = resolve_pids(args.server_pid, cfg.url)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if pids:
        memory = MemorySampler(pids)
    command = shlex.join([Path(sys.executable).name, *sys.argv]) if argv is None else shlex.join(
        ["benchmarks/load.py", *argv])
    cpu0 = time.process_time()
    rec, elapsed = asyncio.run(run_load(cfg, memory))
    config = asdict(cfg)
    config["think"] = list(cfg.think)
    report = build_report(rec.actions, rec.loose, command=command, config=config, elapsed=elapsed,
                          memory=memory.summary() if memory else None, warmup_at=rec.warmup_at,
                          client_cpu_s=time.process_time() - cpu0,
                          auto_reruns=rec.auto_reruns)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
        print(f"full report: {args.json}")
    return 1 if report["errors"]["total"] else 0


if __name__ == "__main__":
    sys.exit(main())
