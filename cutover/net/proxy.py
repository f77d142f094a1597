"""Reaching staging through an HTTP CONNECT proxy, as the machines and clients of most companies must.

The proxy is always asked to ``CONNECT <staging IP>:<port>``: given the hostname, it would resolve it
itself, to production, and we would judge the old certificate. The TLS handshake then runs inside the
tunnel with SNI = the production hostname, exactly as without a proxy. DNS is not proxied.

Every way a proxy can stop us (nothing listens, 403, 407, a closed tunnel, silence) becomes one
paragraph that names the proxy, what it answered and the fix, from `describe`, which the Python chain
fetch and the JVM probe's verdicts share, so both say the same thing about the same answer.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

#: What a CONNECT reply may be at most; a proxy that talks longer is not one we understand.
MAX_REPLY = 64 * 1024
USER_AGENT = "cutover"


class ProxyConfigError(ValueError):
    """A proxy URL or setting that cannot be used; the message names where it came from and the fix."""


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy that tunnels with CONNECT.

    Attributes:
        host: the proxy's name or address.
        port: its TCP port.
        source: where it was given (``--proxy``, ``[run] proxy``, ``HTTPS_PROXY``, the client's
            ``-Dhttps.proxyHost``): said in every message, so a person knows what to change.
        user: the user for Basic authentication, or None.
        password_env: the environment variable holding the password (never the password itself, so it
            is never in a repr, a report or a log).
        password_in_url_env: the password is inside the URL held by this environment variable
            (``https_proxy=http://user:secret@proxy:8080``, as curl accepts it); None otherwise.
        no_proxy: NO_PROXY entries (host suffixes, IPs, CIDRs, ``*``) that are reached directly.
    """

    host: str
    port: int
    source: str
    user: str | None = None
    password_env: str | None = None
    password_in_url_env: str | None = None
    no_proxy: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The proxy as a URL, with the user but never a password."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.user}@" if self.user else ""
        return f"http://{user}{host}:{self.port}"

    @property
    def label(self) -> str:
        """The proxy and where it was given: how every report line names it."""
        return f"{self.url} ({self.source})"

    def password(self) -> str | None:
        """Read at the moment of use, from the environment, so it never sits in an object."""
        if self.password_in_url_env:
            raw = os.environ.get(self.password_in_url_env, "")
            match = re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^:@/]*:([^@/]*)@", raw)
            return unquote(match[1]) if match else None
        return os.environ.get(self.password_env) if self.password_env else None

    def authorization(self) -> str | None:
        """The Proxy-Authorization header value (Basic), or None without a user."""
        if not self.user:
            return None
        secret = f"{self.user}:{self.password() or ''}".encode()
        return "Basic " + base64.b64encode(secret).decode("ascii")

    def bypasses(self, hostname: str, ip: str) -> bool:
        """NO_PROXY: does this entry list say to connect to (hostname, ip) directly?"""
        return any(_no_proxy_match(entry, hostname, ip) for entry in self.no_proxy)


def _no_proxy_match(entry: str, hostname: str, ip: str) -> bool:
    entry = entry.strip().lower()
    if not entry:
        return False
    if entry == "*":
        return True
    entry = re.sub(r":\d+$", "", entry) if entry.count(":") == 1 else entry  # host:port -> host
    try:
        net = ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        suffix = entry.lstrip("*").lstrip(".")
        host = hostname.lower().rstrip(".")
        return host == suffix or host.endswith("." + suffix)
    try:
        return ipaddress.ip_address(ip) in net
    except ValueError:
        return False


def parse(text: str, source: str, *, password_env: str | None = None, allow_password: bool = False,
          no_proxy: Sequence[str] = ()) -> Proxy:
    """Parse ``http://[user@]host:port`` (the scheme may be left out) given in `source`.

    A password in the URL is refused unless `allow_password` (an environment variable, which is where
    curl users keep it): on a command line it would sit in the shell history and the process list.
    """
    raw = text.strip()
    where = f"{source} {_shown(raw)!r}"
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "http", raw
    if scheme.lower() != "http":
        raise ProxyConfigError(
            f"{where}: cutover speaks plain HTTP to the proxy (CONNECT), so write http://host:port; "
            f"{scheme}:// proxies are not supported.")
    rest = rest.split("/", 1)[0]
    userinfo, at, hostport = rest.rpartition("@")
    user, colon = None, ""
    if at:
        user, colon, _ = userinfo.partition(":")
        user = unquote(user) or None
        if colon and not allow_password:
            raise ProxyConfigError(
                f"{where}: never write the proxy password in the URL (it would sit in shell history and "
                "reports); write http://user@host:port and put the password in the environment variable "
                "named by [run] proxy_password_env in datacenters.toml.")
    match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(\d+)|([^:\[\]]+):(\d+)", hostport)
    if not match:
        raise ProxyConfigError(f"{where}: not http://host:port; give the proxy's host and port, "
                               "for example http://proxy.example.com:8080.")
    host = match[1] or match[3]
    port = int(match[2] or match[4])
    if not 0 < port < 65536:
        raise ProxyConfigError(f"{where}: port {port} is not a TCP port (1-65535).")
    in_url = source if colon else None  # only reached for an environment variable (allow_password)
    return Proxy(host, port, source, user, None if in_url else password_env, in_url, tuple(no_proxy))


def _shown(url: str) -> str:
    """A URL as it may be printed: any password replaced."""
    return re.sub(r"^((?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^:@/]*):[^@/]*@", r"\1:***@", url)


def from_environment(environ: Mapping[str, str]) -> Proxy | None:
    """The proxy curl and most tools would use for https: HTTPS_PROXY (or https_proxy), with NO_PROXY."""
    for name in ("https_proxy", "HTTPS_PROXY"):
        value = environ.get(name, "").strip()
        if value:
            skip = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
            return parse(value, name, allow_password=True, no_proxy=[s for s in skip.split(",") if s.strip()])
    return None


def choose(cli: str | None, no_proxy: bool, toml: str | None, password_env: str | None,
           environ: Mapping[str, str], toml_where: str = "[run] proxy") -> Proxy | None:
    """The run's proxy: --proxy, else [run] proxy, else HTTPS_PROXY (unless --no-proxy), else none.

    ``[run] proxy = "direct"`` says this file's runs connect directly whatever the environment holds
    (the sandbox writes it: its addresses are on this machine).
    """
    if cli and no_proxy:
        raise ProxyConfigError("--proxy and --no-proxy contradict each other; give one of them.")
    if no_proxy:
        return None
    if cli:
        return parse(cli, "--proxy", password_env=password_env)
    if toml is not None:
        if toml.strip().lower() in ("direct", ""):
            return None
        return parse(toml, toml_where, password_env=password_env)
    return from_environment(environ)


def client_proxy(java_options: Sequence[str], run_proxy: Proxy | None) -> Proxy | None:
    """The proxy the client's JVM would use: its ``-Dhttps.proxyHost``/``-Dhttps.proxyPort``, else the run's.

    Java's default https.proxyPort is 443, and ``http.nonProxyHosts`` (``*.example.com|10.*``) applies to
    https too. The client's credentials are not in its options (Java takes them from an Authenticator):
    where its proxy is the run's, the run's user and password are used.
    """
    props = {}
    for o in java_options:
        name, _, value = o[2:].partition("=")
        props[name] = value
    host = props.get("https.proxyHost", "").strip()
    if not host:
        return run_proxy
    where = "-Dhttps.proxyHost in the client's java_options"
    try:
        port = int(props.get("https.proxyPort", "443"))
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise ProxyConfigError(f"-Dhttps.proxyPort={props['https.proxyPort']}: not a TCP port (1-65535); "
                               "fix the client's java option.") from None
    skip = tuple(p for p in props.get("http.nonProxyHosts", "").split("|") if p.strip())
    user = pw_env = pw_url = None
    if run_proxy is not None and (run_proxy.host, run_proxy.port) == (host.strip("[]"), port):
        user, pw_env, pw_url = run_proxy.user, run_proxy.password_env, run_proxy.password_in_url_env
    return Proxy(host.strip("[]"), port, where, user, pw_env, pw_url, skip)


def java_bypasses(proxy: Proxy, hostname: str) -> bool:
    """http.nonProxyHosts as Java reads it: ``|``-separated names with ``*`` at either end."""
    host = hostname.lower()
    for pattern in proxy.no_proxy:
        p = pattern.strip().lower()
        if p == host or (p.startswith("*") and host.endswith(p[1:])) or (p.endswith("*") and host.startswith(p[:-1])):
            return True
    return False


def for_target(proxy: Proxy | None, hostname: str, ip: str) -> Proxy | None:
    """The proxy a connection to (hostname, ip) goes through, after NO_PROXY / http.nonProxyHosts."""
    if proxy is None:
        return None
    if proxy.source.startswith("-D"):
        return None if java_bypasses(proxy, hostname) else proxy
    return None if proxy.bypasses(hostname, ip) else proxy


# -- the tunnel -----------------------------------------------------------------------------------------

class TunnelError(Exception):
    """The proxy did not give us a tunnel; `str()` is the whole paragraph, `kind` what went wrong."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


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
            raise TunnelError("status", describe(proxy.label, target, "status", reply, user=proxy.user))
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
