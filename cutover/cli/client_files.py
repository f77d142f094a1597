"""A client's JVM options read from the files its launcher reads: pure functions over a `read` callable.

Many clients are not started by a ``java ...`` line one can paste but by a native launcher that builds that line
from a file: install4j and JetBrains launchers from a ``.vmoptions`` file, the Tanuki Java Service Wrapper from
``wrapper.conf``. ``cutover client --cmdline FILE`` takes those files too, so that the table says what the JVM
really gets; each option keeps the ``file:line`` it was read at, so a person can find and change it. The options
go through the same classification as a command line's (`cutover.cli.client.table`): no password is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cutover.cli.client_read import Option, ReadError, environment_options

#: How deep includes may nest: launchers stop too, and a deeper chain is a mistake, not a configuration.
MAX_DEPTH = 10
_ADDITIONAL = re.compile(r"^wrapper\.java\.additional\.(\d+)$")
_VAR = re.compile(r"%([A-Za-z0-9_.]+)%")

Reader = Callable[[Path], str]


def file_kind(path: Path, text: str) -> str:
    """``vmoptions``, ``wrapper`` or ``cmdline``: which reader a ``--cmdline FILE`` needs.

    By name first (``*.vmoptions``; ``wrapper.conf``, or a ``*.conf`` with ``wrapper.`` keys or with the wrapper's
    own lines, ``#include`` and ``set.X=``, since a site's file may keep every wrapper key in its includes), then by
    content (a file whose lines are all options is a vmoptions file) so a renamed copy is still read right."""
    has_wrapper_keys = re.search(r"^\s*wrapper\.[A-Za-z0-9_.]+\s*=", text, re.MULTILINE) is not None
    has_wrapper_lines = re.search(r"^\s*(#include(\.required)?\s+\S|set\.[A-Za-z0-9_.]+\s*=)", text,
                                  re.MULTILINE) is not None
    if path.suffix == ".vmoptions":
        return "vmoptions"
    if path.name == "wrapper.conf" or has_wrapper_keys or (path.suffix == ".conf" and has_wrapper_lines):
        return "wrapper"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if lines and all(ln.startswith("-") for ln in lines):  # a command line starts with java (or VAR=)
        return "vmoptions"
    return "cmdline"


def _read(path: Path, read: Reader, where: str) -> str:
    try:
        return read(path)
    except OSError as e:
        raise ReadError(f"{where}: cannot read {path} ({e.strerror or e}); the client's launcher reads it when the "
                        "client starts. Run cutover where that file is readable (as the client's user), or fix the "
                        "path.") from e


def _guard(path: Path, chain: tuple[Path, ...], where: str) -> None:
    if path in chain:
        raise ReadError(f"{where}: {path} includes itself (through {' -> '.join(str(p) for p in chain)}); the "
                        "launcher would loop or refuse it. Remove the include that closes the circle.")
    if len(chain) >= MAX_DEPTH:
        raise ReadError(f"{where}: includes nest deeper than {MAX_DEPTH} files at {path}; flatten them.")


def vmoptions(path: Path, read: Reader, chain: tuple[Path, ...] = (), where: str = "") -> list[Option]:
    """The ``-D`` options of an install4j / JetBrains ``.vmoptions`` file, in the order the launcher passes them.

    One option a line (the whole line, spaces included: these launchers do not split it), ``#`` lines and blank
    lines skipped; ``-include-options PATH`` is replaced by that file's options, a relative PATH found from the
    including file's folder, with a guard against a cycle and a depth limit."""
    _guard(path, chain, where or str(path))
    text = _read(path, read, where or str(path))
    chain = (*chain, path)
    out: list[Option] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        here = f"{path}:{n}"
        if not line or line.startswith("#"):
            continue
        if line.startswith("-include-options"):
            target = line[len("-include-options"):].strip().strip("\"'")
            if not target:
                raise ReadError(f"{here}: -include-options names no file; give the file after it.")
            out += vmoptions(path.parent / target, read, chain, f"{here} (-include-options {target})")
        elif line.startswith("-D"):
            out.append(Option(line, here))
    return out


@dataclass(frozen=True)
class Wrapper:
    """What a Tanuki Java Service Wrapper builds from its wrapper.conf.

    Attributes:
        java: ``wrapper.java.command`` expanded, absolute where it names a path; None when unset (the wrapper
            then runs ``java`` from PATH), a bare ``java`` stays as written.
        options: the ``-D`` options the JVM gets, in its order: a ``set.JAVA_TOOL_OPTIONS``'s (the wrapper passes its
            variables to the JVM), those of ``wrapper.java.additional.N`` ordered by N, a ``set._JAVA_OPTIONS``'s.
        working_dir: the folder the wrapper starts the JVM in: ``wrapper.working.dir`` (relative to the wrapper's
            own folder), else the wrapper's own; None when neither is known.
        notes: what was taken as a guess, for the table's comments.
    """

    java: str | None
    options: list[Option]
    working_dir: Path | None
    notes: tuple[str, ...] = ()


class _Conf:
    """One pass over a wrapper.conf and its includes, as the wrapper loads them: ``set.X`` takes effect at its
    line, so a ``%X%`` in a later ``#include`` path or value sees it."""

    def __init__(self, top: Path, read: Reader, environ: Mapping[str, str], base: Path | None) -> None:
        self.read, self.base = read, base
        self.include_base = base if base is not None else top.parent
        # The variables the wrapper defines itself before it reads its configuration (its Environment Variables page).
        self.env = {**environ, "WRAPPER_CONF_DIR": str(top.parent)}
        if base is not None:
            self.env.update(WRAPPER_BIN_DIR=str(base), WRAPPER_WORKING_DIR=str(base))
        self.props: dict[str, tuple[str, str]] = {}
        self.defined: dict[str, str] = {}  # a variable the file sets -> where: the wrapper passes it to the JVM
        self.guessed_include = False

    def load(self, path: Path, chain: tuple[Path, ...], where: str) -> None:
        _guard(path, chain, where)
        text = _read(path, self.read, where)
        chain = (*chain, path)
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            here = f"{path}:{n}"
            directive = re.match(r"^#include(\.required)?\s+(.+)$", line)
            if directive:
                target = Path(_expand(directive.group(2).strip().strip("\"'"), self.env))
                if not target.is_absolute():  # from the wrapper's working folder, not the including file's
                    self.guessed_include |= self.base is None
                    target = self.include_base / target
                if directive.group(1) is None and target not in chain:
                    try:
                        self.read(target)
                    except OSError:  # plain #include: the wrapper skips a missing file
                        continue
                self.load(target, chain, here)
            elif line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                key, value = key.strip(), value.strip()
                if key.startswith("set.default."):  # the wrapper's default: only where the variable is not set yet
                    if key[12:] not in self.env:
                        self.env[key[12:]] = _expand(value, self.env)
                        self.defined[key[12:]] = here
                elif key.startswith("set."):
                    self.env[key[4:]] = _expand(value, self.env)
                    self.defined[key[4:]] = here
                else:
                    self.props[key] = (value, here)


def _expand(value: str, env: Mapping[str, str]) -> str:
    """``%X%`` replaced by X's value; an undefined one stays as written (as the wrapper leaves it)."""
    return _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), value)


def strip_quotes(value: str) -> str:
    """A value as ``.stripquotes=TRUE`` passes it on Linux: every unescaped ``"`` removed wherever it stands
    (``-Dx="a b"`` gives ``-Dx=a b``), ``\\"`` a literal quote, ``\\\\`` one backslash, any other character kept
    (the wrapper's docs, wrapper.java.additional.<n>.stripquotes and wrapper.app.parameter.<n>)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and value[i + 1:i + 2] in ('"', "\\"):
            out.append(value[i + 1])
            i += 2
            continue
        if ch != '"':
            out.append(ch)
        i += 1
    return "".join(out)


def wrapper_conf(path: Path, read: Reader, environ: Mapping[str, str], base: Path | None = None) -> Wrapper:
    """The java command, ``-D`` options and working folder a Tanuki Java Service Wrapper builds from `path`.

    As the wrapper's documentation describes: ``wrapper.java.additional.N`` ordered by N (not by line), with
    ``.stripquotes=TRUE`` (`strip_quotes`); ``set.X=value`` defines X at its line (``set.default.X`` only when X is
    unset) for ``%X%`` expansion over `environ`, an undefined ``%X%`` stays; ``#include`` and ``#include.required``
    read another file, ``%X%`` expanded in its path, a relative one found from the wrapper's working folder `base`
    (where its binary or launch script is), not from the including file, and a missing plain include skipped;
    ``wrapper.working.dir`` (relative to `base`) is where the JVM starts, so the JVM's relative paths resolve from
    it; a ``set.JAVA_TOOL_OPTIONS`` (or kin) is in the JVM's environment, so its options count. A later definition
    of a key wins. Without `base`, includes are found from `path`'s folder, and said so."""
    conf = _Conf(path, read, environ, base)
    conf.load(path, (), str(path))
    props, env = conf.props, conf.env
    notes: list[str] = []
    if conf.guessed_include:
        notes.append(f"{path}'s relative #include paths were read from its own folder; the wrapper reads them from "
                     "its working folder (where its binary or start script is): give that folder with --working-dir "
                     "DIR to read them exactly")
    working_dir = base
    if "wrapper.working.dir" in props:
        value, where = props["wrapper.working.dir"]
        named = Path(_expand(value, env))
        if named.is_absolute():
            working_dir = named
        elif base is not None:
            working_dir = base / named
        else:
            working_dir = None
            notes.append(f"wrapper.working.dir={value} ({where}) is relative to the wrapper's own folder, which was "
                         "not given: give it with --working-dir DIR, so that the JVM's relative paths resolve")
    java = _expand(props["wrapper.java.command"][0], env) if "wrapper.java.command" in props else None
    if java and _VAR.search(java):  # %JAVA_HOME% set where the wrapper runs, not here: no JDK to name
        notes.append(f"wrapper.java.command={java} ({props['wrapper.java.command'][1]}) names a variable not set "
                     "here or in the file; set java_home to the JDK it means where the wrapper runs")
        java = None
    elif java and "/" in java and not Path(java).is_absolute() and working_dir is not None:
        java = str(working_dir / java)
    numbered = sorted((int(m.group(1)), key) for key in props if (m := _ADDITIONAL.match(key)))
    out: list[Option] = []
    for number, key in numbered:
        value, where = props[key]
        value = _expand(value, env)
        if props.get(f"{key}.stripquotes", ("", ""))[0].upper() == "TRUE":
            value = strip_quotes(value)
        if value.startswith("-D"):
            out.append(Option(value, f"{where} (wrapper.java.additional.{number})"))
    # A variable the file sets is in the JVM's environment too: set.JAVA_TOOL_OPTIONS is options the JVM reads.
    before: list[Option] = []
    after: list[Option] = []
    for var in ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"):
        if var in conf.defined:
            first, last = environment_options({var: env[var]}, read, working_dir, f"set.{var} at {conf.defined[var]}")
            before, after = before + first, after + last
    return Wrapper(java, before + out + after, working_dir, tuple(notes))
