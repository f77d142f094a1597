"""Where each client's store is and how it is opened: its own file, or the one its JDK's JSSE picks.

JSSE's default trust store (JDK 11+'s TrustStoreManager): the file -Djavax.net.ssl.trustStore names, else
``<java.home>/lib/security/jssecacerts`` if it is a readable file, else ``cacerts`` beside it. The option's
file is checked in `cutover.config.jsse`; the JDK's choice is made here, since it needs the client's JDK.
Every store carries why it was chosen, which the terminal, the report and the JSON repeat.

Kept apart from config because ``java:cacerts`` can only be resolved once the client's JDK is found,
and from evidence because the pytest glue reads every store (to check file and password) before any
test runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cutover.config import Client, ConfigError
from cutover.judge.java import JudgeUnavailable, find_java
from cutover.stores import password as store_password

#: CACERTS_* live with the other password reading in cutover.stores.password; named here for evidence.py.


@dataclass(frozen=True)
class StoreSpec:
    """A client's store as the judge opens it.

    Attributes:
        path: the file.
        password_env: the variable holding its password ('' for none).
        cacerts: the JDK's own default store (jssecacerts or cacerts).
        jsse: opened as JSSE opens its default trust store: the type of -Djavax.net.ssl.trustStoreType (else
            the JDK's default type) and a password only when the client's JVM gets one (password_env set): a
            PKCS12 whose certificates are encrypted then holds no anchor, exactly as in the client.
        why: why this file is the one judged, in words (shown wherever the store is named).
        shadows: the JDK's cacerts, when its jssecacerts is judged instead (JSSE never reads both).
        union: the further files trusted together with `path` (`cutover.config.Client.union`): one trust
            decision over the certificates of every file.
    """

    path: Path
    password_env: str
    cacerts: bool = False
    jsse: bool = False
    why: str = ""
    shadows: Path | None = None
    union: tuple[Path, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file judged, `path` first."""
        return (self.path, *self.union)

    def password(self) -> str | None:
        """The password the client's JVM opens the store with; None for none (JSSE treats '' as none too)."""
        if self.jsse:
            return store_password.from_env(self.password_env) or None
        return store_password.from_env(self.password_env, cacerts=self.cacerts)


def cacerts_of(java: Path) -> Path | None:
    """The default store of the JDK (9+: lib/security) or JRE 8 (jre/lib/security) that `java` belongs to."""
    home = java.resolve().parent.parent
    for rel in ("lib/security/cacerts", "jre/lib/security/cacerts"):
        if (home / rel).is_file():
            return home / rel
    return None


def jsse_default(java: Path) -> tuple[Path, Path | None] | None:
    """The store JSSE reads when no option names one: (jssecacerts, the cacerts it shadows) when jssecacerts is a
    readable file, else (cacerts, None); None when the JDK has neither. As TrustStoreManager checks it: a
    jssecacerts that is a folder, or that this user cannot read, is passed over without a word."""
    cacerts = cacerts_of(java)
    home = java.resolve().parent.parent
    for rel in ("lib/security/jssecacerts", "jre/lib/security/jssecacerts"):
        candidate = home / rel
        if candidate.is_file() and os.access(candidate, os.R_OK):
            return candidate, cacerts
    return (cacerts, None) if cacerts is not None else None


def store_of(client: Client) -> StoreSpec:
    """The client's store; for ``java:default`` / ``java:cacerts``, the one its JDK's JSSE reads, and a
    ConfigError naming the client if none."""
    if client.truststore is not None:
        if client.store_from == "option":
            return StoreSpec(client.truststore, client.password_env, jsse=True,
                             why="named by -Djavax.net.ssl.trustStore in the client's java_options")
        if client.union:
            return StoreSpec(client.truststore, client.password_env, union=client.union,
                             why=f"the {len(client.store_files)} files the client's truststore lists, trusted together")
        return StoreSpec(client.truststore, client.password_env, why="named by the client's truststore")
    try:
        java = find_java(client.java_home)
    except JudgeUnavailable as e:
        raise ConfigError(f"client {client.name!r}: truststore java:cacerts is the store of the client's JDK, and "
                          f"none was found ({e}). Set java_home for the client, or give its store's path.") from None
    chosen = jsse_default(java)
    if chosen is None:
        raise ConfigError(f"client {client.name!r}: truststore java:cacerts: the JDK of {java} has no "
                          "lib/security/cacerts. Give the client's store's path instead.")
    path, shadows = chosen
    if path.name == "jssecacerts":
        why = f"the JDK's jssecacerts, which JSSE reads instead of its cacerts ({shadows or 'cacerts'} is not read)"
    else:
        why = "the JDK's cacerts: no -Djavax.net.ssl.trustStore, and no readable jssecacerts beside it"
    return StoreSpec(path, client.password_env, cacerts=True, jsse=True, why=why, shadows=shadows)
