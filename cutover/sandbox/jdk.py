"""A copy of the installed JDK whose lib/security the sandbox may write: the client scenarios of a JDK that holds
a jssecacerts (JSSE reads it instead of cacerts) run the client's JVM from such a copy.

Everything is hard-linked (``cp -al``: a few hundred links, milliseconds, no disk) but ``lib/security``, a real
folder of its own (``cp -a``: the files a package ships as symlinks stay symlinks), so that no write ever reaches
the installed JDK; a mark file in that folder is what the sandbox checks before it writes there. A copy is made
once per folder and reused: the suite's tests point `JDKS_ENV` at one folder for their whole session, and
``python -m cutover.sandbox`` makes its copy in the sandbox's own folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from cutover.judge.java import JudgeUnavailable, find_java
from cutover.sandbox import pki
from cutover.sandbox.build import make_store
from cutover.sandbox.scenario import SandboxError

#: The folder where copies are kept across sandboxes (one per scenario); unset: the sandbox's own folder.
JDKS_ENV = "CUTOVER_SANDBOX_JDKS"
#: In a copy's lib/security: the sandbox made this folder and may write in it.
MARK = ".cutover-sandbox-copy"
_ENV = "CUTOVER_SANDBOX_JDK_STOREPASS"
#: The password of the stores written there: the JDK's own default, which a client given none never uses anyway.
STORE_PASSWORD = "changeit"


def installed() -> Path:
    """The JDK the run would use (``--java-home``, ``JAVA_HOME``, ``java`` on PATH), by its real folder."""
    try:
        return find_java(None).resolve().parent.parent
    except JudgeUnavailable as e:
        raise SandboxError(f"this scenario runs the client from a copy of a JDK, and none was found: {e}") from None


def copy(into: Path, source: Path | None = None) -> Path:
    """The copy of `source` (the installed JDK) kept in `into`, made now if it is not there yet."""
    source = source or installed()
    home = into / source.name
    if (home / "lib" / "security" / MARK).is_file():
        return home
    if not (source / "lib" / "security").is_dir():
        raise SandboxError(f"{source} has no lib/security folder: it is not a JDK 9+ this scenario can copy.")
    into.mkdir(parents=True, exist_ok=True)
    making = into / f".{source.name}.{secrets.token_hex(4)}"
    try:
        subprocess.run(["cp", "-al", str(source), str(making)], check=True, capture_output=True, timeout=120)
        security = making / "lib" / "security"
        shutil.rmtree(security)
        subprocess.run(["cp", "-a", str(source / "lib" / "security"), str(security)], check=True,
                       capture_output=True, timeout=60)
        (security / MARK).write_text(f"a copy of {source} made by the cutover sandbox; lib/security is its own\n")
        making.rename(home)
    except (OSError, subprocess.SubprocessError) as e:
        shutil.rmtree(making, ignore_errors=True)
        detail = e.stderr.decode(errors="replace").strip() if isinstance(e, subprocess.CalledProcessError) else e
        raise SandboxError(f"could not copy the JDK {source} into {into} (cp -al needs both on one file system): "
                           f"{detail}") from None
    return home


def write_stores(home: Path, stores: Mapping[str, Sequence[tuple[str, pki.Issued]]], keytool: Path,
                 workdir: Path) -> None:
    """Write each store of `stores` (``jssecacerts``, ``cacerts``: its entries) into the copy's lib/security as
    JKS, as an administrator's keytool would, after removing whatever a previous sandbox left there."""
    security = home / "lib" / "security"
    if not (security / MARK).is_file():  # never the installed JDK's folder
        raise SandboxError(f"{security} is not a sandbox copy's (no {MARK}): the sandbox writes only in its copies.")
    (security / "jssecacerts").unlink(missing_ok=True)
    for name, entries in stores.items():
        (security / name).unlink(missing_ok=True)
        make_store(keytool, workdir, security / name, list(entries), {**os.environ, _ENV: STORE_PASSWORD},
                   store_type="JKS", password_env=_ENV)

