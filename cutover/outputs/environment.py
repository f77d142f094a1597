"""The run's environment as the report states it: what a support engineer needs to trust (or question) a run.

Probing the machine (its name, the installed versions, files' SHA-256) lives here, apart from the HTML
and the JSON that show it, so both show the same rows.
"""

from __future__ import annotations

import datetime as dt
import platform
import socket
from collections.abc import Mapping
from importlib import metadata

from cutover.base.digest import sha256_of
from cutover.config import Config
from cutover.config.proxy import Proxy
from cutover.evidence import Evidence
from cutover.stores.truststore import StoreContents


def versions() -> dict[str, str]:
    """The versions a verdict may depend on: a pass under one cryptography or JDK is not a pass under all."""
    out = {"python": platform.python_version()}
    for name in ("cutover", "pytest", "pytest-html", "cryptography", "dnspython", "pyjks"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def environment(config: Config, stores: Mapping[str, StoreContents], sr: str | None,
                started: dt.datetime) -> dict[str, str]:
    """The report's Environment rows: what a support engineer needs to trust (or question) the run."""
    env = {
        "Service request": sr or ", ".join(config.srs) or "not given (--sr, or sr in datacenters.toml)",
        "Started (UTC)": f"{started:%Y-%m-%d %H:%M:%S}Z",
        "Machine": socket.gethostname(),
        "Datacenters file": f"{config.path} (SHA-256 {sha256_of(config.path)})",
    }
    for name, store in stores.items():
        key = f"Truststore of client {name}" if config.several_clients else "Truststore"
        env[key] = " + ".join(f"{f} ({store.type_of(f)}, SHA-256 {sha256_of(f)})" for f in store.files)
    env |= {
        "Nameservers": ", ".join(f"{h}:{p}" for h, p in config.nameservers) or "system resolver",
        **proxy_rows(config),
        "Versions": ", ".join(f"{k} {v}" for k, v in versions().items()),
    }
    if config.simulated:
        env["SIMULATED"] = (f"sandbox scenario '{config.sandbox_scenario}': {config.sandbox_description}. "
                            "Nothing here is evidence about the real provider.")
    return env


NO_PROXY = "none: direct connections"


def proxy_line(proxy: Proxy | None) -> str:
    """How the report names a proxy: URL (never a password), where it was given, what it skips."""
    if proxy is None:
        return NO_PROXY
    skip = f"; not for {', '.join(proxy.no_proxy)}" if proxy.no_proxy else ""
    secret = ""
    if proxy.user:
        secret = f"; password from ${proxy.password_in_url_env or proxy.password_env}"
    return f"{proxy.label}{secret}{skip}"


def proxy_rows(config: Config) -> dict[str, str]:
    """The run's proxy, and each client's JVM proxy where its own -Dhttps.proxyHost makes it differ."""
    rows = {"Proxy": proxy_line(config.proxy)}
    for client in config.clients:
        own = config.jvm_proxy(client)
        if own != config.proxy:
            rows[f"JVM's proxy for client {client.name}" if config.several_clients else "JVM's proxy"] = \
                proxy_line(own)
    return rows


def judges_environment(config: Config, ev: Evidence) -> dict[str, str]:
    """Which JDK judged each client, and with which options: the same chain may pass under one JDK and
    fail under another."""
    env: dict[str, str] = {}
    for name, c in ev.clients.items():
        suffix = f" for client {name}" if config.several_clients else ""
        env[f"JDK that judged{suffix}"] = f"{c.jvm.label}; java {c.jvm.java}" if c.jvm else f"none: {c.engine_note}"
        if c.client.java_options:
            env[f"JVM options{suffix}"] = " ".join(c.client.java_options)
    return env

