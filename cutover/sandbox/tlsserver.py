"""TLS endpoints for the sandbox: one listener per loopback address, all on one port.

Like an Akamai edge, an address serves the pod's chain when the SNI names the pod and a default
certificate otherwise, so a client that forgets SNI sees a hostname mismatch, as it would for real.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast


@dataclass(frozen=True)
class Endpoint:
    """What one address serves: `chain_file` (leaf first, PEM) for `hostname`, the default otherwise."""

    ip: str
    hostname: str
    chain_file: Path
    key_file: Path
    #: None: a normal edge. ``silent``: accept and never answer. ``reset``: read the ClientHello, then
    #: reset the connection. ``http``: answer in plain HTTP. ``tls10``: speak TLS 1.0 only.
    #: ``ignore-sni``: serve this chain whatever name the client asks for.
    behaviour: str | None = None


def _context(chain_file: Path, key_file: Path, tls10: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls10:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
    # Security level 0: the sandbox must be able to serve the weak chains (SHA-1, RSA-1024) it exists to show.
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(chain_file, key_file)
    return ctx


class TLSServer:
    """Listens on every endpoint's address at `port` (0: pick one free on all of them)."""

    def __init__(self, endpoints: list[Endpoint], default_chain: Path, default_key: Path, port: int = 0,
                 latency: float = 0.0) -> None:
        self._default = _context(default_chain, default_key)
        #: connections accepted per local address: the tests' proof of how many handshakes a run makes
        self.connections: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._latency = latency
        self._behaviour = {ep.ip: ep.behaviour for ep in endpoints if ep.behaviour}
        self._by_ip: dict[str, ssl.SSLContext] = {}
        for ep in endpoints:
            ctx = _context(ep.chain_file, ep.key_file, tls10=ep.behaviour == "tls10")
            if ep.behaviour != "ignore-sni":
                ctx.sni_callback = self._sni_for(ep.hostname)
            self._by_ip[ep.ip] = ctx
        self._listeners: list[socket.socket] = []
        self.port = self._bind_all(port)
        self._selector = selectors.DefaultSelector()
        for s in self._listeners:
            self._selector.register(s, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sandbox-tls")
        self._thread.start()

    def serve(self, ep: Endpoint) -> None:
        """Serve another chain at an address already listened on, from the next connection on."""
        if ep.ip not in self._by_ip:
            raise ValueError(f"{ep.ip} is not an address of this server")
        ctx = _context(ep.chain_file, ep.key_file, tls10=ep.behaviour == "tls10")
        if ep.behaviour != "ignore-sni":
            ctx.sni_callback = self._sni_for(ep.hostname)
        if ep.behaviour:
            self._behaviour[ep.ip] = ep.behaviour
        else:
            self._behaviour.pop(ep.ip, None)
        self._by_ip[ep.ip] = ctx

    def _bind_all(self, port: int) -> int:
        """Bind every address on one port; with port 0, retry until an ephemeral port is free on all."""
        requested = port
        for _attempt in range(20):
            try:
                for ip in self._by_ip:
                    s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
                    self._listeners.append(s)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((ip, port))
                    s.listen(128)
                    s.setblocking(False)
                    port = s.getsockname()[1]
                return port
            except OSError:
                for s in self._listeners:
                    s.close()
                self._listeners = []
                if requested:
                    raise  # a port the user asked for is taken: say so rather than pick another
                port = 0
        raise OSError("could not find one free port on every sandbox address")

    def _sni_for(self, hostname: str) -> Callable[[ssl.SSLObject, str | None, ssl.SSLContext], None]:
        def pick(sslobj: ssl.SSLObject, server_name: str | None, ctx: ssl.SSLContext) -> None:
            if server_name is None or server_name.lower() != hostname:
                sslobj.context = self._default
        return pick

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                try:
                    conn, _peer = cast(socket.socket, key.fileobj).accept()
                except OSError:
                    continue
                threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        conn.settimeout(10)
        ip = conn.getsockname()[0]
        with self._count_lock:
            self.connections[ip] += 1
        behaviour = self._behaviour.get(ip)
        if behaviour in ("silent", "reset", "http"):
            with contextlib.suppress(OSError):
                if behaviour == "silent":
                    conn.settimeout(60)
                    while not self._stop.is_set() and conn.recv(4096):
                        pass  # read and ignore, never answer, until the client gives up
                elif behaviour == "reset":
                    conn.recv(4096)  # the ClientHello
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
            conn.close()  # with SO_LINGER 0: an RST, not a FIN
            return
        if self._latency:
            self._stop.wait(self._latency)
        ctx = self._by_ip[ip]
        with contextlib.suppress(OSError, ssl.SSLError, ValueError), ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(2)
            data = tls.recv(4096)
            if data.startswith((b"GET ", b"HEAD ")):
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._selector.close()
        for s in self._listeners:
            s.close()
