"""A small DNS server for the sandbox, over UDP and TCP, answering as a recursive resolver would.

It holds one flat zone (name -> CNAME or addresses) and answers a query with the whole CNAME chain
and the final records, the way a resolver answers a client. Names can be set to answer SERVFAIL or
nothing at all, to show what those failures look like.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset


@dataclass
class Record:
    """What a name holds; `behaviour` ``servfail`` or ``drop`` overrides the data; ``tcp-only`` answers
    UDP with an empty truncated reply (TC), so the client must ask again over TCP."""

    cname: str | None = None
    a: list[str] = field(default_factory=list)
    aaaa: list[str] = field(default_factory=list)
    behaviour: str | None = None


class Zone(dict[str, Record]):
    """Names are stored lower case without the final dot."""

    def cname(self, name: str, target: str) -> None:
        self[name.lower()] = Record(cname=target.lower())

    def address(self, name: str, *ips: str) -> None:
        self[name.lower()] = Record(a=[i for i in ips if ":" not in i], aaaa=[i for i in ips if ":" in i])


def answer(zone: Zone, wire: bytes, over_udp: bool = False) -> bytes | None:
    """The wire response to a wire query, or None to stay silent."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA | dns.flags.AA
    if not query.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    q = query.question[0]
    name = q.name.to_text(omit_final_dot=True).lower()
    for _ in range(40):  # bound a CNAME loop: SERVFAIL (long enough to serve the chain of 20 we test with)
        rec = zone.get(name)
        if rec is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            break
        if rec.behaviour == "drop":
            return None
        if rec.behaviour == "tcp-only" and over_udp:
            response.flags |= dns.flags.TC
            response.answer = []
            return response.to_wire()
        if rec.behaviour == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
            response.answer = []
            break
        owner = dns.name.from_text(name)
        if rec.cname and q.rdtype != dns.rdatatype.CNAME:
            response.answer.append(dns.rrset.from_text(owner, 60, "IN", "CNAME", rec.cname + "."))
            name = rec.cname
            continue
        values = rec.a if q.rdtype == dns.rdatatype.A else rec.aaaa if q.rdtype == dns.rdatatype.AAAA else []
        if values:
            response.answer.append(dns.rrset.from_text_list(owner, 60, "IN", dns.rdatatype.to_text(q.rdtype), values))
        break
    else:
        response.set_rcode(dns.rcode.SERVFAIL)
        response.answer = []
    return response.to_wire()


class DNSServer:
    """Serves `zone` on host:port over UDP and TCP until `stop`."""

    def __init__(self, zone: Zone, host: str = "127.53.0.1", port: int = 0, latency: float = 0.0) -> None:
        self.zone = zone
        self.latency = latency  # seconds added to every answer, as a far-away resolver would
        #: queries received per (lower-case name, type): the tests' proof that a run asks each name once
        self.queries: Counter[tuple[str, str]] = Counter()
        self._count_lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((host, port))
        self.host, self.port = self.udp.getsockname()
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((host, self.port))
        self.tcp.listen(64)
        self._stop = threading.Event()
        #: UDP replies waiting out the latency, (due, reply, peer): in the order they are due, since every
        #: answer waits as long. One thread sends them all; a thread per reply cost the sandbox as much CPU
        #: as the suite's own DNS (the bench runs both on the same cores).
        self._due: queue.SimpleQueue[tuple[float, bytes, tuple[str, int]]] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True, name="sandbox-dns-udp"),
                         threading.Thread(target=self._serve_tcp, daemon=True, name="sandbox-dns-tcp"),
                         threading.Thread(target=self._send_due, daemon=True, name="sandbox-dns-later")]
        for t in self._threads:
            t.start()

    def _serve_udp(self) -> None:
        self.udp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                wire, peer = self.udp.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            self._count(wire)
            reply = answer(self.zone, wire, over_udp=True)
            if reply is not None:
                if self.latency:  # answer later without holding up the next query
                    self._due.put((time.monotonic() + self.latency, reply, peer))
                else:
                    self._send(reply, peer)

    def _count(self, wire: bytes) -> None:
        try:
            q = dns.message.from_wire(wire).question[0]
        except Exception:
            return
        with self._count_lock:
            self.queries[(q.name.to_text(omit_final_dot=True).lower(), dns.rdatatype.to_text(q.rdtype))] += 1

    def _send_due(self) -> None:
        while not self._stop.is_set():
            try:
                due, reply, peer = self._due.get(timeout=0.2)
            except queue.Empty:
                continue
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            self._send(reply, peer)

    def _send(self, reply: bytes, peer: tuple[str, int]) -> None:
        with contextlib.suppress(OSError):
            self.udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        self.tcp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError, struct.error):
            conn.settimeout(5)
            while True:
                head = conn.recv(2)
                if len(head) < 2:
                    return
                (length,) = struct.unpack("!H", head)
                wire = b""
                while len(wire) < length:
                    chunk = conn.recv(length - len(wire))
                    if not chunk:
                        return
                    wire += chunk
                self._count(wire)
                reply = answer(self.zone, wire)
                if reply is None:
                    return
                if self.latency:
                    self._stop.wait(self.latency)
                conn.sendall(struct.pack("!H", len(reply)) + reply)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self.udp.close()
        self.tcp.close()
