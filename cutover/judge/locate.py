"""Where each client's store is and how it is opened: its own file, or its JDK's ``cacerts``.

Kept apart from config because ``java:cacerts`` can only be resolved once the client's JDK is found,
and from evidence because the pytest glue reads every store (to check file and password) before any
test runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cutover.config import Client, ConfigError
from cutover.judge.java import JudgeUnavailable, find_java
from cutover.stores import password as store_password
from cutover.stores.password import CACERTS_ENV, CACERTS_PASSWORD

#: CACERTS_* live with the other password reading in cutover.stores.password; named here for evidence.py.
__all__ = ["CACERTS_ENV", "CACERTS_PASSWORD", "StoreSpec", "cacerts_of", "store_of"]


@dataclass(frozen=True)
class StoreSpec:
    """A client's store as the judge opens it.

    Attributes:
        path: the file.
        password_env: the variable holding its password ('' for none).
        cacerts: the JDK's own default store, opened with its well-known password.
    """

    path: Path
    password_env: str
    cacerts: bool = False

    def password(self) -> str | None:
        return store_password.from_env(self.password_env, cacerts=self.cacerts)


def cacerts_of(java: Path) -> Path | None:
    """The default store of the JDK (9+: lib/security) or JRE 8 (jre/lib/security) that `java` belongs to."""
    home = java.resolve().parent.parent
    for rel in ("lib/security/cacerts", "jre/lib/security/cacerts"):
        if (home / rel).is_file():
            return home / rel
    return None


def store_of(client: Client) -> StoreSpec:
    """The client's store; for ``java:cacerts``, its JDK's, and a ConfigError naming the client if none."""
    if client.truststore is not None:
        return StoreSpec(client.truststore, client.password_env)
    try:
        java = find_java(client.java_home)
    except JudgeUnavailable as e:
        raise ConfigError(f"client {client.name!r}: truststore java:cacerts is the store of the client's JDK, and "
                          f"none was found ({e}). Set java_home for the client, or give its store's path.") from None
    path = cacerts_of(java)
    if path is None:
        raise ConfigError(f"client {client.name!r}: truststore java:cacerts: the JDK of {java} has no "
                          "lib/security/cacerts. Give the client's store's path instead.")
    return StoreSpec(path, client.password_env or CACERTS_ENV, cacerts=True)
