"""keytool's arguments, built in one place: the commands a fix plan prints, the ones `cutover prepare` runs on a
copy, and the stores the sandbox and the suite's tests make, so that none of them can drift from the others.

Only arguments here (a list, never a shell line): quoting them for the shell a person pastes into is the
outputs' job (`cutover.outputs.fixtext`). Running keytool is `import_certs`, the loop that makes a store the
way an integration admin does, one ``-importcert`` per alias.
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
    """Import each PEM of `certs` (alias -> file) into `store` with the real keytool, one alias at a time.

    `env` holds the password under `password_env`; `jvm_flags` start keytool's JVM (``-J...``) as the caller
    wants it (the probe's start-up flags halve the CPU of an import). KeytoolError names the alias it stopped at.
    """
    for alias, pem in certs.items():
        cmd = [str(keytool), *(f"-J{flag}" for flag in jvm_flags),
               *args("import", store=str(store), alias=alias, store_type=store_type, file=str(pem),
                     password_env=password_env)]
        done = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise KeytoolError(f"keytool could not import {alias!r} into {store}: {done.stdout} {done.stderr}".strip())
