"""``cutover client --name NAME (--pid PID | --cmdline FILE|- | --weblogic-domain DIR)``: a [clients.NAME] table.

Renewals go wrong where the root went into a store the runtime never reads (the system JDK's cacerts while the
client runs its own JRE, cacerts while its start script sets ``-Djavax.net.ssl.trustStore``). So the table is
read from the runtime itself: its JDK from ``/proc/PID/exe``, its options from its command line (``@argfiles``
expanded, `cutover.cli.client_read`) and from the variables the JVM reads (``JAVA_TOOL_OPTIONS`` and kin),
relative paths from its working folder. Every option that can change a TLS verdict goes into ``java_options``,
the others into comments, each saying where it was read. A password is never read out: its presence gives the
client a ``password_env`` to set. A WebLogic server decides its trust itself (`cutover.cli.client_weblogic`): its
table names the files WebLogic trusts, not JSSE's. ``--write FILE`` adds the table to a datacenters file, loaded
with cutover's own reader before the file is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from cutover.base import atomic
from cutover.base.text import printable
from cutover.cli import client_weblogic
from cutover.cli.client_files import file_kind, vmoptions, wrapper_conf
from cutover.cli.client_read import (
    Option,
    ReadError,
    absolute_paths,
    effective,
    environment_options,
    is_secret,
    is_verdict,
    java_properties,
    launcher_options,
    set_at_run_time,
    through_root,
)
from cutover.config import ConfigError, jsse, load

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")  # what config.clients takes as a client's name
_LAUNCHERS = ("java", "javaw", "java.exe", "javaw.exe")


@dataclass(frozen=True)
class Found:
    """A client as read from where it runs.

    Attributes:
        origin: what was read, for the table's first comment (``PID 4711``, ``the command line in run.sh``).
        java_home: its JDK, None when the command line names ``java`` without a path.
        options: every -D it gets, in the order the JVM applies them (a later one wins).
        working_dir: the folder its JVM started in, None when unknown.
        notes: what could not be read (jcmd could not attach), for the table's comments and the person.
        java_home_from: where java_home was read when that is not the JVM itself (a script's file:line).
        trust: where the runtime, not JSSE, decides the trust (WebLogic): the files it trusts together, why, and
            where it gets their password (never the password). None: JSSE's choice, from the options.
        root: the ``/proc/PID/root`` its files are read through, when it runs in a container; None otherwise.
    """

    origin: str
    java_home: Path | None
    options: tuple[Option, ...]
    working_dir: Path | None
    notes: tuple[str, ...] = ()
    java_home_from: str = ""
    trust: client_weblogic.Trust | None = None
    root: Path | None = None


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="surrogateescape")


def from_pid(pid: int, proc: Path = Path("/proc")) -> Found:
    """Read a running JVM: /proc/PID/exe, cmdline, environ and cwd (Linux)."""
    here = proc / str(pid)
    if not here.is_dir():
        raise ReadError(f"--pid {pid}: no such process here ({here} is missing). Give the PID of the running "
                        "client, e.g. from `ps -ef | grep java`, on the machine where it runs (Linux).")
    try:
        exe = Path(os.readlink(here / "exe").removesuffix(" (deleted)"))
        argv = [a.decode("utf-8", "surrogateescape") for a in (here / "cmdline").read_bytes().split(b"\0")[:-1]]
        env_raw = (here / "environ").read_bytes()
        cwd = Path(os.readlink(here / "cwd"))
    except OSError as e:
        raise ReadError(f"--pid {pid}: cannot read {e.filename or here} ({e.strerror or e}): the process belongs to "
                        "another user. Run cutover client as the client's user (or root).") from e
    if exe.name not in _LAUNCHERS:
        raise ReadError(f"--pid {pid} runs {exe}, not a java launcher, so its JVM's options are not on its command "
                        "line. Give the PID of a process started by bin/java, or paste its start line with --cmdline.")
    environ = dict(e.decode("utf-8", "surrogateescape").partition("=")[::2] for e in env_raw.split(b"\0") if e)
    source = f"PID {pid}"
    root = _container_root(here)
    read = _read_text if root is None else lambda path: _read_text(root / path.relative_to("/"))
    before, after = environment_options(environ, read, cwd, f"environment of {source}")
    options = before + launcher_options(argv[1:], read, cwd, f"command line of {source}") + after
    if root is None:
        return Found(source, exe.parent.parent, tuple(options), cwd)
    note = (f"PID {pid} runs in a container (its / is not this machine's): its JDK, files and working folder are "
            f"read through {root}, which exists only while it runs; copy them out for a table that outlasts it")
    return Found(source, root / exe.parent.parent.relative_to("/"), tuple(through_root(options, root)),
                 root / cwd.relative_to("/"), (note,), root=root)


def _container_root(here: Path) -> Path | None:
    """``/proc/PID/root`` when the process sees another / than ours (a container, a chroot), else None: its
    paths name files of its own file system, which this machine reaches only through that link."""
    try:
        inside, ours = os.stat(here / "root"), os.stat("/")
    except OSError:  # no such link (not Linux's /proc), or not ours to read: its paths are taken as ours
        return None
    return None if (inside.st_dev, inside.st_ino) == (ours.st_dev, ours.st_ino) else here / "root"


def with_run_time_properties(found: Found, pid: int) -> Found:
    """Add what ``jcmd PID VM.system_properties`` shows beyond the options: properties the program sets itself.

    jcmd attaches only as the JVM's user, with the JVM's own JDK, when the JVM allows attaching; when it cannot,
    the table says so rather than pretending the options are all there is."""
    jcmd = found.java_home / "bin" / "jcmd" if found.java_home is not None else None
    why = ""
    if jcmd is None or not jcmd.is_file():
        why = f"{jcmd or 'jcmd'} is not there (a JRE has none)"
    else:
        try:
            done = subprocess.run([str(jcmd), str(pid), "VM.system_properties"], capture_output=True, text=True,
                                  errors="surrogateescape", stdin=subprocess.DEVNULL, timeout=30)
            if done.returncode != 0 or "\njava.home=" not in f"\n{done.stdout}":
                said = [ln for ln in (done.stdout + done.stderr).splitlines()  # the exception, no value, no trace
                        if ln.strip() and "=" not in ln and not ln.startswith(("\t", " ")) and not ln.endswith(":")]
                why = f"jcmd could not attach: {printable(said[0] if said else f'exit {done.returncode}', 300)}"
        except (OSError, subprocess.TimeoutExpired) as e:
            why = f"jcmd did not answer ({e})"
    if why:
        note = (f"properties the program sets at run time were not read ({why}); only its command line and "
                "environment were. Run cutover client as the JVM's user, or check the program's own settings.")
        return replace(found, notes=(*found.notes, note))
    extra = set_at_run_time(java_properties(done.stdout), found.options,
                            f"jcmd {pid} VM.system_properties: set at run time")
    if found.root is not None:  # what the JVM says is a path in its container; the options are already mapped
        given = {o.name: o.value for o in effective(found.options)}
        extra = [o for o in through_root(extra, found.root) if given.get(o.name) != o.value]
    return replace(found, options=found.options + tuple(extra))


def from_cmdline(text: str, where: str, working_dir: Path | None) -> Found:
    """Read a pasted ``java ...`` line (as a POSIX shell splits it; ``VAR=value`` before java counts)."""
    try:
        words = shlex.split(re.sub(r"\\\r?\n", "", text), comments=True)
    except ValueError as e:
        raise ReadError(f"--cmdline {where}: the line does not split as a shell would ({e}); paste it whole, "
                        "quotes closed.") from e
    start = next((i for i, w in enumerate(words) if Path(w).name in _LAUNCHERS), None)
    if start is None:
        raise ReadError(f"--cmdline {where}: no java command found in it. Paste the line that starts the client's "
                        "JVM, from `java` (or /path/to/bin/java) to its main class.")
    environ = dict(w.partition("=")[::2] for w in words[:start] if "=" in w)
    java = Path(words[start])
    source = f"the command line in {where}"
    before, after = environment_options(environ, _read_text, working_dir, source)
    cmd = launcher_options(words[start + 1:], _read_text, working_dir, source)
    home = java.parent.parent if java.is_absolute() else None
    return Found(source, home, tuple(before + cmd + after), working_dir)


def from_file(path: Path, text: str, working_dir: Path | None, environ: Mapping[str, str]) -> Found:
    """Read `--cmdline FILE`: a pasted java line, a ``.vmoptions`` file or a Tanuki ``wrapper.conf``.

    The launcher files are what starts many clients (install4j, JetBrains, the Java Service Wrapper), so the
    options are read from them rather than asking the person to rebuild the java line by hand."""
    kind = file_kind(path, text)
    if kind == "cmdline":
        return from_cmdline(text, str(path), working_dir)
    if kind == "vmoptions":
        return Found(f"the vmoptions file {path}", None, tuple(vmoptions(path, _read_text)), working_dir)
    wrapper = wrapper_conf(path, _read_text, environ, working_dir)  # --working-dir: the wrapper's own folder
    java = wrapper.java
    home = Path(java).parent.parent if java and Path(java).is_absolute() else None
    return Found(f"the wrapper.conf {path}", home, tuple(wrapper.options), wrapper.working_dir, wrapper.notes)


def from_weblogic_domain(folder: Path, server: str | None) -> Found:
    """Read a WebLogic server's JDK, options and trust from its domain folder (`cutover.cli.client_weblogic`).

    Its trust is WebLogic's decision, not JSSE's, so the table names the files WebLogic trusts, whatever
    -Djavax.net.ssl.trustStore the scripts set (WebLogic's own SSL does not read it)."""
    domain = client_weblogic.read_domain(folder, server)
    notes = (*domain.notes, "the domain's start scripts were read, not run: every option read from one says its "
             "file:line and 'verify'. For a running server, `cutover client --pid PID` reads what its JVM got, "
             "exactly.")
    java_home, where = domain.java_home if domain.java_home else (None, "")
    return Found(f"the WebLogic domain {domain.folder}, server {domain.server.name}", java_home, domain.options,
                 domain.folder, notes, where if not where or where.endswith(client_weblogic.BY_NODE_MANAGER)
                 else f"{where} ({client_weblogic.VERIFY})",
                 client_weblogic.trust(domain))


#: Options a runtime with its own trust (WebLogic) does not read for it: written as comments, so that the config
#: does not take them for the judged store (Oracle: WebLogic's JSSE integration ignores javax.net.ssl.* stores).
_JSSE_STORES = ("javax.net.ssl.trustStore", "javax.net.ssl.keyStore")
_NOT_RUNTIME_TRUST = "not the server's trust: WebLogic's SSL does not read it, JSSE-default code in it does"


def _runtime_trust(name: str, found: Found, notes: list[str]) -> list[str]:
    """The truststore lines for a runtime that decides its own trust: its files (a list when several are
    trusted together), why, and a password_env when it opens them with a passphrase (never the passphrase)."""
    trust = found.trust
    assert trust is not None
    files = [_toml(str(f)) for f in trust.files]
    value = files[0] if len(files) == 1 else f"[{', '.join(files)}]"
    lines = [f"truststore = {value}  # {printable(trust.why, 400)}", *trust.comments]
    if trust.password:
        env = password_env(name)
        lines.append(f"password_env = {_toml(env)}  # it opens the store with a passphrase, {trust.password}")
        notes.append(f"client {name!r}: WebLogic opens its trust store with a passphrase ({trust.password}). cutover "
                     f"did not read it: before a run, export {env} with that store's password.")
    else:
        lines.append('password_env = ""  # no passphrase configured: the store is read with none, as a JKS allows')
    return lines


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL is a control character in TOML only)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def password_env(name: str) -> str:
    """The variable a client's trust-store password is read from: named after the client."""
    return re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_TRUSTSTORE_PASSWORD"


def table(name: str, found: Found) -> tuple[str, list[str]]:
    """The [clients.NAME] table and the notes for the person (what to set); no secret value in either."""
    options = absolute_paths(effective(found.options), found.working_dir)
    kept: list[str] = []
    other: list[str] = []
    notes: list[str] = []
    lines = [f"[clients.{name}]",
             f"# read by `cutover client` from {printable(found.origin, 200)}; each option says where it was read",
             *(f"# {printable(n, 600)}" for n in found.notes)]
    if found.java_home is not None:
        lines.append(f"java_home = {_toml(str(found.java_home))}"
                     + (f"  # {printable(found.java_home_from, 300)}" if found.java_home_from else ""))
    else:
        lines.append("# java_home: the command line runs `java` from PATH; set the client's JDK here")
    store = next((o for o in options if o.name == jsse.TRUST_STORE), None)
    if found.trust is not None:
        lines += _runtime_trust(name, found, notes)
    elif store is None:
        lines.append('truststore = "java:default"  # no -Djavax.net.ssl.trustStore: its JDK\'s jssecacerts, '
                     "else cacerts")
    elif not Path(store.value).is_absolute():
        if found.working_dir is None:
            raise ReadError(f"-D{jsse.TRUST_STORE}={store.value} ({store.source}) is a relative path, resolved from "
                            "the folder the client's JVM starts in: give that folder with --working-dir DIR.")
        lines.append(f"working_dir = {_toml(str(found.working_dir))}  # where its JVM started")
    for o in options:
        where = printable(o.source, 200)
        if found.trust is not None and o.name.startswith(_JSSE_STORES):
            shown = f"-D{o.name}=(set; value not written)" if is_secret(o.name) else o.text
            other.append(f"# {_toml(shown)}  # {where}; {_NOT_RUNTIME_TRUST}")
        elif o.name == jsse.TRUST_STORE_PASSWORD:
            env = password_env(name)
            lines.append(f"password_env = {_toml(env)}  # its JVM gets -D{o.name} ({where}); value not written")
            notes.append(f"client {name!r}: its JVM gets a trust-store password (-D{o.name}, {where}). cutover "
                         f"did not write it: before a run, export {env} with that password.")
        elif is_secret(o.name):
            other.append(f"# {_toml(f'-D{o.name}=(set; value not written)')}  # {where}")
        elif is_verdict(o.name):
            kept.append(f"    {_toml(o.text)},  # {where}")
        else:
            other.append(f"# {_toml(o.text)}  # {where}")
    lines += ["java_options = [", *kept, "]"] if kept else ["java_options = []"]
    if other:
        lines += ["# other options of its JVM, not judged (no effect on a TLS verdict), kept for reference:", *other]
    return "\n".join(lines) + "\n", notes


def write(path: Path, name: str, text: str) -> None:
    """Add the table to `path`, refusing a clash, and only once the result loads with cutover's reader."""
    try:
        old = path.read_text(encoding="utf-8")
        raw = tomllib.loads(old)
    except OSError as e:
        raise ReadError(f"--write {path}: cannot read it ({e.strerror or e}). Give an existing datacenters.toml "
                        "(`cutover init` writes a first one), or leave --write out to print the table.") from e
    except tomllib.TOMLDecodeError as e:
        raise ReadError(f"--write {path}: it is not valid TOML ({e}); fix it first, nothing was written.") from e
    if "truststore" in raw:
        raise ReadError(f"--write {path}: the file has a [truststore] table, its one client; a [clients.{name}] "
                        "table beside it is refused by cutover. Move [truststore] path into a [clients.<name>] "
                        "table first (configuration.md, Several clients), then run this again.")
    if name in raw.get("clients", {}):
        raise ReadError(f"--write {path}: it already has [clients.{name}]; nothing was written. Choose another "
                        "--name, or remove that table first if this one replaces it.")
    new = old.rstrip("\n") + "\n\n" + text
    check = path.with_name(f".{path.name}.cutover-client.{os.getpid()}.toml")  # same folder: same relative paths
    try:
        check.write_text(new, encoding="utf-8")
        load(check)
    except ConfigError as e:
        raise ReadError(f"--write {path}: with the new table the file would not load, so nothing was written: "
                        f"{str(e).replace(str(check), str(path))}") from e
    finally:
        check.unlink(missing_ok=True)
    atomic.write_text(path, new)


def main(args: argparse.Namespace) -> int:
    """Read the client, print its table or add it to --write's file; errors raise ReadError."""
    if not _NAME.match(args.name):
        raise ReadError(f"--name {args.name!r}: a client's name is letters, digits, '-' and '_' (it labels test ids "
                        "such as soa:us2/pod); choose another.")
    if args.weblogic_domain is not None:
        found = from_weblogic_domain(args.weblogic_domain, args.server)
    elif args.server is not None:
        raise ReadError("--server NAME chooses a server of a WebLogic domain: give it with --weblogic-domain DIR.")
    elif args.pid is not None:
        found = from_pid(args.pid)
        if not args.no_jcmd:
            found = with_run_time_properties(found, args.pid)
    elif args.cmdline == "-":
        found = from_cmdline(sys.stdin.read(), "standard input", args.working_dir)
    else:
        try:
            text = Path(args.cmdline).read_text(encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            raise ReadError(f"--cmdline {args.cmdline}: cannot read it ({e.strerror or e}); give the file holding "
                            "the client's java command line, or - to paste it.") from e
        found = from_file(Path(args.cmdline), text, args.working_dir, os.environ)
    text, notes = table(args.name, found)
    notes = [f"client {args.name!r}: {n}" for n in found.notes] + notes
    if args.write is not None:
        write(args.write, args.name, text)
        print(f"cutover client: added [clients.{args.name}] to {args.write} (it loads).", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for note in notes:
        print(note, file=sys.stderr)
    return 0
