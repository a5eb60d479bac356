"""A minimal Streamlit client that speaks the browser's websocket protocol.

`benchmarks/load.py` runs one :class:`StreamlitSession` per simulated student. It
does what the browser frontend of Streamlit 1.67 does, minus the drawing:

1. HTTP: GET the page URL, then ``/_stcore/health`` (whose response sets the
   ``_streamlit_xsrf`` cookie) and ``/_stcore/host-config``, each with the
   session's own cookie jar, so a cookie a reverse proxy sets (sticky sessions)
   is kept and sent again.
2. Websocket ``/_stcore/stream`` with the subprotocols ``streamlit``, the XSRF
   token (or ``PLACEHOLDER_AUTH_TOKEN`` when there is no cookie) and, when
   reconnecting, the previous session id; the ``Cookie`` header from the jar and
   ``Origin`` = the app's own origin.
3. ``BackMsg.rerun_script`` (a ``ClientState``) for every page visit and every
   widget change; it then reads ``ForwardMsg``s until the run is over.

See the module docstring of ``benchmarks/load.py`` for the protocol facts this
relies on (what ends a run, how widget values are sent, ...).

Only loopback URLs are accepted: :func:`parse_base_url` refuses everything else.
"""

from __future__ import annotations

import asyncio
import http.client
import http.cookiejar
import ipaddress
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

XSRF_COOKIE = "_streamlit_xsrf"
PLACEHOLDER_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend sends when it has no XSRF cookie
STATUS_NAMES = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "FINISHED_SUCCESSFULLY",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "FINISHED_WITH_COMPILE_ERROR",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "FINISHED_EARLY_FOR_RERUN",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "FINISHED_FRAGMENT_RUN_SUCCESSFULLY",
}


class LoadClientError(Exception):
    """Opening a session failed (HTTP error, refused websocket, ...)."""


# -- URLs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseUrl:
    """The app's address, split the way the client needs it."""

    scheme: str  # http or https
    netloc: str  # host:port as typed
    host: str
    base_path: str  # "" or "/some/prefix" (server.baseUrlPath or a proxy location), no trailing /
    query: str  # query string sent with every rerun (without "?")

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    def http(self, path: str) -> str:
        """An HTTP URL under the app's base path; `path` without a leading slash."""
        return f"{self.origin}{self.base_path}/{path}"

    def page(self, url_pathname: str) -> str:
        return self.http(url_pathname) + (f"?{self.query}" if self.query else "")

    @property
    def stream(self) -> str:
        scheme = "wss" if self.scheme == "https" else "ws"
        return f"{scheme}://{self.netloc}{self.base_path}/_stcore/stream"


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_base_url(url: str) -> BaseUrl:
    """Split ``http://127.0.0.1:8501[/base][?query]``; refuse anything but loopback.

    This workplace allows no traffic to any other address, so a remote host is an
    error rather than a warning."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"--url must start with http:// or https://, not {url!r}")
    host = parts.hostname or ""
    if not is_loopback_host(host):
        raise ValueError(f"refusing {url!r}: only loopback addresses (localhost, 127.0.0.0/8, ::1) "
                         "may be load-tested from here")
    if parts.username or parts.password:
        raise ValueError("--url must not contain credentials")
    return BaseUrl(parts.scheme, parts.netloc, host, parts.path.rstrip("/"), parts.query)


# -- the forward-message cache (like the frontend's ForwardMsgCache) -----------------------------


class MessageCache:
    """Messages the server marked ``metadata.cacheable``, by hash.

    The browser sends the hashes it holds in every ``rerun_script``
    (``ClientState.cached_message_hashes``); the server then replaces a large
    element it would send again by a small ``ForwardMsg.ref_hash`` reference. An
    entry not used for ``max_age`` full script runs is dropped (the server says
    ``max_age`` in ``new_session.config.max_cached_message_age``)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.max_age = 2
        self.runs = 0
        self._entries: dict[str, tuple[bytes, int]] = {}

    def add(self, msg: ForwardMsg, data: bytes) -> None:
        if self.enabled and msg.metadata.cacheable and msg.hash:
            self._entries[msg.hash] = (data, self.runs)

    def get(self, ref_hash: str) -> bytes | None:
        entry = self._entries.get(ref_hash)
        if entry is None:
            return None
        self._entries[ref_hash] = (entry[0], self.runs)
        return entry[0]

    def run_finished(self) -> None:
        self.runs += 1
        self._entries = {h: e for h, e in self._entries.items() if self.runs - e[1] <= self.max_age}

    def hashes(self) -> list[str]:
        return list(self._entries) if self.enabled else []

    def __len__(self) -> int:
        return len(self._entries)


# -- what one rerun produced -----------------------------------------------------------------------


@dataclass
class Widget:
    """A widget element on screen: its proto type (``slider``, ``text_area``...) and proto."""

    id: str
    label: str
    type: str
    proto: Any

    @property
    def is_select_slider(self) -> bool:
        return self.type == "slider" and self.proto.type == Slider.SELECT_SLIDER

    @property
    def is_numeric_slider(self) -> bool:
        return (self.type == "slider" and self.proto.type == Slider.SLIDER
                and self.proto.data_type in (Slider.INT, Slider.FLOAT) and len(self.proto.default) == 1)


@dataclass
class RunResult:
    """One rerun request, from sending it to the end of its run chain."""

    page: str
    sent_at: float
    status: str = "pending"  # ok, timeout, disconnected, compile_error
    finish: str = ""  # the last script_finished status name
    seconds: float | None = None  # send -> final script_finished
    first_element_s: float | None = None  # send -> first new element (what the student sees first)
    runs: int = 0  # script runs in the chain (st.rerun and callbacks add runs)
    messages: int = 0
    bytes: int = 0
    ref_hits: int = 0  # elements the server sent as references to the client's cache
    exceptions: list[str] = field(default_factory=list)  # exception elements on screen
    error_alerts: list[str] = field(default_factory=list)  # st.error boxes
    warnings: list[str] = field(default_factory=list)  # st.warning boxes
    problems: list[str] = field(default_factory=list)  # page not found, compile error, protocol errors
    widgets: dict[str, Widget] = field(default_factory=dict)  # by id, from the final run of the chain
    expect: bytes = b""  # text to look for in the run's messages (a typed prompt)
    expect_seen: bool = False
    run_ids: set[str] = field(default_factory=set)
    started: bool = False  # a new_session arrived after the request was sent
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not (self.exceptions or self.error_alerts or self.problems)

    def widget(self, label: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.label == label), None)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the session ---------------------------------------------------------------------------------


class StreamlitSession:
    """One browser tab: its cookie jar, websocket, widget states and message cache.

    Use::

        session = StreamlitSession("http://127.0.0.1:8501", name="student 1")
        first = await session.open("")              # the landing page; returns a RunResult
        result = await session.navigate("sampling_lab")
        prompt = session.widget("Prompt")
        result = await session.set_widget(prompt, "Student 1 asks: what is a dog?")
        await session.close()
    """

    def __init__(self, url: str | BaseUrl, *, name: str = "client", timeout: float = 60.0,
                 message_cache: bool = True, user_agent: str = "ai-playground-loadtest/1") -> None:
        self.base = url if isinstance(url, BaseUrl) else parse_base_url(url)
        self.name = name
        self.timeout = timeout
        self.user_agent = user_agent
        self.jar = http.cookiejar.CookieJar()
        # no proxies from the environment: the only traffic is to the loopback URL
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   urllib.request.HTTPCookieProcessor(self.jar))
        self.cache = MessageCache(message_cache)
        self.ws: Any = None
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url_pathname -> page_script_hash ("" = the default page)
        self.page_titles: dict[str, str] = {}
        self.default_page = ""
        self.page = ""  # url_pathname of the page on screen
        self.widgets: dict[str, Widget] = {}  # widgets on screen after the last finished run
        self.widget_states: dict[str, WidgetState] = {}  # the values this client has set, by id
        self.stray: list[str] = []  # errors that arrived while no rerun was pending
        self.auto_reruns = 0  # st.fragment(run_every=...) requests (not simulated, counted)
        self.close_reason = ""
        self._pending: RunResult | None = None
        self._reader: asyncio.Task | None = None
        self._closed = asyncio.Event()

    # -- connection --------------------------------------------------------------------------

    def _get(self, url: str) -> tuple[int, bytes]:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""
        except (OSError, http.client.HTTPException) as exc:
            raise LoadClientError(f"GET {url}: {type(exc).__name__}: {exc}") from exc

    def cookie_header(self) -> str:
        """The Cookie header the jar would send to the websocket URL (as an http URL)."""
        request = urllib.request.Request(self.base.http("_stcore/stream"))
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie") or ""

    def xsrf_token(self) -> str:
        return next((c.value for c in self.jar if c.name == XSRF_COOKIE and c.value), "")

    async def connect(self, page: str = "") -> None:
        """The browser's opening sequence (HTTP GETs, then the websocket), without a rerun."""
        status, _ = await asyncio.to_thread(self._get, self.base.page(page))
        if status >= 400:
            raise LoadClientError(f"GET {self.base.page(page)} -> HTTP {status}")
        status, body = await asyncio.to_thread(self._get, self.base.http("_stcore/health"))
        if status != 200:
            raise LoadClientError(f"GET /_stcore/health -> HTTP {status} {body[:80]!r}")
        await asyncio.to_thread(self._get, self.base.http("_stcore/host-config"))
        await self._open_websocket()

    async def _open_websocket(self) -> None:
        subprotocols = ["streamlit", self.xsrf_token() or PLACEHOLDER_TOKEN]
        if self.session_id:
            subprotocols.append(self.session_id)  # reconnect: the server resumes the session
        headers = {"Cookie": self.cookie_header()} if self.cookie_header() else {}
        try:
            self.ws = await connect(
                self.base.stream, subprotocols=subprotocols, additional_headers=headers,
                origin=self.base.origin, user_agent_header=self.user_agent, proxy=None,
                open_timeout=self.timeout, max_size=None,
                ping_interval=None,  # browsers send no websocket pings (pongs are automatic)
                close_timeout=2)
        except (InvalidHandshake, InvalidStatus, OSError, asyncio.TimeoutError) as exc:
            raise LoadClientError(f"websocket {self.base.stream}: {type(exc).__name__}: {exc}") from exc
        self._closed.clear()
        self.close_reason = ""
        self._reader = asyncio.create_task(self._read(), name=f"{self.name} reader")

    async def open(self, page: str = "") -> RunResult:
        """Connect and load `page` (its URL path; "" is the default page), as a browser
        opening ``<url>/<page>`` does. The result's seconds include the connection."""
        start = time.perf_counter()
        await self.connect(page)
        result = await self.rerun(page, page_hash="", started=start)
        return result

    async def reconnect(self) -> None:
        """After a dropped connection: ping health again and reopen the websocket with the
        old session id (what the frontend does; the server resumes the session if it still has it)."""
        await self._drop_socket()
        status, _ = await asyncio.to_thread(self._get, self.base.http("_stcore/health"))
        if status != 200:
            raise LoadClientError(f"GET /_stcore/health -> HTTP {status}")
        await self._open_websocket()

    async def _drop_socket(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self.ws = None
        self._reader = None

    async def close(self) -> None:
        await self._drop_socket()

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self._closed.is_set()

    # -- reruns ------------------------------------------------------------------------------

    def client_state_msg(self, page: str, page_hash: str | None, extra: list[WidgetState]) -> BackMsg:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.base.query
        cs.page_name = page
        cs.page_script_hash = self.pages.get(page, "") if page_hash is None else page_hash
        states = dict(self.widget_states)
        for state in extra:
            states[state.id] = state
        cs.widget_states.widgets.extend(states.values())
        cs.cached_message_hashes.extend(self.cache.hashes())
        info = cs.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = self.base.page(page), False, "light"
        return msg

    async def rerun(self, page: str | None = None, *, widgets: list[WidgetState] = (),
                    expect: str = "", page_hash: str | None = None,
                    started: float | None = None) -> RunResult:
        """Send one ``rerun_script`` and wait for the end of its run chain.

        `page` is a URL path ("" = default page; None = the page on screen). `widgets`
        are changed values: persistent ones are remembered and resent with every later
        rerun, like the browser's widget state manager; ``trigger_value`` (button)
        states are sent once. `expect` is text the run's messages should contain."""
        page = self.page if page is None else page
        result = RunResult(page=page, sent_at=started if started is not None else time.perf_counter(),
                           expect=expect.encode())
        if not self.connected:
            result.status = "disconnected"
            result.problems.append(f"not connected ({self.close_reason or 'closed'})")
            return result
        for state in widgets:
            if state.WhichOneof("value") not in ("trigger_value", "string_trigger_value",
                                                  "json_trigger_value", "chat_input_value"):
                self.widget_states[state.id] = state
        msg = self.client_state_msg(page, page_hash, list(widgets))
        self._pending = result
        try:
            await self.ws.send(msg.SerializeToString())
            await asyncio.wait_for(result.done.wait(), self.timeout)
        except asyncio.TimeoutError:
            result.status = "timeout"
        except ConnectionClosed as exc:
            result.status = "disconnected"
            self.close_reason = self.close_reason or _close_text(exc)
        finally:
            self._pending = None
        if result.status == "pending":  # the reader ended the wait because the socket closed
            result.status = "disconnected"
        if result.status == "disconnected":
            result.problems.append(f"disconnected ({self.close_reason or 'closed'})")
        if result.seconds is None and result.status == "timeout":
            result.seconds = time.perf_counter() - result.sent_at
        if result.status == "ok":
            self.page = page
            self.widgets = result.widgets
            # the browser forgets the widgets that are no longer on screen, and takes the
            # value of a widget the script has set (``set_value``) instead of its own
            self.widget_states = {i: s for i, s in self.widget_states.items()
                                  if i in result.widgets and not getattr(result.widgets[i].proto, "set_value", False)}
        return result

    async def navigate(self, page: str, **kwargs: Any) -> RunResult:
        """Click the page in the sidebar: rerun with its url path and script hash."""
        return await self.rerun(page, page_hash=self.pages.get(page, ""), **kwargs)

    def widget(self, label: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.label == label), None)

    def current_value(self, widget: Widget) -> Any:
        """What the widget shows now: the value this client set, else what the server
        sent (the server sends a value only when the script set it: ``set_value``)."""
        state = self.widget_states.get(widget.id)
        kind = state.WhichOneof("value") if state is not None else None
        if kind in ("string_array_value", "double_array_value"):
            data = list(getattr(state, kind).data)
            return data[0] if len(data) == 1 else data
        if kind is not None:
            return getattr(state, kind)
        if widget.type == "slider":
            return slider_current(widget)
        proto = widget.proto
        return proto.value if getattr(proto, "set_value", False) else getattr(proto, "default", None)

    async def set_widget(self, widget: Widget, value: Any, **kwargs: Any) -> RunResult:
        """Change one widget the way the browser does and wait for the rerun."""
        return await self.rerun(None, widgets=[widget_state(widget, value)], **kwargs)

    # -- reading ---------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, bytes):
                    self._on_message(data)
        except ConnectionClosed as exc:
            self.close_reason = _close_text(exc)
        except Exception as exc:  # noqa: BLE001 - a broken message must not kill the student silently
            self.close_reason = f"{type(exc).__name__}: {exc}"
        else:
            self.close_reason = self.close_reason or _close_text(None, self.ws)
        finally:
            self._closed.set()
            if self._pending is not None:
                self._pending.done.set()

    def _problem(self, text: str, *, kind: str = "problems") -> None:
        if self._pending is not None:
            getattr(self._pending, kind).append(text)
        else:
            self.stray.append(f"{kind}: {text}")

    def _on_message(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        result = self._pending
        if result is not None:
            result.messages += 1
            result.bytes += len(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self._problem(f"reference to a message this client never cached ({msg.ref_hash})")
                return
            metadata = msg.metadata
            msg = ForwardMsg()
            msg.ParseFromString(cached)
            msg.metadata.CopyFrom(metadata)
            data = cached
            kind = msg.WhichOneof("type")
            if result is not None:
                result.ref_hits += 1
        else:
            self.cache.add(msg, data)
        if result is not None and result.expect and result.expect in data:
            result.expect_seen = True

        if kind == "new_session":
            ns = msg.new_session
            self.session_id = ns.initialize.session_id or self.session_id
            if ns.config.max_cached_message_age > 0:
                self.cache.max_age = ns.config.max_cached_message_age
            if not self.pages:  # st.navigation apps list their pages in `navigation` instead
                for p in ns.app_pages:
                    self.pages.setdefault(p.url_pathname, p.page_script_hash)
            if result is not None:
                result.started = True
                result.runs += 1
                result.widgets = {}  # a new run of the chain redraws the page
                if msg.metadata.run.script_run_id:
                    result.run_ids.add(msg.metadata.run.script_run_id)
        elif kind == "navigation":
            nav = msg.navigation
            if nav.app_pages:
                self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
                self.page_titles = {p.url_pathname: p.page_name for p in nav.app_pages}
                self.default_page = next((p.url_pathname for p in nav.app_pages if p.is_default), "")
        elif kind == "page_not_found":
            self._problem(f"page not found: {msg.page_not_found.page_name or (result.page if result else '?')!r}")
        elif kind == "delta":
            self._on_delta(msg, result)
        elif kind == "session_event":
            event = msg.session_event
            if event.WhichOneof("type") == "script_compilation_exception":
                exc = event.script_compilation_exception
                self._problem(f"compile error: {exc.type}: {_short(exc.message)}")
        elif kind == "auto_rerun":
            self.auto_reruns += 1
        elif kind == "script_finished":
            self._on_finished(msg, result)

    def _on_delta(self, msg: ForwardMsg, result: RunResult | None) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        etype = element.WhichOneof("type")
        if etype is None:
            return
        proto = getattr(element, etype)
        if result is not None and result.started and result.first_element_s is None:
            result.first_element_s = time.perf_counter() - result.sent_at
        if etype == "exception":
            self._problem(f"{proto.type}: {_short(proto.message)}" if proto.type else _short(proto.message),
                          kind="exceptions")
        elif etype == "alert" and proto.format == Alert.ERROR:
            self._problem(_short(proto.body), kind="error_alerts")
        elif etype == "alert" and proto.format == Alert.WARNING:
            self._problem(_short(proto.body), kind="warnings")
        elif result is not None and hasattr(proto, "id") and hasattr(proto, "label") and proto.id:
            result.widgets[proto.id] = Widget(proto.id, proto.label, etype, proto)

    def _on_finished(self, msg: ForwardMsg, result: RunResult | None) -> None:
        status = msg.script_finished
        if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
            self.cache.run_finished()
        if result is None or not result.started:
            return  # the end of an older run (one that timed out, or a fragment's)
        run_id = msg.metadata.run.script_run_id
        if run_id and result.run_ids and run_id not in result.run_ids:
            return
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return  # st.rerun() / a callback: the chain goes on with a new new_session
        if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            return  # an auto-rerun fragment, not what we asked for
        result.finish = STATUS_NAMES.get(status, str(status))
        result.seconds = time.perf_counter() - result.sent_at
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            result.status = "compile_error"
            result.problems.append("script finished with a compile error")
        else:
            result.status = "ok"
        result.done.set()


def _close_text(exc: ConnectionClosed | None, ws: Any = None) -> str:
    rcvd = getattr(exc, "rcvd", None) if exc is not None else getattr(ws, "close_rcvd", None)
    if rcvd is not None:
        return f"closed by the server, code {rcvd.code}{' ' + rcvd.reason if rcvd.reason else ''}"
    if exc is not None:
        return f"connection lost: {exc}"
    return "connection closed"


# -- widget values --------------------------------------------------------------------------------


def widget_state(widget: Widget, value: Any) -> WidgetState:
    """The ``WidgetState`` the browser sends when the user sets `widget` to `value`.

    * text_area / text_input: ``string_value``
    * slider (numeric): ``double_array_value`` ``[value]`` (ints too)
    * select_slider (a ``slider`` proto of type SELECT_SLIDER): ``string_array_value``
      with the *formatted* option text (``proto.options[i]``), not the index
    * button: ``trigger_value = True`` (sent once; the server resets it after the run)
    * checkbox / toggle: ``bool_value``; number_input: ``int_value`` or ``double_value``;
      selectbox / radio: ``int_value`` (the option index)"""
    state = WidgetState(id=widget.id)
    if widget.type in ("text_area", "text_input"):
        state.string_value = str(value)
    elif widget.is_select_slider:
        options = list(widget.proto.options)
        text = options[value] if isinstance(value, int) and not isinstance(value, bool) else str(value)
        if text not in options:
            raise ValueError(f"{text!r} is not an option of {widget.label!r}")
        state.string_array_value.data.append(text)
    elif widget.type == "slider":
        values = value if isinstance(value, (list, tuple)) else [value]
        state.double_array_value.data.extend(float(v) for v in values)
    elif widget.type in ("button", "download_button"):
        state.trigger_value = True
    elif widget.type == "checkbox":
        state.bool_value = bool(value)
    elif widget.type == "number_input":
        if widget.proto.data_type == widget.proto.INT:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
    elif widget.type in ("selectbox", "radio"):
        state.int_value = int(value)
    else:
        raise ValueError(f"setting a {widget.type} widget is not supported")
    return state


def slider_current(widget: Widget) -> Any:
    """The value a slider shows now: the option text of a select_slider, else a number."""
    proto = widget.proto
    if widget.is_select_slider:
        if proto.raw_value:
            return proto.raw_value[0]
        values = list(proto.value) if proto.set_value and proto.value else list(proto.default)
        return proto.options[int(values[0])] if values else proto.options[0]
    values = list(proto.value) if proto.set_value and proto.value else list(proto.default)
    return values[0] if values else proto.min


def slider_choices(widget: Widget) -> list[Any]:
    """Every value the slider can take (option texts or numbers on its step grid), at most 1000."""
    proto = widget.proto
    if widget.is_select_slider:
        return list(proto.options)
    step = proto.step or (1 if proto.data_type == Slider.INT else 0.01)
    count = min(int(round((proto.max - proto.min) / step)) + 1, 1000)
    values = [proto.min + i * step for i in range(count)]
    if proto.data_type == Slider.INT:
        return [int(round(v)) for v in values]
    return [round(v, 10) for v in values]
