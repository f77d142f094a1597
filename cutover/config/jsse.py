"""The trust options of a client's JVM, read as JSSE reads them, and the ones cutover refuses to guess.

JSSE's default trust (JDK 11+'s TrustStoreManager) is decided by four system properties: the store named
by ``javax.net.ssl.trustStore`` (else ``<java.home>/lib/security/jssecacerts``, else ``cacerts``: the first
readable file wins), its type ``javax.net.ssl.trustStoreType``, its provider ``trustStoreProvider`` and its
password ``trustStorePassword``, whose *presence* matters: without it the store is opened with no password.
This module reads those options from a client's ``java_options`` and refuses, with one paragraph each, what
would make the judged store differ from the client's: a clash with the toml's ``truststore``, a file that is
not there (JSSE would silently fall back to cacerts), a relative path with no known working directory, a
password written into the toml, and the stores and option sources cutover does not model. The JDK's own
choice (jssecacerts or cacerts) needs the client's JDK, so it is made in `cutover.judge.locate`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cutover.config.model import ConfigError

TRUST_STORE = "javax.net.ssl.trustStore"
TRUST_STORE_TYPE = "javax.net.ssl.trustStoreType"
TRUST_STORE_PROVIDER = "javax.net.ssl.trustStoreProvider"
TRUST_STORE_PASSWORD = "javax.net.ssl.trustStorePassword"

#: Stores that are no file JSSE reads through a KeyStore of its own (the OS's, a token): not modelled.
UNMODELLED_TYPES = ("windows-root", "windows-my", "windows-root-localmachine", "windows-my-localmachine",
                    "keychainstore", "pkcs11")
#: Variables a JVM reads options from besides its command line: cutover cannot know the client's values.
LAUNCHER_VARIABLES = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
#: Property prefixes that change what a handshake or its trust decision is (set by a launcher variable: refused;
#: in a client's java_options without a JVM: not judged, `cutover.judge.python.unmodelled`).
DECISIVE = ("-Djavax.net.ssl.", "-Dhttps.", "-Djsse.", "-Djdk.tls.", "-Djdk.certpath.", "-Djava.security.",
            "-Dcom.sun.net.ssl.", "-Dcom.sun.security.", "-Djdk.security.", "-Dsun.security.", "-Docsp.")


@dataclass(frozen=True)
class TrustOptions:
    """What a client's java_options say about its trust store.

    Attributes:
        store: the file ``-Djavax.net.ssl.trustStore`` names, resolved from the client's working directory;
            None when no option names one (JSSE then takes the JDK's jssecacerts, else cacerts).
        store_type: ``-Djavax.net.ssl.trustStoreType``; None for ``KeyStore.getDefaultType()``.
        provider: ``-Djavax.net.ssl.trustStoreProvider``; None for the first provider of the type.
    """

    store: Path | None
    store_type: str | None
    provider: str | None


def properties(options: Sequence[str]) -> dict[str, str]:
    """The options' system properties by name; a later -D wins, as on a java command line."""
    out: dict[str, str] = {}
    for o in options:
        name, _, value = o[2:].partition("=")
        out[name] = value
    return out


def trust_options(toml: Path, where: str, options: Sequence[str], working_dir: Path | None) -> TrustOptions:
    """Read the trust properties of `options` (a client's java_options), refusing what is not modelled.

    `where` names the client in a message (``client 'soa'``); `working_dir` is the folder the client's JVM
    starts in, from which it resolves a relative path, as java.io.File does.
    """
    props = properties(options)
    if TRUST_STORE_PASSWORD in props:
        raise ConfigError(
            f"{toml}: {where}: java_options sets -D{TRUST_STORE_PASSWORD}, which would put the store's password in "
            "datacenters.toml. Remove it and set password_env = \"VARIABLE\" for the client instead: its JVM then "
            "gets a trust-store password, read from that variable when the store is opened and never printed. "
            "Without password_env the store is opened with no password, as JSSE opens it.")
    kind = props.get(TRUST_STORE_TYPE)
    named = props.get(TRUST_STORE)
    provider = props.get(TRUST_STORE_PROVIDER) or None
    if named == "NONE" or (kind or "").lower() in UNMODELLED_TYPES or (provider or "").lower().startswith("sunpkcs11"):
        what = f"-D{TRUST_STORE}=NONE" if named == "NONE" else \
            f"-D{TRUST_STORE_TYPE}={kind}" if kind and kind.lower() in UNMODELLED_TYPES else \
            f"-D{TRUST_STORE_PROVIDER}={provider}"
        raise ConfigError(
            f"{toml}: {where}: java_options sets {what}: a store that is no file (the operating system's, a token "
            "or a hardware module) is not modelled by cutover, which can only judge a keystore file it can read. "
            "Judge a file exported from that store instead (truststore = \"path\"), or leave this client out.")
    store = None
    if named:
        p = Path(named)
        if not p.is_absolute():
            if working_dir is None:
                raise ConfigError(
                    f"{toml}: {where}: -D{TRUST_STORE}={named} is a relative path, which the client's JVM resolves "
                    "from the folder it starts in. Give the absolute path, or set working_dir = \"...\" for the "
                    "client (the folder its start script runs java from).")
            p = working_dir / p
        if not p.is_file():
            raise ConfigError(
                f"{toml}: {where}: -D{TRUST_STORE} names {p}, which does not exist here (or is not a file). JSSE "
                "would then fall back to the JDK's cacerts without a word, so cutover would judge another store "
                "than the one the option means. Fix the path, or run cutover where that file is.")
        store = p
    return TrustOptions(store, kind or None, provider)


def check_launcher_variables(environ: Mapping[str, str] | None = None) -> None:
    """Refuse a run whose environment sets trust or TLS options through JAVA_TOOL_OPTIONS or its kin.

    Every JVM started here (the probe's too) would read them, and a client's own launcher sets its own: cutover
    cannot know which apply to the client. They belong in its java_options, where they are judged."""
    env = os.environ if environ is None else environ
    for name in LAUNCHER_VARIABLES:
        found = [w for w in env.get(name, "").split() if w.startswith(DECISIVE)]
        if found:
            raise ConfigError(
                f"{name} sets {' '.join(w.partition('=')[0] for w in found)}: options that come from "
                f"{name} (or {', '.join(v for v in LAUNCHER_VARIABLES if v != name)}) are not modelled, since every "
                "JVM of the run would read them and the client's own launcher sets its own. Unset it for the run "
                "and put the client's options in its java_options in datacenters.toml.")


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (a symlink or a ``..`` on the way counts as the same)."""
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False
