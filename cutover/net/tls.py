"""The chain a server presents at an IP for an SNI name, fetched by Python for the evidence.

This fetch decides nothing about trust (the JVM does); it records what was presented, so the report
can show it and the load-balancer gate can recognise a served leaf pinned in the store.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass

from cutover.net.proxy import Proxy, TunnelError, open_tunnel
from cutover.stores.certs import CertInfo


@dataclass(frozen=True)
class ChainFetch:
    """The presented chain at one address.

    Attributes:
        ip: the address connected to.
        port: the TCP port.
        sni: the server name sent.
        chain: presented certificates, in the order the server sent them (leaf first).
        protocol: negotiated TLS version.
        error: why nothing was fetched; None on success.
        seconds: connect plus handshake time.
        via: the proxy the connection went through (its label), or None for a direct connection.
    """

    ip: str
    port: int
    sni: str
    chain: tuple[CertInfo, ...] = ()
    protocol: str | None = None
    error: str | None = None
    seconds: float = 0.0
    via: str | None = None

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
    limit = timeout
    via = proxy.label if proxy is not None else None
    through = f" through proxy {via}" if via else ""
    try:
        if proxy is not None:
            try:
                tunnel = open_tunnel(proxy, ip, port, timeout)
            except TunnelError as e:
                return ChainFetch(ip, port, sni, error=str(e), seconds=time.monotonic() - start, via=via)
        else:
            tunnel = socket.create_connection((ip, port), timeout=timeout)
        with tunnel as raw:
            step = "TLS handshake"
            limit = handshake_timeout or timeout
            raw.settimeout(limit)  # the socket timeout also bounds the handshake
            with _CTX.wrap_socket(raw, server_hostname=sni) as tls:
                chain = _presented_chain(tls)
                return ChainFetch(ip, port, sni, tuple(CertInfo.from_der(d) for d in chain), tls.version(),
                                  None, time.monotonic() - start, via)
    except TimeoutError:
        err = f"{step} with {ip}:{port}{through} timed out after {limit:g}s"
    except ConnectionRefusedError:
        err = f"connection to {ip}:{port} refused: nothing listens there"
    except ssl.SSLError as e:
        err = f"TLS handshake with {ip}:{port} (SNI {sni}){through} failed: {e.reason or e}"
    except OSError as e:
        err = f"{step} to {ip}:{port}{through} failed: {e.strerror or e}"
    except ValueError as e:  # a certificate cryptography cannot parse
        err = f"{ip}:{port} presented a certificate that cannot be parsed: {e}"
    return ChainFetch(ip, port, sni, error=err, seconds=time.monotonic() - start, via=via)


def _presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    if public is not None:
        return [c if isinstance(c, bytes) else c.public_bytes(ssl.ENCODING_DER) for c in public() or []]
    certs = tls._sslobj.get_unverified_chain() or []  # type: ignore[union-attr]  # 3.10-3.12: private only
    return [c.public_bytes(ssl._ssl.ENCODING_DER) for c in certs]  # type: ignore[attr-defined]
