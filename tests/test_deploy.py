"""The scale-out deployment's files: Dockerfile, .dockerignore, compose.yaml and deploy/haproxy.cfg.

Docker is not run here. The HAProxy config is checked by Debian's haproxy when it is installed
(`apt-get install haproxy`; the tests skip without it, or fail if PLAYGROUND_REQUIRE_HAPROXY=1):
`haproxy -c`, and a real HAProxy on it in front of two stand-in replicas, found by DNS as compose's
replicas are, to see the cookie pin each browser.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
CFG = ROOT / "deploy" / "haproxy.cfg"
sys.path.insert(0, str(ROOT / "benchmarks"))
import balancer  # noqa: E402 - benchmarks/balancer.py runs the same config for the load benchmark


@pytest.fixture
def haproxy_installed() -> None:
    """Skip without Debian's haproxy, unless CI demands it (``PLAYGROUND_REQUIRE_HAPROXY=1``): then fail."""
    if balancer.haproxy_available():
        return
    if os.environ.get("PLAYGROUND_REQUIRE_HAPROXY") == "1":
        pytest.fail("PLAYGROUND_REQUIRE_HAPROXY=1 but haproxy is not installed (see .ci/run)", pytrace=False)
    pytest.skip("needs Debian's haproxy (apt-get install haproxy)")


def cfg_default(name: str) -> str:
    """The default the HAProxy config gives an environment variable ("${NAME-default}")."""
    found = re.findall(r'"\$\{' + name + r'-([^}"]*)\}"', CFG.read_text())
    assert len(found) == 1, f"{name} should have one default in {CFG.name}, found {found}"
    return found[0]


def dockerfile() -> dict[str, list[str]]:
    """Instruction -> its arguments, one entry per occurrence (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.setdefault(word.upper(), []).append(rest.strip())
    return out


def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


# ------------------------------------------------------------------------------------------ Dockerfile


def test_dockerfile_installs_the_app_requirements_and_runs_it_as_a_non_root_user():
    d = dockerfile()
    assert d["FROM"] == ["python:3.11-slim"]
    installs = [r for r in d["RUN"] if "pip install" in r]
    assert installs and all("-r requirements.txt" in r and "requirements-dev" not in r for r in installs)
    assert "requirements.txt ." in d["COPY"][0]  # before the code: its layer survives code changes
    user = d["USER"][-1]
    assert user not in ("root", "0") and any("useradd" in r and user in r for r in d["RUN"])
    cmd = json.loads(d["CMD"][-1])
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    options = dict(zip(cmd[3::2], cmd[4::2]))
    assert options == {"--server.headless": "true", "--server.port": "8501"}
    assert d["EXPOSE"] == ["8501"]
    assert d["WORKDIR"] == ["/app"]  # Streamlit reads .streamlit/config.toml from the working directory


class _Health(http.server.BaseHTTPRequestHandler):
    """/_stcore/health answering what the test puts in ``answer``: (status, body)."""

    answer = (200, b"ok")

    def do_GET(self):  # noqa: N802 - http.server's name
        status, body = self.answer if self.path == "/_stcore/health" else (404, b"")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_dockerfile_health_check_passes_only_when_streamlit_answers_ok():
    (check,) = dockerfile()["HEALTHCHECK"]
    command = json.loads(check.partition(" CMD ")[2])
    assert command[:2] == ["python", "-c"] and "http://127.0.0.1:8501/_stcore/health" in command[2]
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:  # the same code against a stand-in on another port
        code = command[2].replace("127.0.0.1:8501", f"127.0.0.1:{server.server_address[1]}")
        outcomes = []
        for answer in ((200, b"ok"), (503, b"Runtime is shutting down"), (200, b"starting")):
            _Health.answer = answer
            outcomes.append(subprocess.run([sys.executable, "-c", code], capture_output=True).returncode)
    finally:
        server.shutdown()
        server.server_close()
    assert outcomes[0] == 0 and outcomes[1] != 0 and outcomes[2] != 0


def build_context() -> set[str]:
    """The repository's files that .dockerignore lets into the build (Docker's rules: the last
    matching pattern wins, "!" lets back in, a pattern matching a folder matches all inside it)."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    kept = set()
    for path in files:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        ignored = False
        for pattern in patterns:
            negate, pat = pattern.startswith("!"), pattern.lstrip("!")
            deep = pat.startswith("**/")
            if any(fnmatch.fnmatchcase(p.rsplit("/", 1)[-1] if deep else p, pat.removeprefix("**/")) for p in prefixes):
                ignored = not negate
        if not ignored:
            kept.add(path)
    return kept


def test_the_image_gets_the_app_and_its_config_and_nothing_else():
    kept = build_context()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    code = {p for p in tracked if p.startswith("playground/")}
    needed = {"app.py", "requirements.txt", ".streamlit/config.toml"} | code
    assert needed <= kept, f"missing from the image: {sorted(needed - kept)}"
    assert not {p for p in kept if p.split("/")[0] in ("tests", "benchmarks", "docs", ".ci", "deploy")}
    assert kept - needed == set(), f"in the image but not needed: {sorted(kept - needed)}"


# ------------------------------------------------------------------------------------------ compose


def test_compose_runs_replicas_of_the_image_behind_the_balancer_on_the_same_config():
    services = compose()["services"]
    app, lb = services["app"], services["balancer"]
    assert app["build"] == "."
    slots = re.search(r"server-template \S+ 1-(\d+) ", CFG.read_text())
    assert slots and 2 <= app["deploy"]["replicas"] <= int(slots.group(1))
    # HAProxy finds the replicas by the service's DNS name and the image's port
    assert cfg_default("APP_ADDRESS") == f"app:{dockerfile()['EXPOSE'][0]}"
    assert cfg_default("DNS_SERVER") == "127.0.0.11:53"  # Docker's DNS inside a compose network
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in lb["volumes"]
    assert lb["image"].startswith("haproxy:")
    listen = cfg_default("LISTEN").rsplit(":", 1)[1]
    stats = cfg_default("STATS_LISTEN").rsplit(":", 1)[1]
    assert f"{listen}:{listen}" in lb["ports"] and f"127.0.0.1:{stats}:{stats}" in lb["ports"]
    assert lb["depends_on"]["app"]["condition"] == "service_healthy"
    assert f"http://127.0.0.1:{stats}/healthz" in lb["healthcheck"]["test"]
    assert re.search(r"monitor-uri /healthz\n", CFG.read_text())


def test_compose_gives_every_replica_one_class_board_in_postgresql():
    services = compose()["services"]
    app, database = services["app"], services["database"]
    url = make_url(app["environment"]["PLAYGROUND_DATABASE_URL"].replace("${POSTGRES_PASSWORD:-playground}", "pw"))
    assert url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg"
    assert url.host == "database" and url.port == 5432  # the service's name: every replica reaches the same one
    assert (url.username, url.database) == (database["environment"]["POSTGRES_USER"],
                                            database["environment"]["POSTGRES_DB"])
    assert app["depends_on"]["database"]["condition"] == "service_healthy"
    assert "pg_isready" in database["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in database["volumes"])  # kept across restarts
    assert "ports" not in database  # not on the host
    assert "PLAYGROUND_BOARD_SQLITE=/home/playground/" in " ".join(dockerfile()["ENV"])  # alone: a writable file


def test_compose_file_passes_docker_compose_config():
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) and subprocess.run([*cmd, "version"], capture_output=True).returncode == 0:
            break
    else:
        pytest.skip("no docker compose / docker-compose here")
    done = subprocess.run([*cmd, "-f", str(ROOT / "compose.yaml"), "config", "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------------------------------ HAProxy


def test_haproxy_config_keeps_websockets_open_and_checks_streamlit_health():
    text = CFG.read_text()
    backend = text.split("backend streamlit", 1)[1].split("\nfrontend ", 1)[0]
    assert re.search(r"^\s*cookie replica insert indirect nocache httponly dynamic\b", backend, re.M)
    assert "http-check send meth GET uri /_stcore/health" in backend
    assert re.search(r"^\s*http-check expect status 200\b", backend, re.M)
    assert re.search(r"^\s*default-server check\b", backend, re.M)
    tunnel = re.search(r"^\s*timeout tunnel (\d+)h\b", text, re.M)
    assert tunnel and int(tunnel.group(1)) >= 1  # a lesson's websocket stays open without messages


def haproxy_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)


def test_haproxy_accepts_the_config_without_warnings(tmp_path, haproxy_installed):
    done = haproxy_check(CFG)
    assert done.returncode == 0 and "Configuration file is valid" in done.stdout, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr, done.stdout + done.stderr
    broken = tmp_path / "haproxy.cfg"  # the check notices a broken file
    broken.write_text(CFG.read_text().replace("timeout tunnel", "timeout tunel"))
    assert haproxy_check(broken).returncode != 0


class _Replica(http.server.BaseHTTPRequestHandler):
    """A stand-in replica: "ok" on the health URL, its own address on anything else."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"ok" if self.path == "/_stcore/health" else self.server.server_address[0].encode()
        self.send_response(200)
        self.send_header("Cache-Control", "public, max-age=60")  # as Streamlit's static files
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def stand_in_replicas(addresses: list[str]):
    port = balancer.shared_free_port(addresses)
    with ExitStack() as stack:
        for address in addresses:
            server = http.server.ThreadingHTTPServer((address, port), _Replica)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            threading.Thread(target=server.serve_forever, daemon=True).start()
        yield port


def get(url: str, cookie: str | None = None) -> tuple[str, dict]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with balancer.LOOPBACK.open(request, timeout=5) as response:
        return response.read().decode(), response.headers


def test_the_balancer_finds_the_replicas_by_dns_and_pins_each_browser_to_one(haproxy_installed):
    addresses = ["127.0.0.2", "127.0.0.3"]
    with stand_in_replicas(addresses) as port, balancer.ReplicaDns("app.test", addresses) as dns:
        with balancer.haproxy(f"app.test:{port}", dns.address, replicas=2) as lb:
            cookies = {}
            for _ in range(10):  # new browsers until both replicas have been handed out
                replica, headers = get(lb.url + "/")
                set_cookie = headers.get("Set-Cookie", "")
                assert re.fullmatch(r"replica=\w+; path=/; HttpOnly", set_cookie), set_cookie
                assert "private" in headers.get_all("Cache-Control")  # no shared cache keeps it (nocache)
                cookies[replica] = set_cookie.split(";")[0]
                if len(cookies) == 2:
                    break
            assert sorted(cookies) == addresses
            for replica, cookie in cookies.items():
                for _ in range(5):
                    body, headers = get(lb.url + "/?seed=1", cookie)
                    assert body == replica and "Set-Cookie" not in headers
    assert dns.queries > 0
