"""keytool's arguments, built in one place: the commands a fix plan prints, the ones `cutover prepare` runs on a
copy, and the stores the sandbox and the suite's tests make, so that none of them can drift from the others.

Only arguments here (a list, never a shell line): quoting them for the shell a person pastes into is the
outputs' job (`cutover.outputs.fixtext`). Running keytool is `import_certs`, which makes a store of trusted
entries with the real keytool (the sandbox's and the tests').
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

#: keytool's store changes, in the order they must run: a delete frees the alias an import then reuses.
KINDS = ("delete", "changealias", "import")


class KeytoolError(Exception):
    """keytool refused a step; the message holds what it printed."""


def args(kind: str, *, store: str, alias: str, store_type: str | None = None, dest_alias: str | None = None,
         file: str | None = None, password_env: str | None = None) -> list[str]:
    """keytool's arguments (after the program) for one change of a store.

    Without `password_env` there is no password option and keytool prompts for it: no password is ever in a
    command line, a shell history or a report. Every import has -noprompt: keytool asks before importing a
    certificate another alias already holds (one root under per-data-centre aliases) and, on Enter, adds
    nothing yet exits 0, leaving the store half fixed; a plan means every import it lists. (The store password
    is still asked: -noprompt only answers the yes/no questions.) With `password_env` the password travels in
    that environment variable (``-storepass:env``) and nothing is asked.
    """
    steps = {
        "delete": ["-delete", "-alias", alias],
        "changealias": ["-changealias", "-alias", alias, "-destalias", dest_alias or ""],
        "import": ["-importcert", "-trustcacerts", "-alias", alias, "-file", file or ""],
    }
    if kind not in steps:
        raise ValueError(f"{kind!r} is not a keytool change of a store ({', '.join(KINDS)})")
    out = [*steps[kind], "-keystore", store, "-storetype", store_type or "PKCS12"]
    if password_env is not None:
        out += ["-storepass:env", password_env]
    if kind == "import" or password_env is not None:
        out.append("-noprompt")
    return out


def import_certs(keytool: Path, store: Path, certs: Mapping[str, Path], *, password_env: str,
                 env: Mapping[str, str], store_type: str | None = None, jvm_flags: Sequence[str] = ()) -> None:
    """Add each PEM of `certs` (alias -> file) to `store` as a trusted entry, written by the real keytool.

    One keytool JVM for all of them: the certificates go into a JKS staging file beside `store` (pyjks, the
    library the store reader uses), then one ``keytool -importkeystore`` writes them into `store` in its own
    type. A JVM per alias cost 0.4 s of CPU each, five of them in every sandbox the suite's tests start: half
    of a gate run's CPU. The entries are those ``-importcert`` makes (trusted certificates under the same
    aliases, in a store keytool wrote). An alias with capitals goes the one-alias-at-a-time way, ``-importcert``
    (the arguments a fix plan prints): JKS, the staging file's type, folds aliases to lower case.

    `env` holds the password under `password_env`; `jvm_flags` start keytool's JVM (``-J...``) as the caller
    wants it (the probe's start-up flags halve the CPU of an import). KeytoolError names what it stopped at.
    """
    if len(certs) > 1 and all(alias == alias.lower() for alias in certs):
        _import_in_one_jvm(keytool, store, certs, password_env=password_env, env=env, store_type=store_type,
                           jvm_flags=jvm_flags)
        return
    for alias, pem in certs.items():
        cmd = [str(keytool), *(f"-J{flag}" for flag in jvm_flags),
               *args("import", store=str(store), alias=alias, store_type=store_type, file=str(pem),
                     password_env=password_env)]
        done = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise KeytoolError(f"keytool could not import {alias!r} into {store}: {done.stdout} {done.stderr}".strip())


def _import_in_one_jvm(keytool: Path, store: Path, certs: Mapping[str, Path], *, password_env: str,
                       env: Mapping[str, str], store_type: str | None, jvm_flags: Sequence[str]) -> None:
    # Lazy: pyjks is only needed to make stores (the sandbox, tests), not on a gate run's start-up path.
    import jks
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    entries = [jks.TrustedCertEntry.new(alias, x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(
        Encoding.DER)) for alias, pem in certs.items()]
    staging = store.with_name(f".{store.name}.staging.jks")
    try:
        jks.KeyStore.new("jks", entries).save(str(staging), env[password_env])
        cmd = [str(keytool), *(f"-J{flag}" for flag in jvm_flags), "-importkeystore",
               "-srckeystore", str(staging), "-srcstoretype", "JKS", "-srcstorepass:env", password_env,
               "-destkeystore", str(store), "-deststoretype", store_type or "PKCS12",
               "-deststorepass:env", password_env, "-noprompt"]
        done = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=120)
    finally:
        staging.unlink(missing_ok=True)
    if done.returncode != 0:
        raise KeytoolError(f"keytool could not import {', '.join(map(repr, certs))} into {store}: "
                           f"{done.stdout} {done.stderr}".strip())
