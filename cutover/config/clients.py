"""[truststore] and [clients.<name>]: whose store is judged, with which JDK, against which data centres.

A file with no [clients] table has one client, ``default``, made of [truststore] and [run]; with
[clients], each client names its own store and [truststore] is refused, so no store is judged twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cutover.config.model import DEFAULT_CLIENT, DEFAULT_PASSWORD_ENV, JAVA_CACERTS, Client, ConfigError
from cutover.config.values import check_keys, check_readable_file, closest, resolve_path, system_properties, typed

_TRUSTSTORE = {"path", "password_env", "type"}
_CLIENT = {"truststore", "password_env", "java_home", "java_options", "datacenters"}
_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def _store_path(path: Path, value: str, where: str) -> Path | None:
    """A store's file, checked now; None for ``java:cacerts`` (checked once the client's JDK is known)."""
    if value == JAVA_CACERTS:
        return None
    store = resolve_path(path.parent, value)
    check_readable_file(store, "truststore", where)
    return store


def clients_table(path: Path, raw: Mapping[str, Any], run: Mapping[str, Any], truststore: Path | None,
                  codes: set[str], all_codes: list[str], only: Sequence[str]) -> tuple[Client, ...]:
    """[clients.<name>] tables, or the one client ``default`` made of [truststore] and [run]."""
    ts_raw = raw.get("truststore", {})
    check_keys("[truststore]", ts_raw, _TRUSTSTORE, path)
    clients_raw = raw.get("clients", {})
    every_dc = tuple(all_codes)
    if not clients_raw:
        if only and list(only) != [DEFAULT_CLIENT]:
            raise ConfigError(f"--client {only[0]}: {path} has no [clients] table, so its one client is "
                              f"{DEFAULT_CLIENT!r}. Add [clients.<name>] tables to judge several clients.")
        store: Path | None
        if truststore is not None:
            store = Path(truststore)
            check_readable_file(store, "truststore", "--truststore")
        elif "path" in ts_raw:
            store = _store_path(path, typed(path, "truststore", "path", ts_raw["path"], str),
                                f"{path}: [truststore] path")
        else:
            raise ConfigError(
                f"{path}: no truststore given. Add [truststore] path = \"...\" or pass --truststore PATH."
            )
        env = typed(path, "truststore", "password_env", ts_raw.get("password_env", DEFAULT_PASSWORD_ENV), str)
        return (Client(DEFAULT_CLIENT, store, env, run["java_home"], run["java_options"],
                       tuple(d for d in every_dc if d in codes)),)
    if ts_raw:
        raise ConfigError(f"{path}: both [truststore] and [clients] are set. With [clients], each client names "
                          "its own store: move [truststore] path into a [clients.<name>] table as truststore = ...")
    for name in only:
        if name not in clients_raw:
            raise ConfigError(f"--client {name}: no client {name!r} in {path}.{closest(name, list(clients_raw))} "
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
        check_readable_file(Path(truststore), "truststore", "--truststore")
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
    check_keys(where, table, _CLIENT, path)
    key = f"clients.{name}"
    if "truststore" not in table:
        raise ConfigError(f"{path}: client {name!r} has no truststore. Add truststore = \"path/to/store.jks\" to "
                          f"{where}, or truststore = \"{JAVA_CACERTS}\" for its JDK's own default store.")
    value = typed(path, key, "truststore", table["truststore"], str)
    store = _store_path(path, value, f"{path}: client {name!r} truststore")
    default_env = "" if store is None else DEFAULT_PASSWORD_ENV
    env = typed(path, key, "password_env", table.get("password_env", default_env), str)
    java_home = run["java_home"]
    if "java_home" in table:
        java_home = resolve_path(path.parent, typed(path, key, "java_home", table["java_home"], str))
    own = typed(path, key, "java_options", table.get("java_options", []), list)
    options = run["java_options"] + system_properties(path, f"client {name!r} java_options", own)
    dcs = tuple(typed(path, key, "datacenters", table.get("datacenters", all_codes), list))
    for code in dcs:
        typed(path, key, "datacenters", code, str)
        if code not in all_codes:
            raise ConfigError(f"{path}: client {name!r} datacenters names {code!r}, which is not a data centre of "
                              f"this file.{closest(code, all_codes)} Configured: {', '.join(all_codes)}.")
    return Client(name, store, env, java_home, options, dcs)
