"""How a client's JVM gets its options, read as the java launcher reads them: pure functions, no process.

`cutover client` (`cutover.cli.client`) feeds these a command line and an environment, from /proc or pasted;
kept apart so that the launcher's rules (the ``@argfile`` syntax, where the options end, which variable wins)
are tested on strings. The rules are the JDK 9+ launcher's (``src/java.base/share/native/libjli/args.c``): an
``@file`` before the main class is replaced by its tokens (not nested, ``@@`` is a literal ``@``,
``--disable-@files`` stops it), ``JDK_JAVA_OPTIONS`` goes before the command line with the same syntax, the
VM reads ``JAVA_TOOL_OPTIONS`` before the command line and ``_JAVA_OPTIONS`` after it; a later ``-D`` wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cutover.config import jsse


class ReadError(Exception):
    """Why no table was made; the message names the file, PID or option and the fix."""


@dataclass(frozen=True)
class Option:
    """One ``-Dname=value`` as the client's JVM gets it, and where it was read (for the table's comment)."""

    text: str
    source: str

    @property
    def name(self) -> str:
        return self.text[2:].partition("=")[0]

    @property
    def value(self) -> str:
        return self.text.partition("=")[2]


#: Launcher options whose value is the next argument (so that value is no main class).
_WITH_VALUE = frozenset({"-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path",
                         "--add-modules", "--limit-modules", "--add-reads", "--add-exports", "--add-opens",
                         "--patch-module", "--enable-native-access", "--source", "-d", "--describe-module"})
#: Prefixes of the properties that can change a TLS verdict: config's own list, the issue's, and the proxy's.
VERDICT_PREFIXES = (
    *(p[2:] for p in jsse.DECISIVE), "com.sun.net.ssl.checkRevocation", "java.security.properties",
    "weblogic.security.", "http.proxyHost",
    "http.proxyPort", "http.nonProxyHosts", "socksProxyHost", "socksProxyPort", "java.net.useSystemProxies",
    "jdk.http.auth.")
#: A property whose value is a secret: its presence is written, never its value.
_SECRET = re.compile(r"pass|pwd|secret|credential|token", re.IGNORECASE)
_SPACE = " \t\n\r\f"
#: Verdict properties whose value is a file the JVM opens from its working folder when relative. The trust store is
#: written as given, with working_dir (cutover's config resolves it); these are written absolute, since the judge's
#: JVM runs in another folder and a file it cannot find is skipped without a word (java.security.properties).
PATH_VALUED = ("java.security.properties", "java.security.policy", "java.security.auth.login.config",
               "java.security.krb5.conf", "javax.net.ssl.keyStore")


def argfile_tokens(text: str, comments: bool = True) -> list[str]:
    """The arguments of an ``@argfile`` (or ``JDK_JAVA_OPTIONS``), as the launcher splits them.

    Whitespace separates; ``"`` or ``'`` quote (mid-argument too); inside quotes a backslash escapes the next
    character (``\\n \\t \\r \\f`` as in C) and a backslash before a line end continues the line, skipping the next
    line's leading blanks; outside quotes a backslash is literal (Windows paths); ``#`` where an argument would
    start comments out the rest of the line (in an argfile; `comments` False for a variable, where it is text)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            break
        if comments and text[i] == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
            continue
        token: list[str] = []
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and i + 1 < n:
                    i += 1
                    nxt = text[i]
                    if nxt in "\r\n":
                        i += 2 if text[i:i + 2] == "\r\n" else 1
                        while i < n and text[i] in " \t":
                            i += 1
                        continue
                    token.append({"n": "\n", "t": "\t", "r": "\r", "f": "\f"}.get(nxt, nxt))
                else:
                    token.append(ch)
            elif ch in _SPACE:
                break
            elif ch in "\"'":
                quote = ch
            else:
                token.append(ch)
            i += 1
        if quote:
            shown = "".join(token).partition("=")[0][:60]  # the property's name: its value may be a password
            raise ReadError(f"an argument starting {shown!r} opens a {quote} quote that is never closed, which the "
                            "java launcher refuses too; close it.")
        out.append("".join(token))
    return out


def launcher_options(args: Sequence[str], read: Callable[[Path], str], base: Path | None,
                     source: str) -> list[Option]:
    """The ``-D`` options among `args` (a java command line after the program), ``@argfiles`` expanded.

    `read` returns a file's text (raising OSError); a relative argfile is found from `base` (the launcher's
    working directory). Reading stops at the main class (``-jar X``, ``-m X``, a class or source file): what
    follows is the application's arguments, not the JVM's."""
    out: list[Option] = []
    expand = True
    i = 0
    todo: list[tuple[str, str]] = [(a, source) for a in args]
    while i < len(todo):
        arg, where = todo[i]
        i += 1
        if arg == "--disable-@files":
            expand = False
        elif expand and arg.startswith("@") and not arg.startswith("@@") and where == source:
            path, tokens = _argfile(arg[1:], read, base)
            todo[i:i] = [(a, f"@argfile {path}") for a in tokens]
            continue
        elif arg.startswith("@@"):
            arg = arg[1:]
        if arg.startswith("-D"):
            out.append(Option(arg, where))
        elif arg in _WITH_VALUE:
            i += 1
        elif arg in ("-jar", "-m", "--module") or not arg.startswith("-"):
            break
    return out


def _argfile(name: str, read: Callable[[Path], str], base: Path | None) -> tuple[Path, list[str]]:
    path = Path(name)
    if not path.is_absolute():
        if base is None:
            raise ReadError(f"@{name}: a relative argfile, found by the java launcher from the folder it started "
                            "in; give that folder with --working-dir DIR.")
        path = base / path
    try:
        text = read(path)
    except OSError as e:
        raise ReadError(f"@{name}: cannot read {path} ({e.strerror or e}); the launcher read it when the client "
                        "started. Run cutover where that file is readable (as the client's user).") from e
    try:
        return path, argfile_tokens(text)
    except ReadError as e:
        raise ReadError(f"@{name} ({path}): {e}") from e


def environment_options(environ: Mapping[str, str], read: Callable[[Path], str], base: Path | None,
                        source: str) -> tuple[list[Option], list[Option]]:
    """The ``-D`` options the JVM takes from its environment: (before the command line, after it)."""
    found: dict[str, list[Option]] = {}
    for var in ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"):
        try:
            tokens = argfile_tokens(environ.get(var, ""), comments=False)
        except ReadError as e:
            raise ReadError(f"{var} in the {source}: {e}") from e
        where = f"{var} ({source})"
        if var == "JDK_JAVA_OPTIONS":  # the launcher's variable: @argfiles expand there too
            found[var] = launcher_options(tokens, read, base, where)
        else:
            found[var] = [Option(t, where) for t in tokens if t.startswith("-D")]
    return found["JAVA_TOOL_OPTIONS"] + found["JDK_JAVA_OPTIONS"], found["_JAVA_OPTIONS"]


def effective(options: Sequence[Option]) -> list[Option]:
    """One option per property, the last one (as the JVM keeps it), in the order first seen."""
    last: dict[str, Option] = {}
    for o in options:
        last.pop(o.name, None)
        last[o.name] = o
    return list(last.values())


def java_properties(text: str) -> dict[str, str]:
    """``jcmd PID VM.system_properties``'s output (java.util.Properties' format, one a line) by name.

    A key ends at the first unescaped ``=`` or ``:``; ``\\uXXXX`` and ``\\t \\n \\r \\f`` are unescaped, any other
    escaped character stands for itself; ``#`` and ``!`` lines are comments."""
    out: dict[str, str] = {}
    escapes = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line[0] in "#!":
            continue
        parts: list[list[str]] = [[]]
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and i + 1 < len(line):
                nxt = line[i + 1]
                if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", line[i + 2:i + 6]):
                    parts[-1].append(chr(int(line[i + 2:i + 6], 16)))
                    i += 6
                    continue
                parts[-1].append(escapes.get(nxt, nxt))
                i += 2
                continue
            if ch in "=:" and len(parts) == 1:
                parts.append([])
            else:
                parts[-1].append(ch)
            i += 1
        out["".join(parts[0]).strip()] = "".join(parts[1]) if len(parts) > 1 else ""
    return out


def set_at_run_time(properties: Mapping[str, str], options: Sequence[Option], source: str) -> list[Option]:
    """The verdict properties the running JVM has that its options do not say (set by the program itself, with
    System.setProperty, or changed there): each as an option read from `source`."""
    given = {o.name: o.value for o in effective(options)}
    return [Option(f"-D{name}={value}", source) for name, value in properties.items()
            if is_verdict(name) and given.get(name) != value]


def is_verdict(name: str) -> bool:
    """Whether a property can change a TLS verdict (written into java_options rather than a comment)."""
    return name.startswith(VERDICT_PREFIXES)


def is_secret(name: str) -> bool:
    """Whether a property's value is a secret: written as 'set', never its value."""
    return bool(_SECRET.search(name))


def _file_part(option: Option) -> tuple[str, str] | None:
    """(prefix, path) of a path-valued option's value; None for no file (a URL, ``NONE``, ``${...}``, empty).

    ``java.security.properties==FILE`` (and ``.policy``) replaces the JDK's file rather than adding to it: the
    leading ``=`` belongs to the value, not the path."""
    if option.name not in (*PATH_VALUED, jsse.TRUST_STORE):
        return None
    value = option.value
    prefix = "=" if value.startswith("=") and option.name.startswith("java.security.") else ""
    path = value[len(prefix):]
    if not path or path == "NONE" or "${" in path or re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", path):
        return None
    return prefix, path


def absolute_paths(options: Sequence[Option], working_dir: Path | None) -> list[Option]:
    """`options` with the relative file of every `PATH_VALUED` option resolved from the JVM's working folder.

    The judge's JVM runs elsewhere, and Java skips a ``java.security.properties`` it cannot find without a word,
    so a relative path would silently judge another configuration: resolved, or refused when the folder is not
    known."""
    out: list[Option] = []
    for o in options:
        part = _file_part(o) if o.name in PATH_VALUED else None
        if part is None or Path(part[1]).is_absolute():
            out.append(o)
            continue
        if working_dir is None:
            raise ReadError(f"-D{o.name}={o.value} ({o.source}) is a relative path, which the client's JVM resolves "
                            "from the folder it starts in, and the judge's JVM starts elsewhere: give that folder with "
                            "--working-dir DIR.")
        out.append(Option(f"-D{o.name}={part[0]}{working_dir / part[1]}",
                          f"{o.source}; {part[1]} from the JVM's working folder"))
    return out


def through_root(options: Sequence[Option], root: Path) -> list[Option]:
    """`options` with every absolute file of a path-valued option (the trust store too) read through `root`, the
    ``/proc/PID/root`` of a process in a container: its ``/etc/trust.p12`` is not this machine's."""
    out: list[Option] = []
    for o in options:
        part = _file_part(o)
        if part is None or not Path(part[1]).is_absolute():
            out.append(o)
        else:
            out.append(Option(f"-D{o.name}={part[0]}{root}{part[1]}", f"{o.source}; {part[1]} in its container"))
    return out
