"""[truststore] and [clients.<name>]: whose store is judged, with which JDK, against which data centres.

A file with no [clients] table has one client, ``default``, made of [truststore] and [run]; with
[clients], each client names its own store and [truststore] is refused, so no store is judged twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cutover.config import jsse
from cutover.config.model import (
    DEFAULT_CLIENT,
    DEFAULT_PASSWORD_ENV,
    JAVA_CACERTS,
    JAVA_DEFAULT,
    Client,
    ConfigError,
)
from cutover.config.values import check_keys, check_readable_file, closest, resolve_path, system_properties, typed

_TRUSTSTORE = {"path", "password_env", "type", "working_dir"}
_CLIENT = {"truststore", "password_env", "java_home", "java_options", "datacenters", "working_dir", "http_client"}
#: The HTTP stacks a client may name, and whether each applies https.protocols and https.cipherSuites.
HTTP_CLIENTS = {"HttpsURLConnection": True, "apache-system-properties": True, "java.net.http": False,
                "okhttp": False, "netty": False}
_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_JDK_STORES = (JAVA_CACERTS, JAVA_DEFAULT)


def _store_path(path: Path, value: str, where: str) -> Path | None:
    """A store's file, checked now; None for ``java:cacerts`` / ``java:default`` (the JDK's, found once the
    client's JDK is known)."""
    if value in _JDK_STORES:
        return None
    store = resolve_path(path.parent, value)
    check_readable_file(store, "truststore", where)
    return store


def _store_files(path: Path, key: str, field: str, value: Any, where: str) -> tuple[str, Path | None, tuple[Path, ...]]:
    """A truststore value: one file, ``java:...``, or a list of files trusted together (WebLogic's Demo trust).

    Returns how the toml names it (for messages), the first file (None for the JDK's store) and the others. A list
    holds paths only: ``java:default`` means the file JSSE picks (jssecacerts or cacerts), which a runtime that
    trusts several files (WebLogic) does not ask JSSE for; write the cacerts file's own path.
    """
    if not isinstance(value, list):
        named = typed(path, key, field, value, str)
        return named, _store_path(path, named, where), ()
    if not value:
        raise ConfigError(f"{path}: {where} is an empty list: name the file the client trusts, or several files "
                          'trusted together as ["first.jks", "second.jks"].')
    files: list[Path] = []
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"{path}: {where} must list file paths as strings, got {item!r}.")
        if item in _JDK_STORES:
            raise ConfigError(f"{path}: {where} lists {item!r}: in a list of files trusted together, write the "
                              "JDK's cacerts by its path (for example \"/usr/lib/jvm/jdk-17/lib/security/cacerts\"): "
                              f"{item} means the one file JSSE picks, which a runtime reading several files does "
                              "not ask for.")
        store = _store_path(path, item, where)
        assert store is not None
        if any(jsse.same_file(store, f) for f in files):
            raise ConfigError(f"{path}: {where} lists {item!r} twice; list each file once.")
        files.append(store)
    return ", ".join(map(str, files)), files[0], tuple(files[1:])


def _store(path: Path, where: str, toml_store: Path | None, named: str, options: Sequence[str],
           working_dir: Path | None, union: tuple[Path, ...] = ()) -> tuple[Path | None, str]:
    """The store the client's JVM reads and who names it (`Client.store_from`), as JSSE decides it.

    `toml_store`: the file the toml (or --truststore) names, None for the JDK's store or none; `named`: how the
    toml names it, for a message ('' when it names none). An option naming another file than the toml is a
    usage error naming both: judging either would be a guess at which one the client reads.
    """
    trust = jsse.trust_options(path, where, options, working_dir)
    if trust.store is None:
        return toml_store, "toml" if toml_store is not None else "jdk"
    if union:
        raise ConfigError(
            f"{path}: {where}: truststore lists several files trusted together ({named}) and its java_options "
            f"-D{jsse.TRUST_STORE}={trust.store} names one, which replaces them for JSSE. Name one: remove the option, "
            "or write truststore = the option's file.")
    if named and (toml_store is None or not jsse.same_file(toml_store, trust.store)):
        raise ConfigError(
            f"{path}: {where}: truststore = {named!r}{f' ({toml_store})' if toml_store else ''} and its java_options "
            f"-D{jsse.TRUST_STORE}={trust.store} name two stores, and the client's JVM reads the option's. Name one: "
            "remove truststore (the option's file is then judged) or make both name the same file.")
    return trust.store, "option"


def _working_dir(path: Path, key: str, table: Mapping[str, Any]) -> Path | None:
    if "working_dir" not in table:
        return None
    return resolve_path(path.parent, typed(path, key, "working_dir", table["working_dir"], str))


def clients_table(path: Path, raw: Mapping[str, Any], run: Mapping[str, Any], truststore: Path | None,
                  codes: set[str], all_codes: list[str], only: Sequence[str]) -> tuple[Client, ...]:
    """[clients.<name>] tables, or the one client ``default`` made of [truststore] and [run]."""
    ts_raw = raw.get("truststore", {})
    check_keys("[truststore]", ts_raw, _TRUSTSTORE, path)
    jsse.check_launcher_variables()
    clients_raw = raw.get("clients", {})
    every_dc = tuple(all_codes)
    if not clients_raw:
        if only and list(only) != [DEFAULT_CLIENT]:
            raise ConfigError(f"--client {only[0]}: {path} has no [clients] table, so its one client is "
                              f"{DEFAULT_CLIENT!r}. Add [clients.<name>] tables to judge several clients.")
        store: Path | None = None
        named = ""
        union: tuple[Path, ...] = ()
        if truststore is not None:
            store, named = Path(truststore), str(truststore)
            check_readable_file(store, "truststore", "--truststore")
        elif "path" in ts_raw:
            named, store, union = _store_files(path, "truststore", "path", ts_raw["path"], f"{path}: [truststore] path")
        elif not any(o.startswith(f"-D{jsse.TRUST_STORE}=") for o in run["java_options"]):
            raise ConfigError(
                f"{path}: no truststore given. Add [truststore] path = \"...\" or pass --truststore PATH."
            )
        store, store_from = _store(path, "[run] java_options", store, named, run["java_options"],
                                   _working_dir(path, "truststore", ts_raw), union)
        default_env = DEFAULT_PASSWORD_ENV if store_from == "toml" else ""
        env = typed(path, "truststore", "password_env", ts_raw.get("password_env", default_env), str)
        return (Client(DEFAULT_CLIENT, store, env, run["java_home"], run["java_options"],
                       tuple(d for d in every_dc if d in codes), store_from,
                       _working_dir(path, "truststore", ts_raw), union=union),)
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
        store, store_from = _store(path, f"client {c.name!r}", Path(truststore), str(truststore), c.java_options,
                                   c.working_dir)
        clients = [replace(c, truststore=store, store_from=store_from, union=())]
    return tuple(replace(c, datacenters=tuple(d for d in c.datacenters if d in codes)) for c in clients)


def _client(path: Path, name: str, table: Any, run: Mapping[str, Any], all_codes: list[str]) -> Client:
    where = f"[clients.{name}]"
    if not _CLIENT_NAME.match(name):
        raise ConfigError(f"{path}: {where}: a client's name is letters, digits, '-' and '_' (it labels test ids "
                          "such as soa:us2/pod); rename it.")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table with truststore = \"...\".")
    check_keys(where, table, _CLIENT, path)
    key = f"clients.{name}"
    own = typed(path, key, "java_options", table.get("java_options", []), list)
    options = run["java_options"] + system_properties(path, f"client {name!r} java_options", own)
    if "truststore" not in table and not any(o.startswith(f"-D{jsse.TRUST_STORE}=") for o in options):
        raise ConfigError(f"{path}: client {name!r} has no truststore. Add truststore = \"path/to/store.jks\" to "
                          f"{where}, or truststore = \"{JAVA_DEFAULT}\" for the store its JDK reads by default "
                          f"(jssecacerts, else cacerts), or -D{jsse.TRUST_STORE}=... to its java_options.")
    value: str = ""
    first: Path | None = None
    union: tuple[Path, ...] = ()
    if "truststore" in table:
        value, first, union = _store_files(path, key, "truststore", table["truststore"],
                                           f"{path}: client {name!r} truststore")
    working_dir = _working_dir(path, key, table)
    store, store_from = _store(path, f"client {name!r}", first, value, options, working_dir, union)
    default_env = DEFAULT_PASSWORD_ENV if store_from == "toml" else ""
    env = typed(path, key, "password_env", table.get("password_env", default_env), str)
    java_home = run["java_home"]
    if "java_home" in table:
        java_home = resolve_path(path.parent, typed(path, key, "java_home", table["java_home"], str))
    dcs = tuple(typed(path, key, "datacenters", table.get("datacenters", all_codes), list))
    for code in dcs:
        typed(path, key, "datacenters", code, str)
        if code not in all_codes:
            raise ConfigError(f"{path}: client {name!r} datacenters names {code!r}, which is not a data centre of "
                              f"this file.{closest(code, all_codes)} Configured: {', '.join(all_codes)}.")
    stack = typed(path, key, "http_client", table.get("http_client", "HttpsURLConnection"), str)
    if stack not in HTTP_CLIENTS:
        raise ConfigError(f"{path}: client {name!r} http_client = {stack!r} is not one cutover knows. Known: "
                          f"{', '.join(HTTP_CLIENTS)} (the first two apply -Dhttps.protocols and -Dhttps.cipherSuites "
                          "to every connection, the others ignore them).")
    return Client(name, store, env, java_home, options, dcs, store_from, working_dir, HTTP_CLIENTS[stack], union)
