"""The compose deployment's balancer, run here without Docker: replicas, their DNS name, HAProxy.

compose.yaml runs N containers of the app, all on port 8501, each on its own address, behind HAProxy,
which finds them through Docker's DNS (one name, one A record per replica) and is configured by
deploy/haproxy.cfg. This module rebuilds that locally, with the same config file:

- each replica is a ``streamlit run`` on its own loopback address (127.0.0.2, 127.0.0.3, ...) and one
  shared port, as containers share 8501 on their own addresses;
- ``ReplicaDns`` answers the replicas' name with their addresses, as Docker's DNS answers "app";
- ``haproxy`` runs Debian's haproxy on deploy/haproxy.cfg, with the variables it reads pointed at them.

Only loopback addresses are used; every process started here is stopped by its PID.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
BACKEND = "streamlit"  # the backend's name in deploy/haproxy.cfg
COOKIE = "replica"  # its persistence cookie's name
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # HTTP to this machine, never a proxy


def haproxy_available() -> bool:
    """True when Debian's haproxy is installed (``apt-get install haproxy``)."""
    return shutil.which("haproxy") is not None


def _tail(log: io.BufferedRandom) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


def _get(url: str, timeout: float = 2.0) -> bytes | None:
    try:
        with LOOPBACK.open(url, timeout=timeout) as response:
            return response.read()
    except OSError:
        return None


def shared_free_port(addresses: list[str]) -> int:
    """A TCP port free on every one of ``addresses`` (the replicas share one port, as in compose)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = probe.getsockname()[1]
        try:
            with contextlib.ExitStack() as stack:
                for address in addresses:
                    s = stack.enter_context(socket.socket())
                    s.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no port free on all of {addresses}")


class ReplicaDns:
    """A UDP DNS server on 127.0.0.1 that answers one name with one A record per replica.

    Docker's DNS does this for a compose service with several containers; HAProxy's ``resolvers``
    section asks it every few seconds. Other names get NXDOMAIN, other record types an empty answer.
    """

    def __init__(self, name: str, addresses: list[str], ttl: int = 5):
        self.name, self.addresses, self.ttl = name.lower().rstrip("."), addresses, ttl
        self.queries = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="replica-dns", daemon=True)

    def __enter__(self) -> ReplicaDns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.answer(query)
            if reply is not None:
                self.queries += 1
                self._sock.sendto(reply, peer)

    def answer(self, query: bytes) -> bytes | None:
        """The reply to one DNS query (RFC 1035 wire format), or None for what is not a query."""
        if len(query) < 12:
            return None
        ident, flags, questions = struct.unpack("!3H", query[:6])
        if flags & 0x8000 or questions != 1:  # a response, or not one question
            return None
        labels, at = [], 12
        while at < len(query) and query[at]:
            length = query[at]
            labels.append(query[at + 1 : at + 1 + length].decode("ascii", "replace"))
            at += 1 + length
        at += 1
        if at + 4 > len(query):
            return None
        qtype, qclass = struct.unpack("!2H", query[at : at + 4])
        known = ".".join(labels).lower() == self.name
        answers = self.addresses if known and (qtype, qclass) == (1, 1) else []  # A, IN
        rcode = 0 if known else 3  # NOERROR / NXDOMAIN
        header = struct.pack("!6H", ident, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0)
        records = b"".join(
            struct.pack("!3HIH", 0xC00C, 1, 1, self.ttl, 4) + socket.inet_aton(a) for a in answers
        )  # name: pointer to the question's; type A, class IN, TTL, 4 bytes of address
        return header + query[12 : at + 4] + records


@contextlib.contextmanager
def replica(
    app: str, address: str, port: int, extra_env: dict[str, str] | None = None, timeout: float = 60.0
) -> Iterator[subprocess.Popen]:
    """``streamlit run app`` on ``address:port`` as the Dockerfile runs it; yields the process once healthy."""
    from tests.browser import streamlit_server  # noqa: PLC0415 - bench_load has put the repository on sys.path

    with streamlit_server(ROOT / app, address, port, extra_env, timeout, cwd=ROOT) as proc:
        yield proc


@dataclass
class Balancer:
    url: str  # where browsers connect
    stats_url: str  # HAProxy's stats page
    pid: int
    log: Path  # HAProxy's stdout: one line per request (option httplog)


@contextlib.contextmanager
def haproxy(app_address: str, dns_server: str, replicas: int, timeout: float = 30.0) -> Iterator[Balancer]:
    """Debian's haproxy on deploy/haproxy.cfg, with its variables set for local replicas.

    ``app_address`` is the replicas' name and port (compose: ``app:8501``), ``dns_server`` what
    answers that name (compose: Docker's 127.0.0.11:53). Yields once ``replicas`` servers are UP in
    HAProxy's own health checks; the log is kept in a temporary directory until the context ends.
    """
    from tests.browser import free_port, stop  # noqa: PLC0415 - bench_load has put the repository on sys.path

    listen, stats = free_port(), free_port()
    env = {**os.environ, "LISTEN": f"127.0.0.1:{listen}", "STATS_LISTEN": f"127.0.0.1:{stats}",
           "APP_ADDRESS": app_address, "DNS_SERVER": dns_server}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_haproxy_") as tmp:
        log_path = Path(tmp) / "haproxy.log"
        with open(log_path, "w+b") as log:
            proc = subprocess.Popen(["haproxy", "-db", "-f", str(HAPROXY_CFG)], env=env, stdout=log,
                                    stderr=subprocess.STDOUT)  # fmt: skip
            balancer = Balancer(f"http://127.0.0.1:{listen}", f"http://127.0.0.1:{stats}", proc.pid, log_path)
            try:
                deadline = time.monotonic() + timeout
                while sum(s["status"] == "UP" for s in servers(balancer)) < replicas:
                    if proc.poll() is not None:
                        raise RuntimeError(f"haproxy exited with {proc.returncode}:\n{_tail(log)}")
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"haproxy: fewer than {replicas} replicas UP after {timeout:.0f} s:\n"
                                           f"{servers(balancer)}\n{_tail(log)}")  # fmt: skip
                    time.sleep(0.2)
                yield balancer
            finally:
                stop(proc)


def servers(balancer: Balancer) -> list[dict[str, str]]:
    """The backend's server slots from HAProxy's stats CSV: name, status, addr, stot (sessions), ..."""
    raw = _get(f"{balancer.stats_url}/;csv")
    if raw is None:
        return []
    rows = csv.DictReader(io.StringIO(raw.decode().lstrip("# ")))
    return [row for row in rows if row["pxname"] == BACKEND and row["svname"] not in ("BACKEND", "FRONTEND")]


# One line of "option httplog": client [date] frontend backend/server timers status bytes
# request-cookie response-cookie termination-state ... "METHOD URI VERSION". The termination state's
# last two letters are the persistence cookie's: what the request carried (N none, V valid, I invalid,
# D its server down, ...) and what HAProxy did on the response (N nothing, I inserted, ...).
_LOG_LINE = re.compile(
    r'^\S+ \[[^\]]+\] \S+ (?P<backend>[^/\s]+)/(?P<server>\S+) \S+ (?P<status>-?\d+) \S+ '
    r'(?P<sent>\S+) \S+ \S\S(?P<cookie_state>\S\S) .*"(?P<method>\S+) (?P<uri>\S+)'
)


@dataclass
class Request:
    server: str  # the replica's slot name ("app1"), or "<NOSRV>"
    status: int
    cookie_sent: str | None  # the persistence cookie's value the request carried
    cookie_state: str  # e.g. "NI": came without one, got one inserted; "VN": came with a valid one
    method: str
    uri: str


def read_log(path: Path) -> list[Request]:
    """The requests HAProxy logged to the backend (a websocket is logged when it closes)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        m = _LOG_LINE.match(line)
        if not m or m["backend"] != BACKEND:
            continue

        sent = m["sent"].split("=", 1)[1] or None if m["sent"].startswith(f"{COOKIE}=") else None
        out.append(Request(m["server"], int(m["status"]), sent, m["cookie_state"], m["method"], m["uri"]))
    return out
