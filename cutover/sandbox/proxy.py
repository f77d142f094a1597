"""An HTTP CONNECT proxy for the sandbox, on a loopback address, that logs every CONNECT it is asked for.

Like a corporate proxy it can demand Basic authentication (407), forbid some addresses (403) or take
connections and never answer; its log is how the tests prove that every staging handshake went
through it, and that it was always asked for an IP, never a hostname.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import selectors
import socket
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import cast

#: What the proxy does with a CONNECT: ``open`` tunnels every one; ``auth`` wants Basic credentials
#: first (407); ``forbid`` answers 403 for the addresses in `forbidden`; ``silent`` never answers.
BEHAVIOURS = ("open", "auth", "forbid", "silent")
REALM = "cutover sandbox proxy"


@dataclass(frozen=True)
class ConnectEntry:
    """One CONNECT request the proxy received.

    Attributes:
        target: what the client asked to reach, exactly as sent (``127.20.11.1:443``).
        user_agent: the client's User-Agent (``cutover`` for the chain fetch, ``cutover-probe`` for the JVM).
        user: the Basic-auth user it sent, if any.
        status: the status code answered; 0 when the proxy never answered.
    """

    target: str
    user_agent: str
    user: str | None
    status: int


class ConnectProxy:
    """Listens on `host` (port: any free one) until `stop`; every connection in its own thread."""

    def __init__(self, host: str = "127.30.0.1", behaviour: str = "open", *, user: str | None = None,
                 password: str | None = None, forbidden: Collection[str] = (), log_file: Path | None = None,
                 upstream_timeout: float = 5.0) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"proxy behaviour {behaviour!r}; known: {', '.join(BEHAVIOURS)}")
        self.behaviour = behaviour
        self._credentials = (user, password)
        self._forbidden = frozenset(forbidden)
        self._log_file = log_file
        self._upstream_timeout = upstream_timeout
        self.log: list[ConnectEntry] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(128)
        self._listener.settimeout(0.2)
        self.host, self.port = host, self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sandbox-proxy")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads = [*(x for x in self._threads if x.is_alive()), t]  # a long-lived sandbox keeps few
            t.start()

    def _record(self, entry: ConnectEntry) -> None:
        with self._lock:
            self.log.append(entry)
            if self._log_file is not None:
                with self._log_file.open("a", encoding="utf-8") as f:
                    f.write(f"CONNECT {entry.target} {entry.status or 'no answer'} user={entry.user or '-'} "
                            f"agent={entry.user_agent!r}\n")

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.closing(conn), contextlib.suppress(OSError):
            conn.settimeout(5)
            head = bytearray()
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            request, _, rest = bytes(head).partition(b"\r\n\r\n")
            lines = request.decode("latin-1").split("\r\n")
            method, target = [*lines[0].split(), "", ""][:2]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            agent = headers.get("user-agent", "")
            user = _basic_user(headers.get("proxy-authorization", ""))
            if method.upper() != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            if self.behaviour == "silent":
                self._record(ConnectEntry(target, agent, user, 0))
                conn.settimeout(0.5)
                while not self._stop.is_set():  # read and ignore until the client gives up
                    try:
                        if not conn.recv(4096):
                            return
                    except TimeoutError:
                        continue
                return
            status, reason, extra = self._decide(target, headers.get("proxy-authorization", ""))
            upstream = None
            if status == 200:
                host, _, port = target.rpartition(":")
                try:
                    upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=self._upstream_timeout)
                except (OSError, ValueError):
                    status, reason = 502, "Bad Gateway"
            self._record(ConnectEntry(target, agent, user, status))
            conn.sendall(f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: 0\r\n\r\n".encode("latin-1"))
            if upstream is None:
                return
            with contextlib.closing(upstream):
                if rest:
                    upstream.sendall(rest)
                self._relay(conn, upstream)

    def _decide(self, target: str, authorization: str) -> tuple[int, str, str]:
        host = target.rpartition(":")[0].strip("[]")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            # A proxy asked for a name resolves it itself, to production: cutover must never do that.
            return 400, "Bad Request (the sandbox proxy only tunnels to IP addresses)", ""
        if self.behaviour == "auth":
            user, password = self._credentials
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            if authorization != expected:
                return 407, "Proxy Authentication Required", f'Proxy-Authenticate: Basic realm="{REALM}"\r\n'
        if self.behaviour == "forbid" and host in self._forbidden:
            return 403, "Forbidden", ""
        return 200, "Connection established", ""

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        """Copy bytes both ways until either side closes, nothing moves for 10 s, or the proxy stops."""
        with selectors.DefaultSelector() as sel:
            for s, other in ((a, b), (b, a)):
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, other)
            idle = 0.0
            while not self._stop.is_set() and idle < 10:
                events = sel.select(timeout=0.2)
                if not events:
                    idle += 0.2
                    continue
                idle = 0.0
                for key, _ in events:
                    try:
                        data = cast(socket.socket, key.fileobj).recv(65536)
                    except BlockingIOError:
                        continue
                    if not data:
                        return
                    key.data.settimeout(5)
                    key.data.sendall(data)
                    key.data.setblocking(False)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._listener.close()
        for t in self._threads:
            t.join(timeout=2)


def _basic_user(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value).decode("utf-8", "replace").partition(":")[0]
    except ValueError:
        return None
