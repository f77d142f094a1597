"""datacenters.toml: which pods to check, where the truststore and bundles are.

Every mistake a person can make in this file ends in one `ConfigError` whose message names the file,
the key and the fix, because the people who edit it know keytool, not our code. One function per table
below ([clients] in `cutover.config.clients`), each checking its own keys, so that a mistake's message
and the code that finds it sit together.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cutover.config import proxy as proxy_mod
from cutover.config.clients import clients_table
from cutover.config.lines import Lines
from cutover.config.model import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PROXY_PASSWORD_ENV,
    KNOWN_DATACENTERS,
    Client,
    Config,
    ConfigError,
    DataCenter,
    Notice,
    Overrides,
    PodChoice,
    Target,
)
from cutover.config.pods import pod_choice, pod_entry
from cutover.config.rules import PORT_RANGE, is_dns_name, is_ip_literal, is_port
from cutover.config.values import (
    check_keys,
    check_readable_file,
    closest,
    date_value,
    parse_nameserver,
    parse_when,
    resolve_path,
    service_request,
    system_properties,
    typed,
)

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
_RUN = {"nameservers", "java_home", "java_options", "concurrency", "allow_private_ips", "proxy",
        "proxy_password_env", "series"}
_SANDBOX = {"scenario", "description"}

#: The provider's codes (us2), others it uses (em1), or a name a user groups ocs pods under (us-ashburn-1, ocs).
_DC_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def load(path: Path, overrides: Overrides | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read datacenters.toml and apply the command line's `overrides`, which win over the file.

    One function per table below, each checking its own keys, so that a mistake's message and the
    code that finds it sit together. `environ` (default: this process's) is where HTTPS_PROXY, NO_PROXY and
    the proxy password are looked up.
    """
    o = overrides or Overrides()
    path = Path(path)
    raw = _read_toml(path)
    run = _run_table(path, raw.get("run", {}), o.nameservers, o.java_home, o.java_options, o.concurrency)
    defaults = _defaults_table(path, raw.get("defaults", {}))
    sandbox_raw = raw.get("sandbox")
    if sandbox_raw is not None:
        check_keys("[sandbox]", sandbox_raw, _SANDBOX, path)
    warnings: list[tuple[str, str, str]] = []  # (data centre, the entry as written, the sentence)
    choices = tuple(pod_choice(p) for p in o.only_pods)
    datacenters = _datacenters_table(path, raw.get("datacenters", {}), defaults, o.only_dcs, choices,
                                     {k: v for k, v in (o.timeouts or {}).items() if v is not None}, warnings)
    datacenters = _with_sr(path, datacenters, o.sr)
    clients = clients_table(path, raw, run, o.truststore, {dc.code for dc in datacenters},
                       _all_codes(raw), o.only_clients)
    _check_choice_clients(path, choices, clients)
    run_proxy = _proxy(path, raw.get("run", {}), o.proxy, o.no_proxy, os.environ if environ is None else environ,
                       clients)
    return Config(
        path=path,
        datacenters=datacenters,
        clients=clients,
        nameservers=run["nameservers"],
        java_home=run["java_home"],
        java_options=run["java_options"],
        at=parse_when(o.at) if o.at else None,
        concurrency=run["concurrency"],
        allow_private_ips=run["allow_private_ips"],
        proxy=run_proxy,
        sandbox_scenario=(sandbox_raw or {}).get("scenario", "unnamed") if sandbox_raw is not None else None,
        sandbox_description=(sandbox_raw or {}).get("description", ""),
        warnings=tuple(Notice(text, path, Lines(path).entry(code, entry)) for code, entry, text in warnings),
        pod_choices=choices,
        key_lines=_key_lines(Lines(path), datacenters),
        series=_series(path, raw.get("run", {})),
    )


def _series(path: Path, run_raw: Mapping[str, Any]) -> str | None:
    """[run] series: a name of the history series, for two files that are one series (or one file, two)."""
    if "series" not in run_raw:
        return None
    name = typed(path, "run", "series", run_raw["series"], str).strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise ConfigError(f"{path}: [run] series {run_raw['series']!r} must be a name of 1 to 200 printable "
                          "characters (the history series this file's runs belong to); remove it to use the "
                          "file's name.")
    return name


def _with_sr(path: Path, datacenters: tuple[DataCenter, ...], sr: str | None) -> tuple[DataCenter, ...]:
    """--sr: one service request for the whole run, whatever the file says."""
    if sr is None:
        return datacenters
    one = service_request(path, "--sr", sr)
    return tuple(replace(dc, sr=one, targets=tuple(replace(t, sr=one) for t in dc.targets)) for dc in datacenters)


def _key_lines(lines: Lines, datacenters: Sequence[DataCenter]) -> tuple[tuple[str, int], ...]:
    """Each data centre's table and each pod's entry, by line: where a gate's warning about it points."""
    out = [(dc.code, lines.table(dc.code)) for dc in datacenters]
    return (*out, *((t.id, lines.entry(t.dc, t.pod, t.hostname)) for dc in datacenters for t in dc.targets))


def _check_choice_clients(path: Path, choices: Sequence[PodChoice], clients: Sequence[Client]) -> None:
    names = [c.name for c in clients]
    for choice in choices:
        if choice.client is not None and choice.client not in names:
            raise ConfigError(f"--pod {choice.text}: no client {choice.client!r} among this run's clients of {path} "
                              f"({', '.join(names)}); write the pod without it ({choice.text.rpartition(':')[2]}) "
                              "to run every client's gates on it.")


def _proxy(path: Path, run_raw: Mapping[str, Any], cli: str | None, no_proxy: bool, environ: Mapping[str, str],
           clients: Sequence[Client]) -> proxy_mod.Proxy | None:
    """The run's proxy, checked now: a proxy user without its password would fail every pod with a 407."""
    toml = typed(path, "run", "proxy", run_raw["proxy"], str) if "proxy" in run_raw else None
    pw_env = typed(path, "run", "proxy_password_env",
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
    check_readable_file(path, "datacenters file", "--datacenters")
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
    check_keys("the top level", raw, _TOP, path)
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
    check_keys("[defaults]", defaults_raw, set(_DEFAULTABLE), path)
    defaults = {k: d for k, (_, d) in _DEFAULTABLE.items()}
    for k, v in defaults_raw.items():
        defaults[k] = typed(path, "defaults", k, v, _DEFAULTABLE[k][0])
    if defaults["sr"] is not None:
        defaults["sr"] = service_request(path, "defaults.sr", defaults["sr"])
    return defaults


def _run_table(path: Path, run_raw: Mapping[str, Any], nameservers: Sequence[str], java_home: Path | None,
               java_options: Sequence[str], concurrency: int | None) -> dict[str, Any]:
    """[run], with the command line winning: the resolver, the run's JDK and options, concurrency."""
    check_keys("[run]", run_raw, _RUN, path)
    ns_texts = list(nameservers) or list(typed(path, "run", "nameservers", run_raw.get("nameservers", []), list))
    workers = concurrency or typed(path, "run", "concurrency", run_raw.get("concurrency", DEFAULT_CONCURRENCY), int)
    if not 1 <= workers <= 1024:
        raise ConfigError(f"{path}: concurrency {workers} must be between 1 and 1024.")
    if java_home is None and "java_home" in run_raw:
        java_home = resolve_path(path.parent, typed(path, "run", "java_home", run_raw["java_home"], str))
    options = list(typed(path, "run", "java_options", run_raw.get("java_options", []), list)) + list(java_options)
    return {
        "nameservers": tuple(parse_nameserver(typed(path, "run", "nameservers", n, str)) for n in ns_texts),
        "concurrency": workers,
        "java_home": java_home,
        "java_options": system_properties(path, "[run] java_options or --java-option", options),
        "allow_private_ips": typed(path, "run", "allow_private_ips", run_raw.get("allow_private_ips", False), bool),
    }


def _datacenters_table(path: Path, dcs_raw: Mapping[str, Any], defaults: Mapping[str, Any],
                       only_dcs: Sequence[str], only_pods: Sequence[PodChoice],
                       cli_timeouts: Mapping[str, float], warnings: list[tuple[str, str, str]]
                       ) -> tuple[DataCenter, ...]:
    """[datacenters.<code>]: each inherits [defaults], the command line's timeouts win; --dc/--pod select."""
    if not dcs_raw:
        raise ConfigError(f"{path}: no [datacenters.<code>] tables; add at least one, e.g. [datacenters.us2].")
    for code in only_dcs:
        if code.lower() not in dcs_raw:
            raise ConfigError(
                f"--dc {code}: no data centre {code!r} in {path}.{closest(code.lower(), list(dcs_raw))} "
                f"Configured: {', '.join(dcs_raw)}."
            )
    wanted_dcs = {c.lower() for c in only_dcs}
    datacenters: list[DataCenter] = []
    every_pod: list[str] = []  # ids and names of the selected DCs' pods, chosen or not: what a --pod typo meets
    for code, dc_raw in dcs_raw.items():
        dc = _datacenter(path, code, dc_raw, defaults, cli_timeouts, warnings)
        if not wanted_dcs or code in wanted_dcs:
            every_pod += [x for t in dc.targets for x in (t.id, t.pod)]
            chosen = tuple(t for t in dc.targets if not only_pods or any(c.chooses(code, t.pod) for c in only_pods))
            datacenters.append(replace(dc, targets=chosen))
    owners: dict[str, str] = {}
    for dc in datacenters:
        for t in dc.targets:
            if t.hostname in owners:
                raise ConfigError(
                    f"{path}: pods {owners[t.hostname]} and {t.id} both have the hostname {t.hostname}; check the "
                    "hostname template (does it use {pod} and {dc}?) and the pod lists."
                )
            owners[t.hostname] = t.id
    for choice in only_pods:
        if not any(choice.chooses(dc.code, t.pod) for dc in datacenters for t in dc.targets):
            near = closest(choice.text.rpartition(":")[2].lower(), sorted(set(every_pod)))
            raise ConfigError(f"--pod {choice.text}: no such pod in the selected data centres of {path}.{near} "
                              f"Pods are written as the run prints them: abcd, us2/abcd or soa:us2/abcd.")
    return tuple(datacenters)


def _datacenter(path: Path, code: str, dc_raw: Any, defaults: Mapping[str, Any],
                cli_timeouts: Mapping[str, float], warnings: list[tuple[str, str, str]]) -> DataCenter:
    where = f"[datacenters.{code}]"
    if not _DC_CODE.match(code):
        raise ConfigError(f"{path}: {where}: data centre codes are lower-case letters, digits and hyphens, like "
                          "us2, em1 or us-ashburn-1 (at most 40, no hyphen at either end).")
    if not isinstance(dc_raw, dict):
        raise ConfigError(f"{path}: {where} must be a table.")
    check_keys(where, dc_raw, _DC_ONLY | set(_DEFAULTABLE), path)
    v = _dc_settings(path, code, dc_raw, defaults, cli_timeouts)
    name = typed(path, f"datacenters.{code}", "name", dc_raw.get("name", KNOWN_DATACENTERS.get(code, code)), str)
    if "pods" not in dc_raw:
        raise ConfigError(
            f"{path}: [datacenters.{code}] has no pods key. List the pods you use there, "
            f'pods = ["abcd-test", "abcd"], or write pods = [] to check only its truststore gates.'
        )
    pods = typed(path, f"datacenters.{code}", "pods", dc_raw["pods"], list)
    _check_settings(path, code, v)
    renewal = date_value(path, f"datacenters.{code}", v["renewal_date"]) if v["renewal_date"] else None
    targets = _targets(path, code, pods, v, renewal, warnings)
    bundle = _bundle(path, code, dc_raw, v)
    return DataCenter(code, name, targets, bundle, v["root_alias"], v["intermediate_alias"], renewal, v["sr"])


def _dc_settings(path: Path, code: str, dc_raw: Mapping[str, Any], defaults: Mapping[str, Any],
                 cli_timeouts: Mapping[str, float]) -> dict[str, Any]:
    """[defaults], then the data centre's own keys, then the command line's timeouts; a step's own timeout
    falls back to `timeout`, and --timeout replaces the file's per-step ones too."""
    v = dict(defaults)
    for k, value in dc_raw.items():
        if k in _DEFAULTABLE:
            v[k] = typed(path, f"datacenters.{code}", k, value, _DEFAULTABLE[k][0])
    if "sr" in dc_raw:
        v["sr"] = service_request(path, f"datacenters.{code}.sr", v["sr"])
    if "timeout" in cli_timeouts:
        v.update(timeout=cli_timeouts["timeout"], dns_timeout=None, connect_timeout=None, handshake_timeout=None)
    v.update({k: t for k, t in cli_timeouts.items() if k != "timeout"})
    for k in ("dns_timeout", "connect_timeout", "handshake_timeout"):
        v[k] = v["timeout"] if v[k] is None else v[k]
    return v


def _check_settings(path: Path, code: str, v: Mapping[str, Any]) -> None:
    if not is_port(v["port"]):
        raise ConfigError(f"{path}: datacenters.{code}.port {v['port']} is not {PORT_RANGE}.")
    for key in ("min_days_after_renewal", "warn_days"):
        if v[key] < 0:
            raise ConfigError(f"{path}: datacenters.{code}.{key} must be 0 or more days.")
    for k in ("timeout", "dns_timeout", "connect_timeout", "handshake_timeout"):
        if v[k] <= 0:
            raise ConfigError(f"{path}: datacenters.{code}.{k} must be a positive number of seconds.")


def _targets(path: Path, code: str, pods: Sequence[object], v: Mapping[str, Any], renewal: dt.date | None,
             warnings: list[tuple[str, str, str]]) -> tuple[Target, ...]:
    """The data centre's pods, each checked even when --pod leaves it out (the caller chooses), so a typo is
    found on any run.

    A pod may carry its own hostname (see `cutover.config.pods`), in a data centre its name does not
    contain (ocs pods grouped by region): its data centre is where the user put it, for its bundle and
    store gates."""
    targets: list[Target] = []
    listed: dict[str, str] = {}  # pod id -> its hostname, to name both when two entries share an id
    for raw in pods:
        entry = pod_entry(path, code, raw, v["sr"])
        hostname = entry.hostname or _hostname(path, code, entry.id, v["hostname"], v["app"], "hostname")
        if entry.id in listed:
            raise ConfigError(
                f"{path}: datacenters.{code}.pods: two pods have the id {entry.id!r} ({listed[entry.id]} and "
                f'{hostname}); remove one, or name one: {{ name = "{entry.id}-2", hostname = "{hostname}" }}.')
        listed[entry.id] = hostname
        if entry.warning:
            written = raw if isinstance(raw, str) else str(raw.get("hostname", entry.id)) if isinstance(raw, dict) \
                else entry.id
            warnings.append((code, written.strip(), entry.warning))
        staging = (_hostname(path, code, entry.id, v["staging_hostname"], v["app"], "staging_hostname")
                   if v["staging_hostname"] else None)
        targets.append(Target(code, entry.id, hostname, entry.port or v["port"], staging, float(v["timeout"]),
                              renewal, v["min_days_after_renewal"], v["warn_days"], float(v["dns_timeout"]),
                              float(v["connect_timeout"]), float(v["handshake_timeout"]), entry.sr))
    return tuple(targets)


def _bundle(path: Path, code: str, dc_raw: Mapping[str, Any], v: Mapping[str, Any]) -> Path | None:
    """The provider's bundle, checked now, with the aliases its CAs are imported under (aliases_present needs them)."""
    if "bundle" not in dc_raw:
        return None
    bundle = resolve_path(path.parent, typed(path, f"datacenters.{code}", "bundle", dc_raw["bundle"], str))
    check_readable_file(bundle, "bundle", f"{path}: datacenters.{code}.bundle")
    for key in ("root_alias", "intermediate_alias"):
        if not v[key]:
            raise ConfigError(
                f"{path}: datacenters.{code} has a bundle but no {key}; add the alias you "
                f"imported the bundle's {key.split('_')[0]} CA under (see keytool -list)."
            )
    return bundle


def _hostname(path: Path, code: str, pod: str, template: str, app: str, key: str) -> str:
    try:
        name = template.format(pod=pod, app=app, dc=code)
    except (KeyError, IndexError, ValueError) as e:
        raise ConfigError(
            f"{path}: datacenters.{code}.{key} {template!r} is not a valid template ({e}); "
            "the only placeholders are {pod}, {app} and {dc}."
        ) from None
    name = name.lower().rstrip(".")
    if is_ip_literal(name):
        raise ConfigError(
            f"{path}: datacenters.{code}.{key} {template!r} gives {name!r} for pod {pod!r}, which is an IP "
            "address, not a hostname: the JVM verifies the certificate against the hostname and sends it as SNI, "
            "so give the pod's production hostname (e.g. {pod}.fa.us2.oraclecloud.com)."
        )
    if not is_dns_name(name):
        raise ConfigError(
            f"{path}: datacenters.{code}.{key} {template!r} gives {name!r} for pod {pod!r}, "
            "which is not a valid DNS name (letters, digits and hyphens, dot-separated)."
        )
    return name
