"""The class server of `make class` for real: deploy/serve_class.py starts two replicas
of `streamlit run Home.py` and Debian's nginx on free ports, and these tests go through
the proxy: health, sticky routing by the proxy's cookie (the same replica for one
browser, both replicas for a crowd of new ones that share one IP), the websocket
(XSRF token as Streamlit's frontend sends it, a rerun answered by `new_session`), an
upload into that session (sticky, XSRF-checked, nginx's body limit), Home in headless
Chromium (screenshot: tests/e2e/screenshots/class_server_home.png), and finally that
SIGTERM stops every process it started.

Set PLAYGROUND_TEST_PORTS=8700-8799 to take the ports from a range instead of the
ones the OS hands out."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from playground.pages import ROOT
from tests.e2e.test_browser import SHOTS, browser, check_page, wait_until_idle  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e
REPLICAS = 2
ROUTE = re.compile(r"playground_route=([0-9a-f]{32});")


def _load_serve_class():
    """deploy/serve_class.py (a script, not a package), loaded once per test session."""
    name = "playground_deploy_serve_class"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "deploy" / "serve_class.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it: its dataclasses look themselves up there
        spec.loader.exec_module(module)
    return sys.modules[name]


serve_class = _load_serve_class()


# ------------------------------------------------------------------ helpers


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port_block(n: int) -> int:
    """The first of n consecutive free ports on 127.0.0.1."""
    wanted = os.environ.get("PLAYGROUND_TEST_PORTS", "")
    if wanted:
        low, high = (int(x) for x in wanted.split("-"))
        candidates = range(low, high - n + 2)
    else:
        candidates = []
        for _ in range(50):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                candidates.append(s.getsockname()[1])
    for first in candidates:
        if all(_bindable(first + i) for i in range(n)):
            return first
    pytest.fail(f"no {n} consecutive free ports")


def _children(pid: int) -> set[int]:
    """Every live descendant of pid (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def replica(self) -> str | None:
        return self.headers.get("X-Playground-Replica")

    @property
    def route(self) -> str | None:
        for value in self.headers.get_all("Set-Cookie") or []:
            m = ROUTE.match(value)
            if m:
                return m.group(1)
        return None

    def cookie(self, name: str) -> str | None:
        for value in self.headers.get_all("Set-Cookie") or []:
            if value.startswith(name + "="):
                return value.split(";", 1)[0].split("=", 1)[1]
        return None


def request(port: int, path: str, *, method: str = "GET", cookies: dict | None = None,
            headers: dict | None = None, body: bytes | None = None) -> Response:
    """One request on a new connection (a new client), straight to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        h = dict(headers or {})
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


@dataclass
class ClassServer:
    port: int
    replica_ports: list[int]
    state_dir: Path
    proc: subprocess.Popen
    log: Path
    started: set[int] = field(default_factory=set)  # every process serve_class.py started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def replicas(self) -> set[str]:
        return {f"127.0.0.1:{p}" for p in self.replica_ports}


def _start(port: int, first_replica: int, state_dir: Path, out, env=None) -> subprocess.Popen:
    """serve_class.py with REPLICAS replicas; it gets SIGTERM if this test process dies."""
    cmd = [sys.executable, str(ROOT / "deploy" / "serve_class.py"), "--replicas", str(REPLICAS),
           "--port", str(port), "--address", "127.0.0.1", "--replica-port", str(first_replica),
           "--state-dir", str(state_dir)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env or os.environ.copy(), stdout=out,
                            stderr=subprocess.STDOUT, preexec_fn=serve_class._child_setup)  # noqa: PLW1509


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    if not serve_class.find_nginx():
        pytest.skip("nginx not installed: apt-get install nginx")
    port = _free_port_block(REPLICAS + 1)  # nginx, then the replicas
    first_replica = port + 1
    state_dir = tmp_path_factory.mktemp("class-state")
    SHOTS.mkdir(exist_ok=True)
    log = SHOTS / "class_server.log"
    env = os.environ.copy()
    env.pop("PLAYGROUND_COOKIE_SECRET", None)  # the generated one is under test
    with open(log, "w") as out:
        proc = _start(port, first_replica, state_dir, out, env)
    server = ClassServer(port, [first_replica + i for i in range(REPLICAS)], state_dir, proc, log)
    started, ready = server.started, False
    try:
        deadline = time.time() + 240
        while "serving the class" not in log.read_text():
            started |= _children(proc.pid)
            if proc.poll() is not None:
                pytest.fail(f"serve_class.py exited with {proc.returncode}:\n{log.read_text()}")
            if time.time() > deadline:
                pytest.fail(f"the class server was not ready within 240 s:\n{log.read_text()}")
            time.sleep(0.3)
        started |= _children(proc.pid)
        ready = True
        yield server
    finally:
        started |= _children(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        time.sleep(0.5)
        leftovers = [pid for pid in started if _alive(pid)]
        for pid in leftovers:  # never leave anything behind, even when the check below fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if ready:  # (after a failed start, that failure is the one to report)
            assert code == 0, f"serve_class.py exited with {code} on SIGTERM:\n{log.read_text()}"
            assert not leftovers, f"still running after SIGTERM: {leftovers}"
            for p in [port, *server.replica_ports]:
                assert not _listening(p), f"port {p} still listening after SIGTERM"
            assert "Stopped." in log.read_text()


# ------------------------------------------------------------------ tests


def test_everything_started_with_one_private_cookie_secret(class_server):
    started = class_server.started
    assert len(started) >= REPLICAS + 2  # the replicas, nginx's master and its worker
    secret_file = class_server.state_dir / serve_class.COOKIE_SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    seen = []
    for pid in started:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in cmdline and b"run" in cmdline:
            assert secret.encode() not in b" ".join(cmdline)  # never on the command line
            env = dict(e.split(b"=", 1) for e in environ if b"=" in e)
            seen.append(env.get(b"STREAMLIT_SERVER_COOKIE_SECRET", b"").decode())
    assert seen == [secret] * REPLICAS


def test_health_through_the_proxy(class_server):
    r = request(class_server.port, "/_stcore/health")
    assert r.status == 200 and r.body.strip() == b"ok"
    assert r.replica in class_server.replicas
    assert r.route  # a new client gets its route cookie on its first request
    for port in class_server.replica_ports:  # and every replica is healthy on its own
        assert request(port, "/_stcore/health").body.strip() == b"ok"


def test_a_route_cookie_sticks_to_one_replica_and_new_clients_spread(class_server):
    """20 new clients from the same IP (as a class behind one NAT address): both replicas
    get some. Each client that sends its cookie back stays on its replica."""
    firsts = [request(class_server.port, "/") for _ in range(20)]
    assert all(r.status == 200 for r in firsts)
    assert {r.replica for r in firsts} == class_server.replicas, [r.replica for r in firsts]
    routes = [r.route for r in firsts]
    assert all(routes) and len(set(routes)) == 20
    for first in firsts[:8]:
        for path in ("/", "/_stcore/health", "/_stcore/host-config", "/sampling_lab"):
            again = request(class_server.port, path, cookies={"playground_route": first.route})
            assert again.replica == first.replica, path
            assert again.route is None  # a client with a valid route gets no new cookie
    # a forged or broken route cookie is replaced, not trusted
    bad = request(class_server.port, "/", cookies={"playground_route": "../../etc"})
    assert bad.route and bad.replica in class_server.replicas


def test_websocket_and_upload_through_the_proxy(class_server):
    """What Streamlit's frontend does: load the page (route cookie), ask /_stcore/health
    (XSRF cookie), open /_stcore/stream with
    the subprotocols ["streamlit", <XSRF token from the _streamlit_xsrf cookie>], ask for
    a rerun and get `new_session`; then upload a file into that session with the token
    in X-Xsrftoken. The host name is a classroom's, not 127.0.0.1: Streamlit accepts the
    websocket as same-origin only if nginx passes Host with its port."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    port = class_server.port
    host = {"Host": f"classroom.test:{port}"}
    page = request(port, "/", headers=host)
    route = page.route
    assert page.status == 200 and route
    # the frontend asks /_stcore/health before it connects: that answer sets the XSRF cookie
    health = request(port, "/_stcore/health", headers=host, cookies={"playground_route": route})
    xsrf = health.cookie("_streamlit_xsrf")
    assert xsrf and health.replica == page.replica
    cookies = {"_streamlit_xsrf": xsrf, "playground_route": route}
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    with connect(f"ws://classroom.test:{port}/_stcore/stream", sock=sock, proxy=None,
                 origin=f"http://classroom.test:{port}", subprotocols=["streamlit", xsrf],
                 additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
                 open_timeout=30, max_size=None) as ws:
        assert ws.subprotocol == "streamlit"
        assert ws.response.headers["X-Playground-Replica"] == page.replica  # sticky
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        ws.send(rerun.SerializeToString())
        deadline, kinds, session_id = time.time() + 120, [], None
        while time.time() < deadline and session_id is None:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(1.0, deadline - time.time())))
            kinds.append(msg.WhichOneof("type"))
            if kinds[-1] == "new_session":
                session_id = msg.new_session.initialize.session_id
        assert session_id, f"no new_session, got {kinds}"

        # an upload into this session lands on its replica (another one answers 400)
        path = f"/_stcore/upload_file/{session_id}/{uuid.uuid4().hex}"

        def upload(size: int, token: str | None) -> Response:
            boundary = uuid.uuid4().hex
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                    f"filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
            body += b"x" * size + f"\r\n--{boundary}--\r\n".encode()
            headers = {"Host": f"classroom.test:{port}", "Origin": f"http://classroom.test:{port}",
                       "Content-Type": f"multipart/form-data; boundary={boundary}"}
            if token:
                headers["X-Xsrftoken"] = token
            return request(port, path, method="PUT", cookies=cookies, headers=headers, body=body)

        ok = upload(1000, xsrf)
        assert ok.status == 204, ok.body
        assert ok.replica == page.replica
        assert upload(1000, None).status == 403  # XSRF protection is on
        limit = serve_class.max_upload_mb() * 1024 * 1024
        too_big = upload(limit + (serve_class.UPLOAD_HEADROOM_MB + 1) * 1024 * 1024, xsrf)
        assert too_big.status == 413
        assert too_big.replica is None  # refused by nginx itself, no replica saw it


def test_home_page_in_chromium_through_the_proxy(class_server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        first = page.goto(class_server.url + "/", wait_until="domcontentloaded")
        wait_until_idle(page)
        check_page(page, "class_server_home")  # no exception, not blank, whole-page screenshot
        assert "embedded package" in page.locator('[data-testid="stMain"]').inner_text()
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert re.fullmatch(r"[0-9a-f]{32}", cookies["playground_route"])
        replica = first.headers["x-playground-replica"]
        assert replica in class_server.replicas
        again = page.reload(wait_until="domcontentloaded")  # the same browser: the same replica
        assert again.headers["x-playground-replica"] == replica
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()


def test_a_replica_that_dies_is_started_again(class_server):
    """Runs last (it kills a replica of the shared server). While the replica is down,
    nginx sends its browsers to the other one; the supervisor starts it again."""
    victim_port = class_server.replica_ports[0]
    victim = next(pid for pid in class_server.started
                  if f"--server.port\0{victim_port}\0".encode()
                  in Path(f"/proc/{pid}/cmdline").read_bytes())
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)
    for _ in range(10):  # every new client is still served; a retry shows as "dead, live"
        r = request(class_server.port, "/_stcore/health")
        assert r.status == 200
        assert r.replica.split(", ")[-1] == f"127.0.0.1:{class_server.replica_ports[1]}"
    deadline = time.time() + 120
    while not _listening(victim_port) or request(victim_port, "/_stcore/health").status != 200:
        assert time.time() < deadline, class_server.log.read_text()
        time.sleep(0.5)
    assert "starting it again" in class_server.log.read_text()
    class_server.started |= _children(class_server.proc.pid)  # the new replica is stopped at the end too


def test_a_busy_replica_port_stops_the_start_and_leaves_nothing_running(tmp_path):
    if not serve_class.find_nginx():
        pytest.skip("nginx not installed: apt-get install nginx")
    port = _free_port_block(REPLICAS + 1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port + 2))  # the second replica's port
        busy.listen()
        with open(tmp_path / "serve.log", "w") as out:
            proc = _start(port, port + 1, tmp_path, out)
        started: set[int] = set()
        try:
            deadline = time.time() + 120
            while proc.poll() is None and time.time() < deadline:
                started |= _children(proc.pid)
                time.sleep(0.2)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            for pid in started:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        text = (tmp_path / "serve.log").read_text()
        assert code == 1, text
        assert "exited during startup" in text
        assert not [pid for pid in started if _alive(pid)]
        assert not _listening(port) and not _listening(port + 1)
