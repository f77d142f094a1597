"""datacenters.toml: which pods to check, where the truststore and bundles are.

Every mistake a person can make in this file ends in one `ConfigError` whose message names the file,
the key and the fix, because the people who edit it know keytool, not our code.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cutover.config import proxy as proxy_mod

#: The provider's data centres, in the order of its table.
KNOWN_DATACENTERS: dict[str, str] = {
    "ca2": "CA2 - Toronto",
    "ca3": "CA3 - Calgary",
    "ap1": "AP1 - Sydney",
    "ap2": "AP2 - Singapore",
    "ap4": "AP4 - Melbourne",
    "ap5": "AP5 - Tokyo",
    "em2": "EM2 - Amsterdam",
    "em3": "EM3 - Slough",
    "em4": "EM4 - Frankfurt",
    "em5": "EM5 - Munich",
    "us1": "US1 - ADC",
    "us2": "US2 - Chicago",
    "us6": "US6 - Ashburn",
    "la1": "LA1 - Sao Paulo",
}

DEFAULT_PASSWORD_ENV = "CUTOVER_TRUSTSTORE_PASSWORD"
DEFAULT_PROXY_PASSWORD_ENV = "CUTOVER_PROXY_PASSWORD"

# Keys a data centre inherits from [defaults] and may override; value: (type, default).
_DEFAULTABLE: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "app": (str, "fa"),
    "hostname": (str, "{pod}.{app}.{dc}.oraclecloud.com"),
    "port": (int, 443),
    "root_alias": (str, None),
    "intermediate_alias": (str, None),
    "staging_hostname": (str, None),
    "timeout": ((int, float), 10.0),
    "dns_timeout": ((int, float), None),
    "connect_timeout": ((int, float), None),
    "handshake_timeout": ((int, float), None),
    "renewal_date": ((dt.date, str), None),
    "min_days_after_renewal": (int, 30),
    "warn_days": (int, 14),
    "sr": (str, None),
}
_DC_ONLY = {"name", "pods", "bundle"}
_TOP = {"defaults", "truststore", "datacenters", "run", "sandbox", "clients"}
_TRUSTSTORE = {"path", "password_env", "type"}
_CLIENT = {"truststore", "password_env", "java_home", "java_options", "datacenters"}
#: A client whose store is the judging JDK's own default store (lib/security/cacerts).
JAVA_CACERTS = "java:cacerts"
#: The name of the one client of a file with no [clients] table; its ids carry no client prefix.
DEFAULT_CLIENT = "default"
_RUN = {"nameservers", "java_home", "java_options", "concurrency", "allow_private_ips", "proxy",
        "proxy_password_env"}
#: Look-ups, handshakes and probes at a time. 64 resolves a typical run (14 data centres x 4 pods) in
#: one wave instead of two: `make bench` on 2 CPUs, median of alternated runs, 56 pods 1.76 -> 1.58 s,
#: 504 pods 8.21 -> 7.11 s. 128 bought 0.07 s more at 504 pods (bound by CPU there) for 5 MB, and 64
#: pods ask at most 128 DNS questions at once, under the 150 in flight a dnsmasq forwards by default.
DEFAULT_CONCURRENCY = 64
_SANDBOX = {"scenario", "description"}
_POD_TABLE = {"name", "sr"}
#: A service request number goes into file names (<stem>-SR-<number>.html): letters, digits, dots and hyphens.
_SR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")

_DC_CODE = re.compile(r"^[a-z][a-z0-9]{1,9}$")
_POD = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class ConfigError(Exception):
    """A mistake in datacenters.toml or in an option; the message is the whole explanation."""


@dataclass(frozen=True)
class Target:
    """One pod of one data centre: the unit the pod gates run on.

    Attributes:
        dc: data centre code, lower case (``us2``).
        pod: pod name as the user wrote it (``abcd-test``).
        hostname: the production hostname the client connects to, and the SNI we send.
        port: TLS port.
        staging_hostname: configured fallback staging name, used only when the CNAME chain has no
            Akamai edge hostname in it.
        timeout: seconds each network step may take, unless a step has its own below.
        dns_timeout: seconds all DNS look-ups of one name may take (the resolver's lifetime).
        connect_timeout: seconds a TCP connect may take.
        handshake_timeout: seconds a TLS handshake may take once connected.
        renewal_date: the provider's cutover day for this data centre, when known.
        min_days_after_renewal: the chain must still be valid this many days after the renewal date.
        warn_days: fail loudly when production's leaf expires this soon and staging still serves it.
        sr: the provider's service request this pod's evidence is attached to; None when not set.
    """

    dc: str
    pod: str
    hostname: str
    port: int
    staging_hostname: str | None
    timeout: float
    renewal_date: dt.date | None = None
    min_days_after_renewal: int = 30
    warn_days: int = 14
    dns_timeout: float = 10.0
    connect_timeout: float = 10.0
    handshake_timeout: float = 10.0
    sr: str | None = None

    def later_dates(self) -> tuple[tuple[str, dt.datetime], ...]:
        """(label, instant) pairs the chain must also be valid at: the renewal date and N days after."""
        if self.renewal_date is None:
            return ()
        day = dt.datetime.combine(self.renewal_date, dt.time(), dt.UTC)
        after = day + dt.timedelta(days=self.min_days_after_renewal)
        return ((f"the renewal date {day:%Y-%m-%d}", day),
                (f"{self.min_days_after_renewal} days after the renewal date ({after:%Y-%m-%d})", after))

    @property
    def id(self) -> str:
        return f"{self.dc}/{self.pod}"


@dataclass(frozen=True)
class DataCenter:
    """One data centre of the provider with the pods this client uses there.

    `sr` is the data centre's own service request ([defaults] or its table): the SR its store gates go
    to when it has no pods; with pods, its store gates go to every SR of its pods (`srs`).
    """

    code: str
    name: str
    targets: tuple[Target, ...]
    bundle: Path | None
    root_alias: str | None
    intermediate_alias: str | None
    renewal_date: dt.date | None = None
    sr: str | None = None

    @property
    def srs(self) -> tuple[str, ...]:
        """The service requests whose per-SR report holds this data centre's store gates."""
        if self.targets:
            return tuple(dict.fromkeys(t.sr for t in self.targets if t.sr))
        return (self.sr,) if self.sr else ()

    @property
    def hostnames(self) -> tuple[str, ...]:
        return tuple(t.hostname for t in self.targets)


@dataclass(frozen=True)
class TruststoreConfig:
    """Where the client's truststore is and which environment variable holds its password."""

    path: Path
    password_env: str

    def password(self) -> str | None:
        """The password, read at the last moment so it never sits in a config object or a repr."""
        return os.environ.get(self.password_env)


@dataclass(frozen=True)
class Client:
    """One Java integration: its store, its JDK and system properties, the data centres it talks to.

    A file with no [clients] table has exactly one, named ``default``, made of [truststore] and [run].

    Attributes:
        name: as in ``[clients.<name>]``; the prefix of its gate ids when the run has several clients.
        truststore: the store's file; None for ``java:cacerts``, the store of the client's JDK, found
            once its JDK is (see `cutover.clients`).
        password_env: the environment variable holding the store's password; empty: no password.
        java_home: the client's JDK (or JRE); None: the run's (--java-home, JAVA_HOME, java on PATH).
        java_options: the run's system properties, then the client's own.
        datacenters: the codes of the data centres it talks to.
    """

    name: str
    truststore: Path | None
    password_env: str
    java_home: Path | None
    java_options: tuple[str, ...]
    datacenters: tuple[str, ...]

    @property
    def cacerts(self) -> bool:
        return self.truststore is None

    def password(self) -> str | None:
        """Read at the last moment, so it never sits in a config object or a repr."""
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class Config:
    """Everything one run needs to know, after command-line options were applied."""

    path: Path
    datacenters: tuple[DataCenter, ...]
    clients: tuple[Client, ...]
    nameservers: tuple[tuple[str, int], ...] = ()
    java_home: Path | None = None
    java_options: tuple[str, ...] = ()
    at: dt.datetime | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    allow_private_ips: bool = False
    proxy: proxy_mod.Proxy | None = None
    sandbox_scenario: str | None = None
    sandbox_description: str = ""

    @property
    def targets(self) -> tuple[Target, ...]:
        return tuple(t for dc in self.datacenters for t in dc.targets)

    @property
    def srs(self) -> tuple[str, ...]:
        """Every service request of the run, in the order of the file."""
        return tuple(dict.fromkeys(sr for dc in self.datacenters for sr in (*dc.srs, dc.sr) if sr))

    @property
    def truststore(self) -> TruststoreConfig:
        """The first client's store: the one store of a file with no [clients] table."""
        first = self.clients[0]
        return TruststoreConfig(first.truststore or Path(JAVA_CACERTS), first.password_env)

    @property
    def several_clients(self) -> bool:
        """Whether gate ids carry the client's name (``soa:us2/pod``), as they do with more than one."""
        return len(self.clients) > 1

    def client_datacenters(self, client: Client) -> tuple[DataCenter, ...]:
        return tuple(dc for dc in self.datacenters if dc.code in client.datacenters)

    def jvm_proxy(self, client: Client | None = None) -> proxy_mod.Proxy | None:
        """The proxy a client's JVM goes through (default: the first client's): its own -Dhttps.proxyHost,
        else the run's."""
        return proxy_mod.client_proxy((client or self.clients[0]).java_options, self.proxy)

    @property
    def simulated(self) -> bool:
        """True when the file was written by the sandbox: such a run is never evidence."""
        return self.sandbox_scenario is not None


def parse_nameserver(text: str) -> tuple[str, int]:
    """Parse ``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` as given to ``--nameserver``."""
    import ipaddress

    host, port = text.strip(), "53"
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        if rest.startswith(":"):
            port = rest[1:]
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"nameserver {text!r} is not IP or IP:PORT (for example 10.0.0.53 or 127.0.0.1:5353); "
            "give the address of a DNS resolver, not a name."
        ) from None
    return host, number


def parse_when(text: str) -> dt.datetime:
    """``2026-12-15`` or ``2026-12-15T10:00[:00][Z|+01:00]`` as an aware UTC datetime (naive means UTC)."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--at {text!r} is not an ISO date or date-time; write 2026-12-15 or 2026-12-15T09:00:00Z."
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _date(path: Path, where: str, value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{path}: {where}.renewal_date {value!r} is not a date; write renewal_date = 2026-12-15.") \
            from None


def _closest(word: str, known: Sequence[str]) -> str:
    match = difflib.get_close_matches(word, list(known), n=1)
    return f" Did you mean {match[0]!r}?" if match else ""


def _check_keys(where: str, table: Mapping[str, Any], allowed: set[str], path: Path) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{path}: unknown key {key!r} in {where}.{_closest(key, sorted(allowed))} "
                f"Known keys there: {', '.join(sorted(allowed))}."
            )


def _typed(path: Path, where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join({"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
                             "list": "a list", "date": "a date"}.get(k.__name__, k.__name__) for k in kinds)
        raise ConfigError(f"{path}: {where}.{key} must be {names}, got {value!r}.")
    return value


def _resolve_path(base: Path, value: str) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


def _check_readable_file(path: Path, what: str, where: str) -> None:
    if not path.exists():
        raise ConfigError(f"{where}: {what} {path} does not exist. Fix the path or put the file there.")
    if what != "bundle" and path.is_dir():
        raise ConfigError(f"{where}: {what} {path} is a folder; give the path of the file itself.")
    if not (path.is_file() or path.is_dir()):
        # A FIFO or a device would block a read forever: refuse it rather than hang.
        raise ConfigError(f"{where}: {what} {path} is not a regular file (a pipe or a device?); give a file.")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{where}: {what} {path} cannot be read by this user; check its permissions.")


def _hostname(path: Path, code: str, pod: str, template: str, app: str, key: str) -> str:
    try:
        name = template.format(pod=pod, app=app, dc=code)
    except (KeyError, IndexError, ValueError) as e:
        raise ConfigError(
            f"{path}: datacenters.{code}.{key} {template!r} is not a valid template ({e}); "
            "the only placeholders are {pod}, {app} and {dc}."
        ) from None
    name = name.lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise ConfigError(
            f"{path}: datacenters.{code}.{key} {template!r} gives {name!r} for pod {pod!r}, "
            "which is not a valid DNS name (letters, digits and hyphens, dot-separated)."
        )
    return name


def load(
    path: Path,
    *,
    truststore: Path | None = None,
    nameservers: Sequence[str] = (),
    java_home: Path | None = None,
    only_dcs: Sequence[str] = (),
    only_pods: Sequence[str] = (),
    java_options: Sequence[str] = (),
    at: str | None = None,
    timeouts: Mapping[str, float | None] | None = None,
    concurrency: int | None = None,
    only_clients: Sequence[str] = (),
    proxy: str | None = None,
    no_proxy: bool = False,
    environ: Mapping[str, str] | None = None,
    sr: str | None = None,
) -> Config:
    """Read datacenters.toml and apply the command-line options, which win over the file.

    One function per table below, each checking its own keys, so that a mistake's message and the
    code that finds it sit together. `proxy`/`no_proxy` are --proxy and --no-proxy; `environ` (default:
    this process's) is where HTTPS_PROXY, NO_PROXY and the proxy password are looked up.
    """
    path = Path(path)
    raw = _read_toml(path)
    run = _run_table(path, raw.get("run", {}), nameservers, java_home, java_options, concurrency)
    defaults = _defaults_table(path, raw.get("defaults", {}))
    sandbox_raw = raw.get("sandbox")
    if sandbox_raw is not None:
        _check_keys("[sandbox]", sandbox_raw, _SANDBOX, path)
    datacenters = _datacenters_table(path, raw.get("datacenters", {}), defaults, only_dcs, only_pods,
                                     {k: v for k, v in (timeouts or {}).items() if v is not None})
    if sr is not None:  # --sr: one service request for the whole run, whatever the file says
        one = _sr(path, "--sr", sr)
        datacenters = tuple(replace(dc, sr=one, targets=tuple(replace(t, sr=one) for t in dc.targets))
                            for dc in datacenters)
    clients = _clients(path, raw, run, truststore, {dc.code for dc in datacenters},
                       _all_codes(raw), only_clients)
    run_proxy = _proxy(path, raw.get("run", {}), proxy, no_proxy, os.environ if environ is None else environ,
                       clients)
    return Config(
        path=path,
        datacenters=datacenters,
        clients=clients,
        nameservers=run["nameservers"],
        java_home=run["java_home"],
        java_options=run["java_options"],
        at=parse_when(at) if at else None,
        concurrency=run["concurrency"],
        allow_private_ips=run["allow_private_ips"],
        proxy=run_proxy,
        sandbox_scenario=(sandbox_raw or {}).get("scenario", "unnamed") if sandbox_raw is not None else None,
        sandbox_description=(sandbox_raw or {}).get("description", ""),
    )


def _proxy(path: Path, run_raw: Mapping[str, Any], cli: str | None, no_proxy: bool, environ: Mapping[str, str],
           clients: Sequence[Client]) -> proxy_mod.Proxy | None:
    """The run's proxy, checked now: a proxy user without its password would fail every pod with a 407."""
    toml = _typed(path, "run", "proxy", run_raw["proxy"], str) if "proxy" in run_raw else None
    pw_env = _typed(path, "run", "proxy_password_env",
                    run_raw.get("proxy_password_env", DEFAULT_PROXY_PASSWORD_ENV), str)
    try:
        chosen = proxy_mod.choose(cli, no_proxy, toml, pw_env, environ)
        for client in clients:
            proxy_mod.client_proxy(client.java_options, chosen)
    except proxy_mod.ProxyConfigError as e:
        raise ConfigError(f"{path}: {e}" if str(e).startswith("[run]") else str(e)) from None
    if chosen is not None and chosen.user and chosen.password_env and chosen.password_env not in environ:
        raise ConfigError(
            f"proxy {chosen.label} names user {chosen.user!r} but its password is not set: export "
            f"{chosen.password_env} with it (the variable's name is [run] proxy_password_env in {path}). It is "
            "read from the environment only, never from the command line.")
    return chosen


def _read_toml(path: Path) -> dict[str, Any]:
    _check_readable_file(path, "datacenters file", "--datacenters")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        twice = [n for n, count in _client_headers(path).items() if count > 1]
        if twice:
            raise ConfigError(f"{path}: client {twice[0]!r} is defined twice ([clients.{twice[0]}]); "
                              "give each client its own name, since it labels that client's tests and reports.") \
                from None
        raise ConfigError(f"{path}: not valid TOML: {e}. Fix the syntax at that line.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; is this really datacenters.toml?") from None
    _check_keys("the top level", raw, _TOP, path)
    for table in ("defaults", "truststore", "run", "sandbox", "datacenters", "clients"):
        if not isinstance(raw.get(table, {}), dict):
            raise ConfigError(f"{path}: [{table}] must be a table, got {raw[table]!r}.")
    return raw


def _client_headers(path: Path) -> dict[str, int]:
    """How often each ``[clients.<name>]`` header occurs: TOML's own message for a repeat names no client."""
    import collections

    names = re.findall(r"^\s*\[\s*clients\.\"?([^\]\"]+)\"?\s*\]", path.read_text(encoding="utf-8"), re.M)
    return dict(collections.Counter(n.strip() for n in names))


def _all_codes(raw: Mapping[str, Any]) -> list[str]:
    return list(raw.get("datacenters", {}))


def _defaults_table(path: Path, defaults_raw: Mapping[str, Any]) -> dict[str, Any]:
    _check_keys("[defaults]", defaults_raw, set(_DEFAULTABLE), path)
    defaults = {k: d for k, (_, d) in _DEFAULTABLE.items()}
    for k, v in defaults_raw.items():
        defaults[k] = _typed(path, "defaults", k, v, _DEFAULTABLE[k][0])
    if defaults["sr"] is not None:
        defaults["sr"] = _sr(path, "defaults.sr", defaults["sr"])
    return defaults


def _sr(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str) or not _SR.match(value.strip()):
        origin = where if where == "--sr" else f"{path}: {where}"
        raise ConfigError(
            f"{origin}: service request {value!r} is not an SR number; write it as the provider shows it, "
            'e.g. sr = "3-1234567890" (letters, digits, dots and hyphens: it becomes part of a file name).'
        )
    return value.strip()


def _pod_entry(path: Path, code: str, entry: object, dc_sr: str | None) -> tuple[str, str | None]:
    """A pod is ``"abcd"`` or ``{ name = "abcd", sr = "3-1111" }``: the table form gives it its own SR."""
    where = f"datacenters.{code}.pods"
    if isinstance(entry, dict):
        _check_keys(f"a pod of {where}", entry, _POD_TABLE, path)
        if "name" not in entry:
            raise ConfigError(f'{path}: {where}: a pod table needs a name, e.g. {{ name = "abcd", sr = "3-1111" }}.')
        name = _typed(path, where, "name", entry["name"], str)
        return name, _sr(path, f"{where} ({name}).sr", entry["sr"]) if "sr" in entry else dc_sr
    if not isinstance(entry, str):
        raise ConfigError(f'{path}: {where} entries must be a pod name or {{ name = "...", sr = "..." }}, '
                          f"got {entry!r}.")
    return entry, dc_sr


def _java_options(path: Path, where: str, values: Sequence[Any]) -> tuple[str, ...]:
    for o in values:
        if not isinstance(o, str) or not o.startswith("-D") or "=" not in o:
            raise ConfigError(
                f"{path}: {where}: java option {o!r} is not a system property; write it as -Dname=value, e.g. "
                "--java-option=-Dcom.sun.security.enableAIAcaIssuers=true."
            )
    return tuple(values)


def _run_table(path: Path, run_raw: Mapping[str, Any], nameservers: Sequence[str], java_home: Path | None,
               java_options: Sequence[str], concurrency: int | None) -> dict[str, Any]:
    """[run], with the command line winning: the resolver, the run's JDK and options, concurrency."""
    _check_keys("[run]", run_raw, _RUN, path)
    ns_texts = list(nameservers) or list(_typed(path, "run", "nameservers", run_raw.get("nameservers", []), list))
    workers = concurrency or _typed(path, "run", "concurrency", run_raw.get("concurrency", DEFAULT_CONCURRENCY), int)
    if not 1 <= workers <= 1024:
        raise ConfigError(f"{path}: concurrency {workers} must be between 1 and 1024.")
    if java_home is None and "java_home" in run_raw:
        java_home = _resolve_path(path.parent, _typed(path, "run", "java_home", run_raw["java_home"], str))
    options = list(_typed(path, "run", "java_options", run_raw.get("java_options", []), list)) + list(java_options)
    return {
        "nameservers": tuple(parse_nameserver(_typed(path, "run", "nameservers", n, str)) for n in ns_texts),
        "concurrency": workers,
        "java_home": java_home,
        "java_options": _java_options(path, "[run] java_options or --java-option", options),
        "allow_private_ips": _typed(path, "run", "allow_private_ips", run_raw.get("allow_private_ips", False), bool),
    }


def _store_path(path: Path, value: str, where: str) -> Path | None:
    """A store's file, checked now; None for ``java:cacerts`` (checked once the client's JDK is known)."""
    if value == JAVA_CACERTS:
        return None
    store = _resolve_path(path.parent, value)
    _check_readable_file(store, "truststore", where)
    return store


def _clients(path: Path, raw: Mapping[str, Any], run: Mapping[str, Any], truststore: Path | None,
             codes: set[str], all_codes: list[str], only: Sequence[str]) -> tuple[Client, ...]:
    """[clients.<name>] tables, or the one client ``default`` made of [truststore] and [run]."""
    ts_raw = raw.get("truststore", {})
    _check_keys("[truststore]", ts_raw, _TRUSTSTORE, path)
    clients_raw = raw.get("clients", {})
    every_dc = tuple(all_codes)
    if not clients_raw:
        if only and list(only) != [DEFAULT_CLIENT]:
            raise ConfigError(f"--client {only[0]}: {path} has no [clients] table, so its one client is "
                              f"{DEFAULT_CLIENT!r}. Add [clients.<name>] tables to judge several clients.")
        if truststore is not None:
            store: Path | None = Path(truststore)
            _check_readable_file(store, "truststore", "--truststore")
        elif "path" in ts_raw:
            store = _store_path(path, _typed(path, "truststore", "path", ts_raw["path"], str),
                                f"{path}: [truststore] path")
        else:
            raise ConfigError(
                f"{path}: no truststore given. Add [truststore] path = \"...\" or pass --truststore PATH."
            )
        env = _typed(path, "truststore", "password_env", ts_raw.get("password_env", DEFAULT_PASSWORD_ENV), str)
        return (Client(DEFAULT_CLIENT, store, env, run["java_home"], run["java_options"],
                       tuple(d for d in every_dc if d in codes)),)
    if ts_raw:
        raise ConfigError(f"{path}: both [truststore] and [clients] are set. With [clients], each client names "
                          "its own store: move [truststore] path into a [clients.<name>] table as truststore = ...")
    for name in only:
        if name not in clients_raw:
            raise ConfigError(f"--client {name}: no client {name!r} in {path}.{_closest(name, list(clients_raw))} "
                              f"Configured: {', '.join(clients_raw)}.")
    if truststore is not None and len(only) != 1:
        raise ConfigError(f"--truststore replaces one client's store: with [clients] in {path}, select that client "
                          "with --client NAME as well.")
    clients: list[Client] = []
    seen: dict[str, str] = {}
    for name, table in clients_raw.items():
        clients.append(_client(path, name, table, run, all_codes))
        if name.lower() in seen:  # TOML refuses exact duplicates; ids and reports would confuse these
            raise ConfigError(f"{path}: clients {seen[name.lower()]!r} and {name!r} differ only in case; "
                              "rename one, since the names label its tests and reports.")
        seen[name.lower()] = name
    if only:
        clients = [c for c in clients if c.name in only]
    if truststore is not None:
        _check_readable_file(Path(truststore), "truststore", "--truststore")
        c = clients[0]
        clients = [Client(c.name, Path(truststore), c.password_env, c.java_home, c.java_options, c.datacenters)]
    return tuple(Client(c.name, c.truststore, c.password_env, c.java_home, c.java_options,
                        tuple(d for d in c.datacenters if d in codes)) for c in clients)


def _client(path: Path, name: str, table: Any, run: Mapping[str, Any], all_codes: list[str]) -> Client:
    where = f"[clients.{name}]"
    if not _CLIENT_NAME.match(name):
        raise ConfigError(f"{path}: {where}: a client's name is letters, digits, '-' and '_' (it labels test ids "
                          "such as soa:us2/pod); rename it.")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table with truststore = \"...\".")
    _check_keys(where, table, _CLIENT, path)
    key = f"clients.{name}"
    if "truststore" not in table:
        raise ConfigError(f"{path}: client {name!r} has no truststore. Add truststore = \"path/to/store.jks\" to "
                          f"{where}, or truststore = \"{JAVA_CACERTS}\" for its JDK's own default store.")
    value = _typed(path, key, "truststore", table["truststore"], str)
    store = _store_path(path, value, f"{path}: client {name!r} truststore")
    default_env = "" if store is None else DEFAULT_PASSWORD_ENV
    env = _typed(path, key, "password_env", table.get("password_env", default_env), str)
    java_home = run["java_home"]
    if "java_home" in table:
        java_home = _resolve_path(path.parent, _typed(path, key, "java_home", table["java_home"], str))
    own = _typed(path, key, "java_options", table.get("java_options", []), list)
    options = run["java_options"] + _java_options(path, f"client {name!r} java_options", own)
    dcs = tuple(_typed(path, key, "datacenters", table.get("datacenters", all_codes), list))
    for code in dcs:
        _typed(path, key, "datacenters", code, str)
        if code not in all_codes:
            raise ConfigError(f"{path}: client {name!r} datacenters names {code!r}, which is not a data centre of "
                              f"this file.{_closest(code, all_codes)} Configured: {', '.join(all_codes)}.")
    return Client(name, store, env, java_home, options, dcs)


def _datacenters_table(path: Path, dcs_raw: Mapping[str, Any], defaults: Mapping[str, Any],
                       only_dcs: Sequence[str], only_pods: Sequence[str],
                       cli_timeouts: Mapping[str, float]) -> tuple[DataCenter, ...]:
    """[datacenters.<code>]: each inherits [defaults], the command line's timeouts win; --dc/--pod select."""
    if not dcs_raw:
        raise ConfigError(f"{path}: no [datacenters.<code>] tables; add at least one, e.g. [datacenters.us2].")
    for code in only_dcs:
        if code.lower() not in dcs_raw:
            raise ConfigError(
                f"--dc {code}: no data centre {code!r} in {path}.{_closest(code.lower(), list(dcs_raw))} "
                f"Configured: {', '.join(dcs_raw)}."
            )
    wanted_dcs = {c.lower() for c in only_dcs}
    datacenters: list[DataCenter] = []
    seen_pods: set[str] = set()
    for code, dc_raw in dcs_raw.items():
        dc = _datacenter(path, code, dc_raw, defaults, only_pods, cli_timeouts)
        seen_pods.update(t.pod for t in dc.targets)
        if not wanted_dcs or code in wanted_dcs:
            datacenters.append(dc)
    owners: dict[str, str] = {}
    for dc in datacenters:
        for t in dc.targets:
            if t.hostname in owners:
                raise ConfigError(
                    f"{path}: pods {owners[t.hostname]} and {t.id} both have the hostname {t.hostname}; check the "
                    "hostname template (does it use {pod} and {dc}?) and the pod lists."
                )
            owners[t.hostname] = t.id
    for pod in only_pods:
        if pod not in seen_pods:
            raise ConfigError(f"--pod {pod}: no such pod in the selected data centres of {path}.")
    return tuple(datacenters)


def _datacenter(path: Path, code: str, dc_raw: Any, defaults: Mapping[str, Any], only_pods: Sequence[str],
                cli_timeouts: Mapping[str, float]) -> DataCenter:
    where = f"[datacenters.{code}]"
    if not _DC_CODE.match(code):
        raise ConfigError(f"{path}: {where}: data centre codes are lower case letters and digits, like us2.")
    if not isinstance(dc_raw, dict):
        raise ConfigError(f"{path}: {where} must be a table.")
    _check_keys(where, dc_raw, _DC_ONLY | set(_DEFAULTABLE), path)
    v = dict(defaults)
    for k, value in dc_raw.items():
        if k in _DEFAULTABLE:
            v[k] = _typed(path, f"datacenters.{code}", k, value, _DEFAULTABLE[k][0])
    if "sr" in dc_raw:
        v["sr"] = _sr(path, f"datacenters.{code}.sr", v["sr"])
    if "timeout" in cli_timeouts:
        v.update(timeout=cli_timeouts["timeout"], dns_timeout=None, connect_timeout=None, handshake_timeout=None)
    v.update({k: t for k, t in cli_timeouts.items() if k != "timeout"})
    for k in ("dns_timeout", "connect_timeout", "handshake_timeout"):
        v[k] = v["timeout"] if v[k] is None else v[k]
    name = _typed(path, f"datacenters.{code}", "name", dc_raw.get("name", KNOWN_DATACENTERS.get(code, code)), str)
    if "pods" not in dc_raw:
        raise ConfigError(
            f"{path}: [datacenters.{code}] has no pods key. List the pods you use there, "
            f'pods = ["abcd-test", "abcd"], or write pods = [] to check only its truststore gates.'
        )
    pods = _typed(path, f"datacenters.{code}", "pods", dc_raw["pods"], list)
    if not 0 < v["port"] < 65536:
        raise ConfigError(f"{path}: datacenters.{code}.port {v['port']} is not a TCP port (1-65535).")
    for key in ("min_days_after_renewal", "warn_days"):
        if v[key] < 0:
            raise ConfigError(f"{path}: datacenters.{code}.{key} must be 0 or more days.")
    for k in ("timeout", "dns_timeout", "connect_timeout", "handshake_timeout"):
        if v[k] <= 0:
            raise ConfigError(f"{path}: datacenters.{code}.{k} must be a positive number of seconds.")
    renewal = _date(path, f"datacenters.{code}", v["renewal_date"]) if v["renewal_date"] else None
    targets: list[Target] = []
    listed: set[str] = set()
    for entry in pods:
        pod, pod_sr = _pod_entry(path, code, entry, v["sr"])
        if not _POD.match(pod):
            raise ConfigError(
                f"{path}: datacenters.{code}.pods: {pod!r} is not a pod name "
                "(lower case letters, digits and hyphens)."
            )
        if pod in listed:
            raise ConfigError(f"{path}: datacenters.{code}.pods lists {pod!r} twice; remove one.")
        listed.add(pod)
        if only_pods and pod not in only_pods:
            continue
        hostname = _hostname(path, code, pod, v["hostname"], v["app"], "hostname")
        staging = (_hostname(path, code, pod, v["staging_hostname"], v["app"], "staging_hostname")
                   if v["staging_hostname"] else None)
        targets.append(Target(code, pod, hostname, v["port"], staging, float(v["timeout"]), renewal,
                              v["min_days_after_renewal"], v["warn_days"], float(v["dns_timeout"]),
                              float(v["connect_timeout"]), float(v["handshake_timeout"]), pod_sr))
    bundle = None
    if "bundle" in dc_raw:
        bundle = _resolve_path(path.parent, _typed(path, f"datacenters.{code}", "bundle", dc_raw["bundle"], str))
        _check_readable_file(bundle, "bundle", f"{path}: datacenters.{code}.bundle")
        for key in ("root_alias", "intermediate_alias"):
            if not v[key]:
                raise ConfigError(
                    f"{path}: datacenters.{code} has a bundle but no {key}; add the alias you "
                    f"imported the bundle's {key.split('_')[0]} CA under (see keytool -list)."
                )
    return DataCenter(code, name, tuple(targets), bundle, v["root_alias"], v["intermediate_alias"], renewal,
                      v["sr"])
