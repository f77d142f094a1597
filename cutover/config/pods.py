"""One entry of a data centre's ``pods`` list: a pod name, a full hostname, a URL, or a table.

Users copy pods from the browser's address bar, and many pods today have no name in the provider's
template (``fa-eabc-test-saasfaprod1.fa.ocs.oraclecloud.com``, ``eqay-dev3.fa.em1.ukg.oraclecloud.com``),
so a pod may carry its own hostname; its id is then the hostname's first label. Kept apart from the
table readers (`cutover.config.load`) because reading one entry has its own rules and mistakes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cutover.config.model import ConfigError, PodChoice
from cutover.config.rules import PORT_RANGE, is_dns_name, is_ip_literal, is_port
from cutover.config.values import check_keys, service_request, typed

_POD = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_POD_TABLE = {"name", "hostname", "port", "sr"}


@dataclass(frozen=True)
class PodEntry:
    """A pod as its entry says, before the data centre's settings fill in the rest.

    Attributes:
        id: the pod's name: as written, else its hostname's first label.
        hostname: its own hostname; None: made from the data centre's hostname template.
        port: its own TLS port (a URL's, or the table's); None: the data centre's.
        sr: its service request (its own, else the data centre's).
        warning: a sentence the run shows (a scheme other than https), or None.
    """

    id: str
    hostname: str | None
    port: int | None
    sr: str | None
    warning: str | None = None


def pod_entry(path: Path, code: str, entry: object, dc_sr: str | None) -> PodEntry:
    """``"abcd"``, ``"abcd.fa.us2.oraclecloud.com"``, ``"https://abcd.fa.us2.oraclecloud.com/fscmUI/"`` or
    ``{ name = "abcd", hostname = "...", port = 443, sr = "3-1111" }``."""
    where = f"datacenters.{code}.pods"
    if isinstance(entry, dict):
        return _table(path, where, entry, dc_sr)
    if not isinstance(entry, str):
        raise ConfigError(f'{path}: {where} entries must be a pod name, a hostname, a URL or '
                          f'{{ name = "...", hostname = "...", sr = "..." }}, got {entry!r}.')
    text = entry.strip()
    if "://" in text or "." in text or ":" in text:
        host, port, warning = host_of(path, where, text)
        return PodEntry(first_label(path, where, host), host, port, dc_sr, warning)
    return PodEntry(pod_name(path, where, text), None, None, dc_sr)


def _table(path: Path, where: str, entry: dict[str, object], dc_sr: str | None) -> PodEntry:
    check_keys(f"a pod of {where}", entry, _POD_TABLE, path)
    if "name" not in entry and "hostname" not in entry:
        raise ConfigError(f"{path}: {where}: a pod table needs a name or a hostname, e.g. "
                          '{ name = "abcd", sr = "3-1111" } or { hostname = "abcd.fa.ocs.oraclecloud.com" }.')
    host, port, warning = None, None, None
    if "hostname" in entry:
        host, port, warning = host_of(path, where, typed(path, where, "hostname", entry["hostname"], str))
    if "name" in entry:
        name = pod_name(path, where, typed(path, where, "name", entry["name"], str))
    else:
        name = first_label(path, where, host or "")
    if "port" in entry:
        port = typed(path, f"{where} ({name})", "port", entry["port"], int)
    if port is not None and not is_port(port):
        raise ConfigError(f"{path}: {where} ({name}): port {port} is not {PORT_RANGE}.")
    sr = service_request(path, f"{where} ({name}).sr", entry["sr"]) if "sr" in entry else dc_sr
    return PodEntry(name, host, port, sr, warning)


def pod_name(path: Path, where: str, name: str) -> str:
    if not _POD.match(name):
        raise ConfigError(
            f"{path}: {where}: {name!r} is not a pod name (lower case letters, digits and hyphens); "
            'or give the pod its hostname, e.g. "abcd.fa.us2.oraclecloud.com", or its URL.'
        )
    return name


def first_label(path: Path, where: str, host: str) -> str:
    """A pod written by its hostname is named by the first label (``fa-eabc-test-saasfaprod1``)."""
    return pod_name(path, where, host.split(".")[0])


def host_of(path: Path, where: str, text: str) -> tuple[str, int | None, str | None]:
    """(hostname, port or None, warning or None) of a hostname or a URL; a URL's path is ignored."""
    text = text.strip()
    port: int | None = None
    warning = None
    if "://" in text:
        parts = urlsplit(text)
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"{path}: {where}: {text!r} has no valid port (1-65535) after the host.") from None
        host = parts.hostname or ""
        if parts.scheme.lower() != "https":
            warning = (f"{where}: {text!r} is not an https:// URL; cutover checks its host {host} over TLS "
                       f"on port {port or 'of the data centre'} all the same (write https:// to silence this).")
    else:
        host = text
        if text.count(":") == 1:  # host:port, as some copy it
            host, _, number = text.partition(":")
            if not number.isdigit():
                raise ConfigError(f"{path}: {where}: {text!r} is not HOST or HOST:PORT; write the hostname only.")
            port = int(number)
    if port is not None and not is_port(port):
        raise ConfigError(f"{path}: {where}: {text!r}: port {port} is not {PORT_RANGE}.")
    return check_hostname(path, where, text, host), port, warning


def check_hostname(path: Path, where: str, text: str, host: str) -> str:
    """A DNS name: an IP literal would send no SNI and match no certificate (Python's ssl sends none for it)."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if is_ip_literal(host):
        raise ConfigError(f"{path}: {where}: {text!r} is an IP address, not a hostname; write the pod's hostname "
                          "(its certificate names it, and the staging twin is found from it).")
    if not is_dns_name(host):
        raise ConfigError(f"{path}: {where}: {text!r} is not a hostname (letters, digits and hyphens, "
                          "dot-separated, e.g. abcd.fa.us2.oraclecloud.com) nor an https:// URL.")
    return host


def pod_choice(text: str) -> PodChoice:
    """``--pod abcd``, ``--pod us2/abcd`` or ``--pod soa:us2/abcd``: the forms a run prints (ids, the report)."""
    client, _, rest = text.strip().rpartition(":")
    dc, _, pod = rest.lower().rpartition("/")
    if not _POD.match(pod) or (dc and not _POD.match(dc)) or (client and not client.strip()) or ":" in client:
        raise ConfigError(f"--pod {text}: not a pod as the run prints one; write its name (abcd: that pod in every "
                          "data centre), DC/NAME (us2/abcd) or, for one client's gates, CLIENT:DC/NAME (soa:us2/abcd).")
    return PodChoice(text, pod, dc or None, client or None)
