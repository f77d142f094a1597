"""The checks every table reader of datacenters.toml shares: a key's type, a file's presence, an SR number.

Each raises the one-paragraph `ConfigError` that names the file, the key and the fix; the table readers
(`cutover.config.load`, `cutover.config.clients`) only say which key they are reading.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cutover.base import instants
from cutover.config.model import ConfigError
from cutover.config.rules import is_port

#: A service request number goes into file names (<stem>-SR-<number>.html): letters, digits, dots and hyphens.
_SR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")


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
        if not is_port(number):
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"nameserver {text!r} is not IP or IP:PORT (for example 10.0.0.53 or 127.0.0.1:5353); "
            "give the address of a DNS resolver, not a name."
        ) from None
    return host, number


def parse_when(text: str) -> dt.datetime:
    """``--at``: ``2026-12-15`` or ``2026-12-15T10:00[:00][Z|+01:00]`` as an aware UTC datetime (naive means UTC)."""
    try:
        return instants.parse_when(text)
    except ValueError:
        raise ConfigError(
            f"--at {text!r} is not an ISO date or date-time; write 2026-12-15 or 2026-12-15T09:00:00Z."
        ) from None


def date_value(path: Path, where: str, value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{path}: {where}.renewal_date {value!r} is not a date; write renewal_date = 2026-12-15.") \
            from None


def closest(word: str, known: Sequence[str]) -> str:
    match = difflib.get_close_matches(word, list(known), n=1)
    return f" Did you mean {match[0]!r}?" if match else ""


def check_keys(where: str, table: Mapping[str, Any], allowed: set[str], path: Path) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{path}: unknown key {key!r} in {where}.{closest(key, sorted(allowed))} "
                f"Known keys there: {', '.join(sorted(allowed))}."
            )


def typed(path: Path, where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join({"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
                             "list": "a list", "date": "a date"}.get(k.__name__, k.__name__) for k in kinds)
        raise ConfigError(f"{path}: {where}.{key} must be {names}, got {value!r}.")
    return value


def resolve_path(base: Path, value: str) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


def check_readable_file(path: Path, what: str, where: str) -> None:
    if not path.exists():
        raise ConfigError(f"{where}: {what} {path} does not exist. Fix the path or put the file there.")
    if what != "bundle" and path.is_dir():
        raise ConfigError(f"{where}: {what} {path} is a folder; give the path of the file itself.")
    if not (path.is_file() or path.is_dir()):
        # A FIFO or a device would block a read forever: refuse it rather than hang.
        raise ConfigError(f"{where}: {what} {path} is not a regular file (a pipe or a device?); give a file.")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{where}: {what} {path} cannot be read by this user; check its permissions.")


def service_request(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str) or not _SR.match(value.strip()):
        origin = where if where == "--sr" else f"{path}: {where}"
        raise ConfigError(
            f"{origin}: service request {value!r} is not an SR number; write it as the provider shows it, "
            'e.g. sr = "3-1234567890" (letters, digits, dots and hyphens: it becomes part of a file name).'
        )
    return value.strip()


def system_properties(path: Path, where: str, values: Sequence[Any]) -> tuple[str, ...]:
    for o in values:
        if not isinstance(o, str) or not o.startswith("-D") or "=" not in o:
            raise ConfigError(
                f"{path}: {where}: java option {o!r} is not a system property; write it as -Dname=value, e.g. "
                "--java-option=-Dcom.sun.security.enableAIAcaIssuers=true."
            )
    return tuple(values)
