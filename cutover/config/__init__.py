"""datacenters.toml: which pods to check, where the truststore and bundles are.

The names the rest of cutover imports (`from cutover.config import Config, load`), gathered here so that
the split into the model (`model`), the shared checks (`values`) and the table readers (`load`,
`clients`) changes no importer.
"""

from cutover.config.load import load
from cutover.config.model import (
    DEFAULT_CLIENT,
    DEFAULT_CONCURRENCY,
    DEFAULT_PASSWORD_ENV,
    DEFAULT_PROXY_PASSWORD_ENV,
    JAVA_CACERTS,
    JAVA_DEFAULT,
    KNOWN_DATACENTERS,
    Client,
    Config,
    ConfigError,
    DataCenter,
    Overrides,
    Target,
)
from cutover.config.values import parse_nameserver, parse_when

__all__ = [
    "DEFAULT_CLIENT",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PASSWORD_ENV",
    "DEFAULT_PROXY_PASSWORD_ENV",
    "JAVA_CACERTS",
    "JAVA_DEFAULT",
    "KNOWN_DATACENTERS",
    "Client",
    "Config",
    "ConfigError",
    "DataCenter",
    "Overrides",
    "Target",
    "load",
    "parse_nameserver",
    "parse_when",
]
