"""A class-data archive of the probe: made once per JDK, beside the compiled probe, and mapped at every later start.

A probe JVM spends much of its CPU loading and verifying the same few thousand classes every run (the
TLS stack, PKIX, the keystores, the probe itself). A dynamic CDS archive (JDK 13+,
``-XX:ArchiveClassesAtExit``) holds them already parsed: measured on JDK 17, one start-up and probe of one
pod went from 0.42 to 0.34 s of CPU (median of 9, alternated). The archive is written by the first run's
probe JVM as it exits, under a temporary name, and renamed into place, so concurrent runs never map half
of one.

What the JVM does with a bad archive decided the checks here: JDK 17 maps a *truncated* archive and dies
of SIGBUS (no verdict at all), while a foreign or garbled one is refused silently and the JVM runs on. So
an archive is used only when its size and modification time are those recorded when it was made (a stamp
beside it), and is otherwise made afresh; the JVM's own ``-Xshare:auto`` is the second line of defence.
Its log lines (``[warning][cds] Skipping ...`` while dumping) are turned off: they would land among the
probe's output.

The archive is keyed by the JDK (its home, its ``release`` file, the size and time of libjvm: an update in
place changes them), by the probe's jar and by the JVM options but system properties, since the JVM
refuses an archive made under other VM options. A JDK older than 13, or a ``java`` whose JDK cannot be
told without starting it (a wrapper script), runs without one, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cutover.base import atomic

#: The first JDK with dynamic archives (JEP 350).
MIN_MAJOR = 13
#: The probe's classes as one jar: CDS archives classes from jars only, never from a folder.
JAR = "probe.jar"
#: Silence CDS's own log lines, which go to stdout among the probe's; -Xshare:auto runs on without an archive.
QUIET = ("-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off")
_THEIRS = ("-Xshare", "-XX:SharedArchiveFile", "-XX:ArchiveClassesAtExit", "-XX:+AutoCreateSharedArchive")
_LIBJVM = ("lib/server/libjvm.so", "lib/server/libjvm.dylib", "bin/server/jvm.dll")


@dataclass(frozen=True)
class Archive:
    """The class-data archive one probe JVM maps or makes.

    Attributes:
        classpath: the probe's jar, the class path the archive was (or will be) made with.
        path: where the archive lives.
        dumping: the temporary file this JVM writes the archive to as it exits; None when it maps `path`.
    """

    classpath: Path
    path: Path
    dumping: Path | None = None

    @property
    def flags(self) -> tuple[str, ...]:
        """The JVM options that map the archive, or make it."""
        if self.dumping is not None:
            return (*QUIET, f"-XX:ArchiveClassesAtExit={self.dumping}")
        return (*QUIET, f"-XX:SharedArchiveFile={self.path}")

    def settle(self, returncode: int | None) -> None:
        """Once the JVM has exited: put a made archive in place, or say the JDK cannot make one.

        `returncode` None means the JVM was stopped (or never started): whatever it wrote is discarded.
        A JVM that exited cleanly and wrote nothing cannot dump (no base archive, say): the marker keeps
        later runs from asking again. Calling it twice is harmless.
        """
        temp = self.dumping
        if temp is None:
            return
        with contextlib.suppress(OSError):
            if returncode == 0 and temp.is_file() and temp.stat().st_size > 0:
                if self.path.exists():  # the JVM makes archives read-only; Windows will not replace such a file
                    self.path.chmod(0o644)
                os.replace(temp, self.path)
                atomic.write_text(self.path.with_suffix(".stamp"), json.dumps(_stat(self.path)))
            elif returncode == 0:
                atomic.write_text(self.path.with_suffix(".unsupported"),
                                  "the JVM exited cleanly and wrote no archive\n")
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def prepare(java: Path, classes: Path, options: Sequence[str] = ()) -> Archive | None:
    """The archive for this `java` running the probe compiled in `classes` with `options`; None to run without.

    Never raises: a cache that cannot be read or written costs the archive's speed, never the verdict.
    Options that choose class sharing themselves (``-Xshare:off``, an archive of the client's) are obeyed:
    no archive of ours then.
    """
    if any(o.startswith(_THEIRS) for o in options):
        return None
    try:
        return _prepare(java, classes, options)
    except OSError:  # a file that vanished between two looks: run without, this once
        return None


def _prepare(java: Path, classes: Path, options: Sequence[str]) -> Archive | None:
    identity = jdk_identity(java)
    if identity is None:
        return None
    jar = probe_jar(classes)
    if jar is None:
        return None
    try:
        jar_stat = _stat(jar)
    except OSError:
        return None
    # System properties change no archive's validity (a class they load later is loaded as usual): one
    # archive serves every -D a client runs with, rather than 8 MB per set of properties.
    vm_options = [o for o in options if not o.startswith("-D")]
    key = hashlib.sha256(json.dumps([identity, jar_stat, vm_options]).encode()).hexdigest()[:20]
    path = classes / f"cds-{key}.jsa"
    if path.with_suffix(".unsupported").exists():
        return None
    if _intact(path):
        return Archive(jar, path)
    # The JVM creates the file itself: a name no concurrent run shares is all it needs.
    return Archive(jar, path, classes / f"cds-{key}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def jdk_identity(java: Path) -> str | None:
    """What tells this JDK from any other, read from its files without starting it; None if it cannot
    archive (older than 13) or cannot be told (no ``release`` file beside the resolved ``java``)."""
    read = _release(java)
    if read is None:
        return None
    home, release, version = read
    if major(version) < MIN_MAJOR:
        return None
    libjvm = next((_stat(home / p) for p in _LIBJVM if (home / p).is_file()), None)
    return json.dumps([str(home), release, libjvm])


def release_version(java: Path) -> str | None:
    """The JAVA_VERSION of the JDK this `java` belongs to, from its ``release`` file (JDK 9+, and most 8s):
    what ``java -version`` says, without the 0.1 s of starting a JVM on the way to every run's probe."""
    read = _release(java)
    return read[2] if read is not None else None


def _release(java: Path) -> tuple[Path, str, str] | None:
    try:
        home = java.resolve().parent.parent
        release = (home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = re.search(r'^JAVA_VERSION="([^"]+)"', release, re.MULTILINE)
    return (home, release, found[1]) if found else None


def probe_jar(classes: Path) -> Path | None:
    """The probe's classes in one jar beside them, made once (again if damaged); None if it cannot be written.

    A damaged jar would not merely cost the archive: the JVM could not load the probe at all and the run
    would fall back to the approximate engine. So the jar is checked (about a millisecond) on every run.
    """
    jar = classes / JAR
    try:
        wanted = {c.name: c.stat().st_size for c in classes.glob("*.class")}
    except OSError:
        return None
    if jar.is_file() and _holds(jar, wanted):
        return jar
    first = not jar.exists()
    try:
        fd, name = tempfile.mkstemp(prefix="probe-", suffix=".jar", dir=classes)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w") as z:
            for c in sorted(wanted):
                z.write(classes / c, c)
        try:
            if not first:
                raise FileExistsError(jar)  # a damaged jar: replaced below
            os.link(name, jar)  # first one wins: a jar replaced under an archive would void it
        except OSError:
            if not jar.is_file() or not _holds(jar, wanted):
                os.replace(name, jar)
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
    return jar if jar.is_file() else None


def _holds(jar: Path, wanted: dict[str, int]) -> bool:
    """The jar is whole (every entry's CRC checks) and holds exactly the compiled classes, by name and size."""
    try:
        with zipfile.ZipFile(jar) as z:
            return z.testzip() is None and {i.filename: i.file_size for i in z.infolist()} == wanted
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def _intact(path: Path) -> bool:
    """The archive is the one made here, whole: its size and time are those stamped when it was put in place."""
    try:
        return json.loads(path.with_suffix(".stamp").read_text()) == _stat(path)
    except (OSError, ValueError):
        return False


def _stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def major(version: str) -> int:
    """1.8.0_392 -> 8, 17.0.15 -> 17, 25 -> 25."""
    parts = version.split(".")
    try:
        return int(parts[1]) if parts[0] == "1" and len(parts) > 1 else int(re.split(r"[^0-9]", parts[0])[0])
    except (ValueError, IndexError):
        return 0
