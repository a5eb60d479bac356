#!/usr/bin/env python3
"""Serve a class: N replicas of `streamlit run Home.py` behind nginx (`make class`).

Streamlit runs every browser session's script on a thread of one Python process, so
Python-bound work of a whole class shares about one core. This script starts
PLAYGROUND_REPLICAS replicas (default: one per core) on 127.0.0.1 ports 8601.., all
with the same cookie secret, waits until each answers /_stcore/health, then runs
Debian's nginx in the foreground (config rendered from deploy/nginx.conf.template,
prefix, pid, logs and temporary files under .cache/nginx/<port>/) on port 8501, with
sticky sessions by a route cookie, and prints the address. Ctrl-C or SIGTERM stops
nginx, then the replicas. A replica that dies is started again.

Settings (environment variable, or the option of the same meaning):

  PLAYGROUND_REPLICAS        --replicas      number of streamlit processes (default: cores)
  PLAYGROUND_PORT            --port          the port the class opens (default 8501)
  PLAYGROUND_ADDRESS         --address       where nginx listens (default 0.0.0.0: every interface)
  PLAYGROUND_REPLICA_PORT    --replica-port  first replica port (default 8601; then 8602, ...)
  PLAYGROUND_COOKIE_SECRET                   server.cookieSecret of every replica; when unset,
                                             one is generated once into .cache/cookie_secret (mode 600)
  PLAYGROUND_NGINX           --nginx         the nginx binary (default: nginx on PATH, /usr/sbin/nginx)
                             --state-dir     where the secret and nginx/<port>/ live (default .cache)
                             --print-config  print the nginx config and exit

Only the standard library is used, so `python3 deploy/serve_class.py --print-config`
works without the virtual environment.
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
ROUTE_COOKIE = "playground_route"
# Headroom above server.maxUploadSize for the multipart framing of an upload; Streamlit's
# own upload route allows the same 1 MB (_MAX_UPLOAD_MULTIPART_OVERHEAD_BYTES).
UPLOAD_HEADROOM_MB = 1
COOKIE_SECRET_FILE = "cookie_secret"
HEALTH_PATH = "/_stcore/health"


# ---------------------------------------------------------------- settings


def default_replicas() -> int:
    """One replica per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def max_upload_mb(config_path: Path = STREAMLIT_CONFIG) -> int:
    """Streamlit's effective server.maxUploadSize in MB: its environment variable if set,
    else .streamlit/config.toml, else Streamlit's default of 200."""
    env = os.environ.get("STREAMLIT_SERVER_MAX_UPLOAD_SIZE")
    if env:
        return int(env)
    try:
        with open(config_path, "rb") as f:
            return int(tomllib.load(f).get("server", {}).get("maxUploadSize", 200))
    except FileNotFoundError:
        return 200


def client_max_body_size_mb(upload_mb: int | None = None) -> int:
    return (max_upload_mb() if upload_mb is None else upload_mb) + UPLOAD_HEADROOM_MB


def cookie_secret(state_dir: Path) -> str:
    """PLAYGROUND_COOKIE_SECRET, or the secret kept in <state_dir>/cookie_secret (created
    once with 32 random bytes, readable by its owner only)."""
    given = os.environ.get("PLAYGROUND_COOKIE_SECRET", "").strip()
    if given:
        return given
    path = state_dir / COOKIE_SECRET_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
        value = path.read_text().strip()
        if value:
            return value
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def find_nginx() -> str | None:
    """PLAYGROUND_NGINX, nginx on PATH, or Debian's /usr/sbin/nginx (not on a normal
    user's PATH)."""
    given = os.environ.get("PLAYGROUND_NGINX")
    if given:
        return given
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], check=False, capture_output=True, text=True, timeout=10)
    m = re.search(r"nginx/(\d+(?:\.\d+)*)", out.stderr + out.stdout)
    return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)


def nginx_base_args(nginx: str, prefix: Path, conf: Path) -> list[str]:
    """nginx -p <prefix> -c <conf> [-e stderr]: -e (nginx 1.19.5+) keeps nginx from
    opening its compiled-in error log before it has read our config."""
    args = [nginx, "-p", f"{prefix}/", "-c", str(conf)]
    if nginx_version(nginx) >= (1, 19, 5):
        args += ["-e", "stderr"]
    return args


# ---------------------------------------------------------------- nginx config


def render(template: str, values: dict[str, object]) -> str:
    """Fill the {{ name }} placeholders (a syntax nginx never uses); a placeholder with
    no value is an error, so a template edit cannot silently drop a setting."""

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{TEMPLATE.name}: no value for {{{{ {key} }}}}")
        return str(values[key])

    return re.sub(r"\{\{\s*(\w+)\s*\}\}", fill, template)


def _reachable_by_others(path: Path) -> bool:
    """Every folder from / down to path can be traversed by other users."""
    path = path.resolve()
    for folder in (path, *path.parents):
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def user_directive(prefix: Path) -> str:
    """Run as root, nginx starts its worker as an unprivileged user (nobody), which must
    reach the temporary files under the prefix; when a parent folder is private (for
    example /root), the worker keeps root's identity instead."""
    if os.geteuid() != 0 or _reachable_by_others(prefix):
        return ""
    return "user root;  # the prefix is in a private folder that the default worker user cannot reach"


def render_nginx_conf(*, listen: str, replica_ports: list[int], prefix: Path,
                      body_size_mb: int | None = None, template: Path = TEMPLATE) -> str:
    prefix = prefix.resolve()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"
                        for p in replica_ports)
    return render(template.read_text(), {
        "pid_file": prefix / "nginx.pid",
        "temp_dir": prefix / "temp",
        "access_log": prefix / "logs" / "access.log",
        "user_directive": user_directive(prefix),
        "route_cookie": ROUTE_COOKIE,
        "upstream_servers": servers,
        "listen": listen,
        "client_max_body_size": f"{client_max_body_size_mb() if body_size_mb is None else body_size_mb}m",
    })


def prepare_prefix(prefix: Path) -> None:
    for sub in ("logs", "temp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)


# ---------------------------------------------------------------- processes


class Shutdown(Exception):
    """Raised by the SIGINT/SIGTERM/SIGHUP handler to leave any wait at once."""


def _child_setup() -> None:
    """In the child before exec: its own session (a Ctrl-C in the terminal reaches only
    this script, which stops nginx first, then the replicas), and on Linux a SIGTERM if
    this script dies without cleaning up (even by SIGKILL)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def healthy(url: str, timeout: float = 2.0) -> bool:
    """GET <url>/_stcore/health answers "ok" (http.client: no proxy from the environment)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", HEALTH_PATH)
        r = conn.getresponse()
        return r.status == 200 and r.read().strip() == b"ok"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Child:
    name: str
    args: list[str]
    log: Path
    env: dict[str, str]
    url: str = ""  # where its /_stcore/health answers (replicas)
    proc: subprocess.Popen | None = None
    started: float = 0.0
    restarts: list[float] = field(default_factory=list)

    def start(self, mode: str = "w") -> None:
        with open(self.log, mode) as log:
            if mode == "a":
                log.write(f"\n---- restarted at {time.strftime('%H:%M:%S')} ----\n")
                log.flush()
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=_child_setup)  # noqa: PLW1509 (no threads here)
        self.started = time.monotonic()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class ClassServer:
    replicas: int
    port: int
    address: str
    replica_port: int
    state_dir: Path
    nginx: str
    startup_timeout: float = 180.0
    out: object = sys.stdout
    children: list[Child] = field(default_factory=list)
    nginx_child: Child | None = None

    @property
    def prefix(self) -> Path:
        return self.state_dir / "nginx" / str(self.port)

    @property
    def replica_ports(self) -> list[int]:
        return [self.replica_port + i for i in range(self.replicas)]

    @property
    def local_url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "*", "") else self.address
        return f"http://{host}:{self.port}"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- setup

    def write_config(self) -> Path:
        prepare_prefix(self.prefix)
        conf = self.prefix / "nginx.conf"
        listen = f"{self.address}:{self.port}" if self.address not in ("", "*") else str(self.port)
        conf.write_text(render_nginx_conf(listen=listen, replica_ports=self.replica_ports,
                                          prefix=self.prefix))
        test = subprocess.run(nginx_base_args(self.nginx, self.prefix, conf) + ["-t"], check=False,
                              capture_output=True, text=True, timeout=30)
        if test.returncode != 0:
            raise RuntimeError(f"nginx rejected {conf}:\n{test.stderr}{test.stdout}")
        return conf

    def replica_env(self, secret: str) -> dict[str, str]:
        env = os.environ.copy()
        # the same secret everywhere: a cookie signed by one replica is valid on every other
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secret  # env, not argv: `ps` would show it
        # N replicas on N cores: one OpenMP thread each unless the teacher says otherwise
        env.setdefault("OMP_NUM_THREADS", str(max(1, default_replicas() // self.replicas)))
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self) -> None:
        secret = cookie_secret(self.state_dir)
        conf = self.write_config()
        logs = self.prefix / "logs"
        env = self.replica_env(secret)
        for i, port in enumerate(self.replica_ports, 1):
            child = Child(f"replica {i} (port {port})",
                          [sys.executable, "-m", "streamlit", "run", "Home.py",
                           "--server.port", str(port), "--server.address", "127.0.0.1",
                           "--server.headless", "true"],
                          logs / f"replica-{port}.log", env, url=f"http://127.0.0.1:{port}")
            child.start()
            self.children.append(child)
        self.say(f"Starting {self.replicas} replica(s) on 127.0.0.1 ports "
                 f"{self.replica_ports[0]}..{self.replica_ports[-1]} (logs in {logs})")
        self.wait_for_replicas()
        self.nginx_child = Child("nginx", nginx_base_args(self.nginx, self.prefix, conf),
                                 logs / "nginx.log", os.environ.copy())
        self.nginx_child.start()
        deadline = time.monotonic() + 30
        while not healthy(self.local_url):
            if not self.nginx_child.running():
                raise RuntimeError(f"nginx exited:\n{_tail(self.nginx_child.log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not answer on {self.local_url} within 30 s:\n"
                                   f"{_tail(self.nginx_child.log)}")
            time.sleep(0.2)

    def wait_for_replicas(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        waiting = list(self.children)
        while waiting:
            for child in list(waiting):
                if not child.running():
                    raise RuntimeError(f"{child.name} exited during startup "
                                       f"(code {child.proc.returncode}):\n{_tail(child.log)}")
                if healthy(child.url):
                    waiting.remove(child)
            if waiting:
                if time.monotonic() > deadline:
                    names = ", ".join(c.name for c in waiting)
                    raise RuntimeError(f"no answer on {HEALTH_PATH} within "
                                       f"{self.startup_timeout:.0f} s from {names}")
                time.sleep(0.3)

    def addresses(self) -> list[str]:
        if self.address not in ("0.0.0.0", "*", ""):
            return [f"http://{self.address}:{self.port}"]
        urls = [f"http://localhost:{self.port}  (on this machine)"]
        try:  # the machine's own addresses, read locally (iproute2, a dependency of Debian's nginx)
            out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                                 check=False, capture_output=True, text=True, timeout=5).stdout
            urls += [f"http://{ip}:{self.port}" for ip in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out)]
        except (OSError, subprocess.SubprocessError):
            pass
        return urls

    # -- running

    def supervise(self) -> int:
        """Until a signal: restart a replica that died (at most 5 times in 5 minutes);
        if nginx dies, stop (exit code 1)."""
        while True:
            time.sleep(1.0)
            if not self.nginx_child.running():
                self.say(f"nginx exited (code {self.nginx_child.proc.returncode}):\n"
                         f"{_tail(self.nginx_child.log)}")
                return 1
            now = time.monotonic()
            for child in self.children:
                if child.running() or child.proc is None:
                    continue
                child.restarts = [t for t in child.restarts if now - t < 300]
                if len(child.restarts) >= 5:
                    self.say(f"{child.name} keeps dying; left stopped (nginx sends its "
                             f"browsers to the other replicas). Log: {child.log}")
                    child.proc = None
                    continue
                self.say(f"{child.name} exited (code {child.proc.returncode}); starting it again. "
                         f"Log: {child.log}")
                child.restarts.append(now)
                child.start(mode="a")

    def stop(self, timeout: float = 15.0) -> None:
        """nginx first (no new requests), then every replica: SIGTERM, then SIGKILL
        after `timeout` seconds. Safe to call twice and after a failed start."""
        for group in ([self.nginx_child], self.children):
            live = [c for c in group if c is not None and c.running()]
            for c in live:
                try:
                    os.killpg(c.proc.pid, signal.SIGTERM)  # the child and anything it started
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + timeout
            for c in live:
                try:
                    c.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(c.proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    c.proc.wait()
        pid = self.prefix / "nginx.pid"
        pid.unlink(missing_ok=True)


def _raise_shutdown(signum, frame):
    raise Shutdown(signal.Signals(signum).name)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--replicas", type=int, default=int(env("PLAYGROUND_REPLICAS") or default_replicas()),
                   help="streamlit processes (PLAYGROUND_REPLICAS; default: one per core)")
    p.add_argument("--port", type=int, default=int(env("PLAYGROUND_PORT") or 8501),
                   help="the port nginx serves the class on (PLAYGROUND_PORT; default 8501)")
    p.add_argument("--address", default=env("PLAYGROUND_ADDRESS") or "0.0.0.0",
                   help="where nginx listens (PLAYGROUND_ADDRESS; default 0.0.0.0, every IPv4 address)")
    p.add_argument("--replica-port", type=int, default=int(env("PLAYGROUND_REPLICA_PORT") or 8601),
                   help="first replica port on 127.0.0.1 (PLAYGROUND_REPLICA_PORT; default 8601)")
    p.add_argument("--state-dir", type=Path, default=ROOT / ".cache",
                   help="where cookie_secret and nginx/<port>/ live (default: .cache)")
    p.add_argument("--nginx", default=None,
                   help="the nginx binary (PLAYGROUND_NGINX; default: nginx on PATH, /usr/sbin/nginx)")
    p.add_argument("--startup-timeout", type=float, default=180.0,
                   help="seconds to wait for every replica's /_stcore/health (default 180)")
    p.add_argument("--print-config", action="store_true", help="print the nginx config and exit")
    args = p.parse_args(argv)
    if args.replicas < 1:
        p.error("--replicas must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state_dir = args.state_dir.resolve()
    if args.print_config:
        prefix = state_dir / "nginx" / str(args.port)
        print(render_nginx_conf(listen=f"{args.address}:{args.port}", prefix=prefix,
                                replica_ports=[args.replica_port + i for i in range(args.replicas)]))
        return 0
    nginx = args.nginx or find_nginx()
    if not nginx:
        print("nginx is not installed: sudo apt-get install nginx (or set PLAYGROUND_NGINX)",
              file=sys.stderr)
        return 2
    server = ClassServer(replicas=args.replicas, port=args.port, address=args.address,
                         replica_port=args.replica_port, state_dir=state_dir, nginx=nginx,
                         startup_timeout=args.startup_timeout)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_shutdown)
    code = 0
    try:
        server.start()
        server.say("\nAI Playground is serving the class at:\n"
                   + "\n".join(f"  {u}" for u in server.addresses())
                   + f"\n{server.replicas} replica(s) behind nginx; Ctrl-C stops everything.")
        code = server.supervise()
    except Shutdown as sig:
        server.say(f"\n{sig}: stopping nginx and the replicas...")
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # let the cleanup finish
        server.stop()
        server.say("Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
