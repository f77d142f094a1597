"""The chain a server presents at an IP for an SNI name, fetched by Python for the evidence.

This fetch decides nothing about trust (the JVM does); it records what was presented, so the report
can show it and the load-balancer gate can recognise a served leaf pinned in the store.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cutover.base.certs import CertInfo
from cutover.config.proxy import Proxy
from cutover.net.tunnel import ProxyFailure, TunnelError, open_tunnel

#: Why a connection gave no chain (see `ChainFetch.failure`); the JVM's verdicts use the same words.
ConnectFailure = Literal["timeout", "refused", "reset", "unreachable", "closed", "not_tls", "handshake",
                         "socket_error", "unparseable", "internal"]
FetchFailure = ConnectFailure | ProxyFailure


@dataclass(frozen=True)
class ChainFetch:
    """The presented chain at one address.

    Attributes:
        ip: the address connected to.
        port: the TCP port.
        sni: the server name sent.
        chain: presented certificates, in the order the server sent them (leaf first).
        protocol: negotiated TLS version.
        error: why nothing was fetched, as a person reads it; None on success.
        seconds: connect plus handshake time.
        via: the proxy the connection went through (its label), or None for a direct connection.
        failure: the same as a kind, for the fix plan; None on success. ``timeout`` (connect or handshake),
            ``refused`` (nothing listens), ``reset``, ``unreachable`` (no route), ``closed`` (the peer ended
            the handshake), ``not_tls`` (the peer does not speak TLS), ``handshake`` (another TLS failure),
            ``socket_error`` (another socket error), ``unparseable`` (a certificate cryptography cannot
            read), ``internal`` (a bug while fetching); or how the proxy gave no tunnel
            (`cutover.net.tunnel.ProxyFailure`: ``proxy_refused``, ``proxy_forbidden``, ``proxy_auth``, ...).
    """

    ip: str
    port: int
    sni: str
    chain: tuple[CertInfo, ...] = ()
    protocol: str | None = None
    error: str | None = None
    seconds: float = 0.0
    via: str | None = None
    failure: FetchFailure | None = None

    @property
    def leaf(self) -> CertInfo | None:
        return self.chain[0] if self.chain else None


def _observer_context() -> ssl.SSLContext:
    # An observer, not a judge: accept anything so we can show what a failing server presents.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    except (ssl.SSLError, ValueError):
        pass
    return ctx


_CTX = _observer_context()


def fetch_chain(ip: str, port: int, sni: str, timeout: float, handshake_timeout: float | None = None,
                proxy: Proxy | None = None) -> ChainFetch:
    """Connect to ip:port, send `sni`, and return what was presented; never raises for network faults.

    `timeout` bounds the TCP connect, `handshake_timeout` (default: the same) the TLS handshake. With a
    `proxy`, the connection is a CONNECT tunnel to the IP (never the name: the proxy would resolve it
    to production), and the handshake runs inside it with the same SNI.
    """
    start = time.monotonic()
    step = "connect"
    failure: ConnectFailure
    limit = timeout
    via = proxy.label if proxy is not None else None
    through = f" through proxy {via}" if via else ""
    try:
        if proxy is not None:
            try:
                tunnel = open_tunnel(proxy, ip, port, timeout)
            except TunnelError as e:
                return ChainFetch(ip, port, sni, error=str(e), seconds=time.monotonic() - start, via=via,
                                  failure=e.failure)
        else:
            tunnel = socket.create_connection((ip, port), timeout=timeout)
        with tunnel as raw:
            step = "TLS handshake"
            limit = handshake_timeout or timeout
            raw.settimeout(limit)  # the socket timeout also bounds the handshake
            with _CTX.wrap_socket(raw, server_hostname=sni) as tls:
                return presented(ip, port, sni, _presented_chain(tls), tls.version(), time.monotonic() - start, via)
    except TimeoutError:
        err, failure = f"{step} with {ip}:{port}{through} timed out after {limit:g}s", "timeout"
    except ConnectionRefusedError:
        err, failure = f"connection to {ip}:{port} refused: nothing listens there", "refused"
    except ssl.SSLError as e:
        err, failure = f"TLS handshake with {ip}:{port} (SNI {sni}){through} failed: {e.reason or e}", _tls_failure(e)
    except OSError as e:
        err, failure = f"{step} to {ip}:{port}{through} failed: {e.strerror or e}", _socket_failure(e)
    except ValueError as e:  # a certificate cryptography cannot parse
        err, failure = _unparseable(ip, port, e), "unparseable"
    return ChainFetch(ip, port, sni, error=err, seconds=time.monotonic() - start, via=via, failure=failure)


def presented(ip: str, port: int, sni: str, ders: Sequence[bytes], protocol: str | None, seconds: float,
              via: str | None) -> ChainFetch:
    """The record of a handshake that completed and presented `ders` (leaf first), whoever made it: this
    fetch, or the judging JVM (`cutover.judge.presented`), so that both say it in the same words."""
    try:
        return ChainFetch(ip, port, sni, tuple(CertInfo.from_der(d) for d in ders), protocol, None, seconds, via)
    except ValueError as e:
        return ChainFetch(ip, port, sni, error=_unparseable(ip, port, e), seconds=seconds, via=via,
                          failure="unparseable")


def _unparseable(ip: str, port: int, e: ValueError) -> str:
    return f"{ip}:{port} presented a certificate that cannot be parsed: {e}"


#: OpenSSL's reasons when the peer answered, but not in TLS (an HTTP server, say).
_NOT_TLS = ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "RECORD_LAYER_FAILURE",
            "PACKET_LENGTH_TOO_LONG")


def _tls_failure(e: ssl.SSLError) -> ConnectFailure:
    """The kind of a failed handshake: the peer ended it, the peer does not speak TLS, or another refusal."""
    if isinstance(e, ssl.SSLEOFError | ssl.SSLZeroReturnError) or "EOF" in str(e.reason or ""):
        return "closed"
    return "not_tls" if (e.reason or "") in _NOT_TLS else "handshake"


def _socket_failure(e: OSError) -> ConnectFailure:
    if isinstance(e, ConnectionResetError):
        return "reset"
    if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN):
        return "unreachable"
    return "socket_error"


_DER: int = ssl._ssl.ENCODING_DER  # type: ignore[attr-defined]  # typeshed lists none of _ssl's constants


def _presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    if public is not None:
        return [c if isinstance(c, bytes) else c.public_bytes(_DER) for c in public() or []]
    # 3.10-3.12: the chain is only on the private _sslobj.
    certs = tls._sslobj.get_unverified_chain() or []  # type: ignore[attr-defined]  # private before 3.13
    return [c.public_bytes(_DER) for c in certs]
