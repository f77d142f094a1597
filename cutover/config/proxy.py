"""Which HTTP CONNECT proxy a connection uses, as the machines and clients of most companies must.

The run's proxy comes from --proxy, ``[run] proxy`` or HTTPS_PROXY; a client's JVM may name its own
(``-Dhttps.proxyHost``); NO_PROXY and ``http.nonProxyHosts`` say which connections go direct. This is
configuration only: opening the tunnel is `cutover.net.tunnel`.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from cutover.config.rules import PORT_RANGE, is_port


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
    if not is_port(port):
        raise ProxyConfigError(f"{where}: port {port} is not {PORT_RANGE}.")
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
        if not is_port(port):
            raise ValueError
    except ValueError:
        raise ProxyConfigError(f"-Dhttps.proxyPort={props['https.proxyPort']}: not {PORT_RANGE}; "
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
