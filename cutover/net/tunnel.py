"""Reaching staging through an HTTP CONNECT proxy: the tunnel, and what a proxy that gives none did.

The proxy is always asked to ``CONNECT <staging IP>:<port>``: given the hostname, it would resolve it
itself, to production, and we would judge the old certificate. The TLS handshake then runs inside the
tunnel with SNI = the production hostname, exactly as without a proxy. DNS is not proxied.

Every way a proxy can stop us (nothing listens, 403, 407, a closed tunnel, silence) is a kind
(`ProxyFailure`, which the fix plan routes) and one paragraph that names the proxy, what it answered
and the fix, from `describe`, which the Python chain fetch and the JVM probe's verdicts share, so both
say the same thing about the same answer.
"""

from __future__ import annotations

import re
import socket
import time
from typing import Literal, get_args

from cutover.config.proxy import Proxy

#: What a CONNECT reply may be at most; a proxy that talks longer is not one we understand.
MAX_REPLY = 64 * 1024
USER_AGENT = "cutover"

#: How a proxy gave no tunnel (``kind`` of `describe`, with a ``status`` split by its code).
ProxyFailure = Literal["proxy_refused", "proxy_unreachable", "proxy_timeout", "proxy_closed", "proxy_forbidden",
                       "proxy_auth", "proxy_status", "proxy_garbled"]
PROXY_FAILURES: frozenset[ProxyFailure] = frozenset(get_args(ProxyFailure))


def proxy_failure(kind: str, detail: str = "") -> ProxyFailure:
    """The failure kind of a `describe` kind; for ``status``, its code (`detail` is the status line first)."""
    if kind == "status":
        code = [*detail.split("\r\n")[0].split(), "", ""][1]
        return "proxy_auth" if code == "407" else "proxy_forbidden" if code == "403" else "proxy_status"
    known: dict[str, ProxyFailure] = {"refused": "proxy_refused", "unreachable": "proxy_unreachable",
                                      "timeout": "proxy_timeout", "closed": "proxy_closed",
                                      "garbled": "proxy_garbled"}
    return known.get(kind, "proxy_status")


class TunnelError(Exception):
    """The proxy did not give us a tunnel; `str()` is the whole paragraph, `kind` what went wrong (a
    `describe` kind) and `failure` the kind the fix plan routes."""

    def __init__(self, kind: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.failure: ProxyFailure = proxy_failure(kind, detail)


def hostport(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def describe(proxy_label: str, target: str, kind: str, detail: str = "", seconds: float | None = None,
             user: str | None = None) -> str:
    """One paragraph for a proxy that gave no tunnel to `target`: what it did and the fix.

    `kind`: ``refused`` (nothing listens), ``unreachable`` (another connect error), ``timeout`` (accepted,
    never answered the CONNECT), ``closed`` (closed before answering), ``status`` (answered other than
    2xx; `detail` is its status line and Proxy-Authenticate), ``garbled`` (not HTTP).
    """
    head = f"proxy {proxy_label}"
    if kind == "refused":
        return (f"{head} refused the connection: nothing listens there. Check the proxy's host and port "
                "(--proxy, [run] proxy in datacenters.toml, HTTPS_PROXY or the client's -Dhttps.proxyHost), or "
                "run with --no-proxy if this machine reaches Akamai directly.")
    if kind == "unreachable":
        return (f"{head} could not be reached: {detail}. Check the proxy's host and port and the route to it, "
                "or run with --no-proxy if this machine reaches Akamai directly.")
    if kind == "timeout":
        after = f" within {seconds:g}s" if seconds is not None else ""
        return (f"{head} accepted the connection but did not answer CONNECT {target}{after}: it may be "
                "overloaded, or it drops tunnels it does not allow without saying so. Ask its administrators to "
                "allow CONNECT to the Akamai staging addresses on this port, or raise connect_timeout ([defaults] "
                "in datacenters.toml, or --connect-timeout).")
    if kind == "closed":
        return (f"{head} closed the connection without answering CONNECT {target}: it ended the tunnel "
                "before it was open. Ask its administrators whether CONNECT to this address and port is allowed.")
    if kind == "garbled":
        return (f"{head} did not answer CONNECT {target} in HTTP ({detail}): is this an HTTP proxy, and "
                "the right port? A SOCKS proxy or a TLS port is not supported.")
    status = detail.split("\r\n")[0].strip() or detail
    code = [*status.split(), "", ""][1]
    if code == "407":
        challenge = next((line.split(":", 1)[1].strip() for line in detail.split("\r\n")[1:]
                          if line.lower().startswith("proxy-authenticate:")), "")
        asks = f" ({challenge})" if challenge else ""
        if user:
            return (f"{head} answered '{status}'{asks} to CONNECT {target}: it rejected the credentials of user "
                    f"{user!r}. Check that user and the password in the environment variable named by "
                    "[run] proxy_password_env in datacenters.toml.")
        return (f"{head} answered '{status}'{asks} to CONNECT {target}: it wants a user and password. Give the "
                "user in the proxy URL (http://user@host:port) and the password in the environment variable named "
                "by [run] proxy_password_env in datacenters.toml (never on the command line).")
    if code == "403":
        return (f"{head} answered '{status}' to CONNECT {target}: it forbids tunnels to this address, so the new "
                "certificate cannot be seen from here. Ask its administrators to allow CONNECT to the Akamai "
                "staging addresses on this port (the *-staging.net ranges), or run from a network that may.")
    return (f"{head} answered '{status}' to CONNECT {target} instead of opening a tunnel. Ask its "
            "administrators why, or run from a network that reaches Akamai staging.")


def open_tunnel(proxy: Proxy, ip: str, port: int, connect_timeout: float) -> socket.socket:
    """A socket to `proxy` with a CONNECT tunnel open to ip:port; raises TunnelError with the paragraph.

    `connect_timeout` bounds the connect to the proxy and its answer to CONNECT together (the proxy
    connects onwards in that time), as it bounds a direct connect. The caller sets its own timeout for
    what follows.
    """
    target = hostport(ip, port)
    deadline = time.monotonic() + connect_timeout
    try:
        sock = socket.create_connection((proxy.host, proxy.port), timeout=connect_timeout)
    except ConnectionRefusedError:
        raise TunnelError("refused", describe(proxy.label, target, "refused")) from None
    except TimeoutError:
        raise TunnelError("unreachable", describe(proxy.label, target, "unreachable",
                                                  f"connect timed out after {connect_timeout:g}s")) from None
    except OSError as e:
        raise TunnelError("unreachable", describe(proxy.label, target, "unreachable", e.strerror or str(e))) from None
    try:
        sock.settimeout(connect_timeout)
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}", f"User-Agent: {USER_AGENT}"]
        auth = proxy.authorization()
        if auth:
            lines.append(f"Proxy-Authorization: {auth}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        reply = _read_reply(sock, deadline)
        status = reply.split("\r\n")[0]
        if not re.match(r"^HTTP/1\.[01] \d{3}", status):
            raise TunnelError("garbled", describe(proxy.label, target, "garbled", f"it said {status[:80]!r}"))
        if not status.split()[1].startswith("2"):
            raise TunnelError("status", describe(proxy.label, target, "status", reply, user=proxy.user), reply)
        return sock
    except TunnelError:
        sock.close()
        raise
    except TimeoutError:
        sock.close()
        raise TunnelError("timeout", describe(proxy.label, target, "timeout", seconds=connect_timeout)) from None
    except (ConnectionError, EOFError):
        sock.close()
        raise TunnelError("closed", describe(proxy.label, target, "closed")) from None
    except OSError as e:
        sock.close()
        raise TunnelError("unreachable", describe(proxy.label, target, "unreachable", e.strerror or str(e))) from None


def _read_reply(sock: socket.socket, deadline: float) -> str:
    """The status line and headers, read a byte at a time: what follows belongs to the TLS handshake.

    Each read gets only the time left until `deadline`, so a proxy that trickles bytes is bounded too.
    """
    data = bytearray()
    while not data.endswith(b"\r\n\r\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        b = sock.recv(1)
        if not b:
            raise EOFError
        data += b
        if len(data) > MAX_REPLY:
            break
        if len(data) >= 8 and not data.startswith(b"HTTP/"):
            break  # not HTTP at all: stop reading and say so
    return data.decode("latin-1").rstrip("\r\n") + "\r\n"
